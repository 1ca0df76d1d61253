# Debian packages with CPack: `cpack -G DEB` in a build tree (configured
# with -DCMAKE_INSTALL_PREFIX=/usr, as tests/cli/test_deb.sh does) makes
#   libkprod0     the shared library (component runtime)
#   libkprod-dev  header, static library, libkprod.so link, pkg-config file,
#                 CMake package (component dev)
#   kprod         the command-line tool (component cli)
# Each carries the licence as /usr/share/doc/PACKAGE/copyright.
foreach(_pkg "runtime;libkprod0" "dev;libkprod-dev" "cli;kprod")
  list(GET _pkg 0 _comp)
  list(GET _pkg 1 _name)
  install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_name}
    RENAME copyright COMPONENT ${_comp})
endforeach()

set(CPACK_PACKAGE_NAME kprod)
set(CPACK_PACKAGE_VENDOR "The kprod authors")
set(CPACK_PACKAGE_CONTACT "The kprod authors <kprod@invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kafka producer library in C")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_COMPONENTS_ALL runtime dev cli)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # dependencies of the binaries, by dpkg-shlibdeps
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libkprod0)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "Kafka producer library in C\n kprod sends records to Apache Kafka: Java client configuration names and\n defaults, idempotence, every record one delivery report.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libkprod-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
# The static library needs the codecs' own development files.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "zlib1g-dev, libzstd-dev, liblz4-dev, libsnappy-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "Kafka producer library in C (development files)\n Header, static library, pkg-config file and CMake package of kprod.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME kprod)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION net)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "Kafka producer command-line tool\n kprod produce sends records from files or standard input to Apache Kafka;\n kprod metadata shows a cluster; kprod perf measures the producer.")

include(CPack)
