// tests/typed/suite.hpp — the environments every typed lock test runs in.
//
// Provides Envs (one, then five servers, simulated and real) for
// TYPED_TEST_SUITE(Name, Envs). GoogleTest names each instantiation by its
// index in Envs — TypedAcquire/0.X is Sim1, /1 Sim5, /2 Real1, /3 Real5 — and
// CMake selects the simulated ones (/0, /1: ordinary integration tests) and
// the real ones (/2, /3: labelled `real` too) by that index
// (tests/typed/CMakeLists.txt): keep the simulated environments first. ctest
// shows each test with its type: TypedAcquire.X<locklab::typed::SimEnv<1ul>>.
// (CMake 3.25's test discovery parses only numeric instantiation names.)
#pragma once

#include <gtest/gtest.h>

#include "typed/env.hpp"
#include "typed/real_env.hpp"
#include "typed/sim_env.hpp"

namespace locklab::typed {

using Envs = ::testing::Types<SimEnv<1>, SimEnv<5>, RealEnv<1>, RealEnv<5>>;

// The fixture of every typed suite: the environment is the type parameter.
template <typename E>
class TypedLock : public ::testing::Test {};

}  // namespace locklab::typed
