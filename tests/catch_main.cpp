// Catch2's runner for every C++ test executable, compiled once (tests/CMakeLists.txt, dnnvp_catch_main):
// Catch2 v2's runner costs about 20 s of compile per copy.
// SystemC tests: SystemC cannot restart a simulation, so each test case elaborates and runs one simulation
// and ctest runs every case in its own process (catch_discover_tests).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

// libsystemc brings its own main() calling sc_main(); this main() wins, and sc_main only has to exist for
// the link (it is unused in executables without SystemC).
extern "C" int sc_main(int /*argc*/, char* /*argv*/[]) {
  return 0;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return Catch::Session().run(argc, argv);
}
