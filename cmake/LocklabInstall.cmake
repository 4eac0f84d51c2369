# Install rules of the production library: lockimpl's headers, the hiredis
# backend's headers, static archive and shared library, an exported CMake package
# (find_package(locklab CONFIG) -> locklab::locklab) and pkg-config files.
# Included once lockimpl/ has been added, in every configuration that builds
# it (full, LOCKLAB_LIBRARY_ONLY, LOCKLAB_TSAN). See docs/building.md,
# "Installing the production library".
#
# Deliberately not installed: anything of the simulator (sim, properties,
# scenarios, reports) and the test backends. The `locklab` tool is installed
# by tools/CMakeLists.txt when it is built; it is not part of the package.
include(CMakePackageConfigHelpers)

set(LOCKLAB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/locklab"
    CACHE STRING "Where locklabConfig.cmake is installed, relative to the prefix")

# What a user links: lockimpl's headers (and C++23, through lockimpl's
# compile feature) plus the hiredis backend, shared (locklab::locklab) or
# static (locklab::locklab_static). Named locklab_library here because
# `locklab` is the tool's executable.
add_library(locklab_library INTERFACE)
add_library(locklab::locklab ALIAS locklab_library)
target_link_libraries(locklab_library INTERFACE locklab_lockimpl locklab_hiredis_shared)
set_target_properties(locklab_library PROPERTIES EXPORT_NAME locklab)
add_library(locklab_library_static INTERFACE)
add_library(locklab::locklab_static ALIAS locklab_library_static)
target_link_libraries(locklab_library_static INTERFACE locklab_lockimpl locklab_hiredis)
set_target_properties(locklab_library_static PROPERTIES EXPORT_NAME locklab_static)

install(TARGETS locklab_lockimpl locklab_hiredis locklab_hiredis_shared
                locklab_library locklab_library_static
        EXPORT locklabTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT locklab_development
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT locklab_runtime
                NAMELINK_COMPONENT locklab_development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT locklab_runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lockimpl/include/
                  ${PROJECT_SOURCE_DIR}/lockimpl/hiredis/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT locklab_development
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT locklabTargets
        NAMESPACE locklab::
        DESTINATION ${LOCKLAB_INSTALL_CMAKEDIR}
        COMPONENT locklab_development)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/locklabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/locklabConfig.cmake
  INSTALL_DESTINATION ${LOCKLAB_INSTALL_CMAKEDIR})
# 0.x: SameMajorVersion accepts any 0.y; the major number moves to 1 when the
# API is declared stable.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/locklabConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/locklabConfig.cmake
              ${PROJECT_BINARY_DIR}/package/locklabConfigVersion.cmake
        DESTINATION ${LOCKLAB_INSTALL_CMAKEDIR}
        COMPONENT locklab_development)

# pkg-config: locklab.pc links the shared library, locklab-static.pc the
# archive (-l:liblocklab_hiredis.a, because -llocklab_hiredis picks the .so
# when both are installed). The prefix is found from the .pc file's own place
# (${pcfiledir}), so an installed tree can be moved, and
# `cmake --install --prefix` other than CMAKE_INSTALL_PREFIX still works.
# hiredis: the shared library records it in its own NEEDED entries, so there
# it is Requires.private; the archive does not, so a plain `--libs` of
# locklab-static must name -lhiredis, and there it is Requires.
# No -std=c++23 in Cflags: a .pc file cannot portably choose a language
# standard for its users (the flag is compiler-specific, and a user may pass
# -std=gnu++23 or a later one); the docs say consumers compile as C++23.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(locklab_pc_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(locklab_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(locklab_pc_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH locklab_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" locklab_pc_up "${locklab_pc_up}")
  set(locklab_pc_PREFIX "\${pcfiledir}/${locklab_pc_up}")
endif()
foreach(variant shared static)
  if(variant STREQUAL "shared")
    set(locklab_pc_NAME locklab)
    set(locklab_pc_KIND "shared library")
    set(locklab_pc_REQUIRES "Requires.private: hiredis")
    set(locklab_pc_LIB "-llocklab_hiredis")
  else()
    set(locklab_pc_NAME locklab-static)
    set(locklab_pc_KIND "static archive")
    set(locklab_pc_REQUIRES "Requires: hiredis")
    set(locklab_pc_LIB "-l:liblocklab_hiredis.a")
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/locklab.pc.in
                 ${PROJECT_BINARY_DIR}/package/${locklab_pc_NAME}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${locklab_pc_NAME}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
          COMPONENT locklab_development)
endforeach()
