# The dependency direction, checked on the targets themselves: the history
# and the checkers must link nothing of the simulator (no locklab_sim, no
# Boost, no Lua), so a history recorded on real servers is judged by the same
# code. At configure time each target's link closure (its LINK_LIBRARIES and,
# transitively, the INTERFACE_LINK_LIBRARIES of what it links, $<LINK_ONLY:>
# included: a static library's private dependencies reach the final link) is
# written to a file; a test per target reads it and fails on a forbidden
# name. source_rules_test.cpp checks the includes.

# locklab_link_closure(TARGET OUT): every name TARGET links, transitively.
function(locklab_link_closure root out)
  set(seen "")
  set(todo ${root})
  while(todo)
    list(POP_FRONT todo item)
    # $<LINK_ONLY:x> is x at the final link; other generator expressions are
    # kept as written (a forbidden name inside one is still found).
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item STREQUAL "" OR item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    if(NOT TARGET "${item}")
      continue()
    endif()
    get_target_property(real "${item}" ALIASED_TARGET)
    if(real)
      list(APPEND todo "${real}")
      continue()
    endif()
    get_target_property(type "${item}" TYPE)
    set(links "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct "${item}" LINK_LIBRARIES)
      if(direct)
        list(APPEND links ${direct})
      endif()
    endif()
    get_target_property(interface "${item}" INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND links ${interface})
    endif()
    list(APPEND todo ${links})
  endwhile()
  list(REMOVE_ITEM seen "${root}")
  set(${out} "${seen}" PARENT_SCOPE)
endfunction()

set(locklab_forbidden_links "locklab_sim|locklab::sim|Boost|boost|locklab_lua|lua|LUA")
foreach(target IN ITEMS locklab_history locklab_properties)
  locklab_link_closure(${target} closure)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/layering/${target}.links")
  string(REPLACE ";" "\n" lines "${closure}")
  file(WRITE "${file}" "${lines}\n")
  add_test(NAME Layering.${target}LinksNoSimulatorBoostOrLua
           COMMAND ${CMAKE_COMMAND} -DLINKS=${file} "-DFORBIDDEN=${locklab_forbidden_links}"
                   -DEXPECTED=locklab_lockimpl -P ${CMAKE_CURRENT_SOURCE_DIR}/layering_check.cmake)
  set_tests_properties(Layering.${target}LinksNoSimulatorBoostOrLua
                       PROPERTIES LABELS unit TIMEOUT ${LOCKLAB_TIMEOUT_unit})
endforeach()
# The check itself: the simulator's own closure holds Boost and Lua, so the
# same test on it must fail.
locklab_link_closure(locklab_sim closure)
string(REPLACE ";" "\n" lines "${closure}")
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/layering/locklab_sim.links" "${lines}\n")
add_test(NAME Layering.CheckCatchesTheSimulatorsOwnLinks
         COMMAND ${CMAKE_COMMAND} -DLINKS=${CMAKE_CURRENT_BINARY_DIR}/layering/locklab_sim.links
                 "-DFORBIDDEN=${locklab_forbidden_links}" -DEXPECTED=locklab_lockimpl
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/layering_check.cmake)
set_tests_properties(Layering.CheckCatchesTheSimulatorsOwnLinks
                     PROPERTIES LABELS unit TIMEOUT ${LOCKLAB_TIMEOUT_unit}
                     PASS_REGULAR_EXPRESSION "Boost::fiber")
