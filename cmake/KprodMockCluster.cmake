# Programs on librdkafka that serve kprod's tests and benchmarks, not under
# test themselves. Needs PkgConfig::RDKAFKA.

# librdkafka is not under test: its programs are built without sanitizers,
# so the sanitizers' reports only ever concern kprod.
function(kprod_without_sanitizers target)
  foreach(prop COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(opts ${target} ${prop})
    if(opts)
      list(FILTER opts EXCLUDE REGEX "^-f(no-)?sanitize")
      set_target_properties(${target} PROPERTIES ${prop} "${opts}")
    endif()
  endforeach()
endfunction()

# kprod_mock_cluster: librdkafka's mock cluster in a process of its own,
# driven over stdin (tests/tools/mock_cluster.c). The tests use it to
# inject faults, bench/run.sh as a second sink. Defined once, by whichever
# of bench/ and tests/ comes first.
function(kprod_mock_cluster_target)
  if(TARGET kprod_mock_cluster)
    return()
  endif()
  add_executable(kprod_mock_cluster ${CMAKE_SOURCE_DIR}/tests/tools/mock_cluster.c)
  target_link_libraries(kprod_mock_cluster PRIVATE PkgConfig::RDKAFKA)
  kprod_without_sanitizers(kprod_mock_cluster)
endfunction()
