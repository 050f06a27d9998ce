// Catch2's main. SystemC's library brings its own main() calling sc_main(); ours wins, and sc_main only has
// to exist for the link. Each test case that simulates must run in its own process (ctest does that).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

extern "C" int sc_main(int, char*[]) { return 0; }
