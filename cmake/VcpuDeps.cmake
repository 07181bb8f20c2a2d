# SPDX-License-Identifier: LGPL-2.1-or-later
# Find every dependency the ecosystem's way (pkg-config, find_program). A
# missing one stops configure and names the Debian package that provides it;
# scripts/setup installs all of them.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config' "
                      "(or run scripts/setup)")
endif()

# vcpu_require_pc(<prefix> <pkg-config module> <Debian package>)
function(vcpu_require_pc prefix module debpkg)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "Dependency '${module}' not found (pkg-config). "
                        "Install the Debian package '${debpkg}' "
                        "(apt-get install ${debpkg}), or run scripts/setup.")
  endif()
  message(STATUS "Found ${module} ${${prefix}_VERSION}")
endfunction()

vcpu_require_pc(HWLOC  "hwloc>=2.0"     libhwloc-dev)
vcpu_require_pc(NUMA   numa             libnuma-dev)
vcpu_require_pc(URCU   liburcu-bp       liburcu-dev)
# Only the header-only red-black tree macros of libbsd are used (no link).
find_path(BSD_TREE_INCLUDE_DIR bsd/sys/tree.h)
if(NOT BSD_TREE_INCLUDE_DIR)
  message(FATAL_ERROR "bsd/sys/tree.h not found: install the Debian package "
                      "'libbsd-dev' (apt-get install libbsd-dev), or run scripts/setup.")
endif()
if(VCPU_BUILD_SIM OR VCPU_BUILD_TESTS)
  vcpu_require_pc(GSL    gsl              libgsl-dev)
  vcpu_require_pc(FYAML  libfyaml         libfyaml-dev)
  vcpu_require_pc(ZLIB   zlib             zlib1g-dev)
endif()
if(VCPU_BUILD_TESTS)
  vcpu_require_pc(CMOCKA cmocka           libcmocka-dev)
endif()

find_program(GNUPLOT gnuplot)
if(NOT GNUPLOT)
  message(FATAL_ERROR "gnuplot not found: install the Debian package 'gnuplot-nox' "
                      "(apt-get install gnuplot-nox), or run scripts/setup.")
endif()
find_package(Threads REQUIRED)
