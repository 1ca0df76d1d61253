# FindkprodCodecs: the compression libraries kprod links, as imported
# targets kprod::zstd, kprod::lz4 and kprod::snappy (headers and library).
# kprod's own build uses it, and it is installed with kprod's CMake package,
# where kprodConfig.cmake finds it with find_dependency(kprodCodecs): a
# project linking kprod::kprod_static gets the very same libraries without
# knowing them. pkg-config, when present, only gives hints (not every
# distribution ships a .pc or a CMake package for each of them).
#
# Sets kprodCodecs_FOUND. A static libsnappy (.a, e.g. found through
# CMAKE_FIND_LIBRARY_SUFFIXES) brings -lstdc++ and -lm along: snappy is C++.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)

set(_kprod_codec_vars "")
foreach(_spec "ZSTD;zstd;zstd.h;libzstd" "LZ4;lz4;lz4frame.h;liblz4" "SNAPPY;snappy;snappy-c.h;snappy")
  list(GET _spec 0 _up)
  list(GET _spec 1 _lib)
  list(GET _spec 2 _hdr)
  list(GET _spec 3 _pc)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(_kprod_pc_${_up} QUIET ${_pc})
  endif()
  find_library(KPROD_${_up}_LIBRARY NAMES ${_lib} HINTS ${_kprod_pc_${_up}_LIBRARY_DIRS})
  find_path(KPROD_${_up}_INCLUDE_DIR ${_hdr} HINTS ${_kprod_pc_${_up}_INCLUDE_DIRS})
  list(APPEND _kprod_codec_vars KPROD_${_up}_LIBRARY KPROD_${_up}_INCLUDE_DIR)
endforeach()

find_package_handle_standard_args(kprodCodecs REQUIRED_VARS ${_kprod_codec_vars})

if(kprodCodecs_FOUND)
  foreach(_spec "ZSTD;zstd" "LZ4;lz4" "SNAPPY;snappy")
    list(GET _spec 0 _up)
    list(GET _spec 1 _lib)
    if(NOT TARGET kprod::${_lib})
      add_library(kprod::${_lib} UNKNOWN IMPORTED)
      set_target_properties(kprod::${_lib} PROPERTIES
        IMPORTED_LOCATION "${KPROD_${_up}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${KPROD_${_up}_INCLUDE_DIR}")
    endif()
  endforeach()
  if(KPROD_SNAPPY_LIBRARY MATCHES "\\.a$")
    set_property(TARGET kprod::snappy APPEND PROPERTY INTERFACE_LINK_LIBRARIES stdc++ m)
  endif()
endif()
