// tests/typed/suite.hpp — the environments every typed lock test runs in.
//
// Provides Envs (one, then five servers, simulated and real) for
// TYPED_TEST_SUITE(Name, Envs, EnvName). Test names end in Sim1, Sim5, Real1
// or Real5 after the slash; CMake registers the Sim ones as ordinary
// integration tests and the Real ones with the `real` label too.
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
