# kprod_mock_cluster: librdkafka's mock cluster in a process of its own,
# driven over stdin (tests/tools/mock_cluster.c). The tests use it to
# inject faults, bench/run.sh as a second sink. Defined once, by whichever
# of bench/ and tests/ comes first; needs PkgConfig::RDKAFKA.
function(kprod_mock_cluster_target)
  if(TARGET kprod_mock_cluster)
    return()
  endif()
  add_executable(kprod_mock_cluster ${CMAKE_SOURCE_DIR}/tests/tools/mock_cluster.c)
  target_link_libraries(kprod_mock_cluster PRIVATE PkgConfig::RDKAFKA)
  # librdkafka is not under test: the helper is built without sanitizers,
  # so their reports only ever concern kprod.
  foreach(prop COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(opts kprod_mock_cluster ${prop})
    if(opts)
      list(FILTER opts EXCLUDE REGEX "^-f(no-)?sanitize")
      set_target_properties(kprod_mock_cluster PROPERTIES ${prop} "${opts}")
    endif()
  endforeach()
endfunction()
