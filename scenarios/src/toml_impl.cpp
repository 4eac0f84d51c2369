// toml++ compiled here, once, instead of linked from Debian's
// libtomlplusplus.so: sanitizer and AFL++ builds then instrument the parser
// itself, which is what a fuzzer of the scenario loader must reach and what
// AddressSanitizer must watch. The other files include toml++ with
// TOML_HEADER_ONLY=0 (scenarios/CMakeLists.txt), through toml.hpp, and link
// to this.
#define TOML_IMPLEMENTATION
#include "toml.hpp"
