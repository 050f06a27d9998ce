// Catch2 runner for the SystemC tests. Each test case elaborates and runs one simulation, so ctest runs
// every test case in its own process (catch_discover_tests); running the binary with no filter runs only
// the first SystemC case and fails the others with a clear message.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

#include <systemc>

// libsystemc's main() would call sc_main; this binary's own main() runs Catch instead.
int sc_main(int, char**) {
  return 0;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return Catch::Session().run(argc, argv);
}
