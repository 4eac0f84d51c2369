# Every public header of lockimpl compiles on its own, as a user's first
# include of it, with the strict warnings a consumer may use: -I (not
# -isystem, which would hide our warnings), -Wpedantic, and GCC 12's
# -Wmissing-field-initializers (which fires on designated initializers that
# leave a member without a default out). One test per header.
file(GLOB_RECURSE locklab_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/lockimpl/include
     CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/lockimpl/include/*.hpp)
foreach(header IN LISTS locklab_public_headers)
  add_test(NAME "LockimplHeader.CompilesAlone/${header}"
           COMMAND sh -c "printf '#include \"%s\"\\n' \"$0\" | \"$1\" -std=c++23 -Wall -Wextra -Wpedantic -Wmissing-field-initializers -Werror -fsyntax-only -I \"$2\" -x c++ -"
                   ${header} ${CMAKE_CXX_COMPILER} ${PROJECT_SOURCE_DIR}/lockimpl/include)
  set_tests_properties("LockimplHeader.CompilesAlone/${header}" PROPERTIES LABELS "unit;compile" TIMEOUT 60)
endforeach()
