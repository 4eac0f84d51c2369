# Helpers shared by every folder's CMakeLists.txt.

# Warnings for locklab's own targets. PRIVATE, so nothing here (least of all
# -Werror) reaches the flags an installed package hands to its users.
function(locklab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused
                         -Woverloaded-virtual -Wnull-dereference -Wformat=2
                         # GCC 12 flags designated initializers that omit members,
                         # which is exactly how option structs are meant to be used
                         # ({.seed = 7}); omitted members take their defaults.
                         -Wno-missing-field-initializers)
  if(LOCKLAB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
