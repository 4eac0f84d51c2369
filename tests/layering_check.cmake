# cmake -DLINKS=<file> -DFORBIDDEN=<regex> -DEXPECTED=<name> -P layering_check.cmake
# Fails when a line of LINKS (one linked name each, from layering.cmake)
# matches FORBIDDEN, or when EXPECTED is missing (a closure that lost its way
# would otherwise pass by being empty).
cmake_minimum_required(VERSION 3.25)  # for IN_LIST in script mode
file(STRINGS "${LINKS}" links)
set(bad "")
foreach(link IN LISTS links)
  if(link MATCHES "${FORBIDDEN}")
    list(APPEND bad "${link}")
  endif()
endforeach()
if(bad)
  list(JOIN bad ", " bad_text)
  message(FATAL_ERROR "${LINKS}: links ${bad_text} (forbidden: ${FORBIDDEN})")
endif()
if(NOT EXPECTED IN_LIST links)
  list(JOIN links ", " all)
  message(FATAL_ERROR "${LINKS}: ${EXPECTED} not among the links (${all}): the closure is wrong")
endif()
list(JOIN links ", " all)
message(STATUS "ok: ${all}")
