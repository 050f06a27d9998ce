// Calibration of the fast engine against the rtl engine (docs/engine_model.md): every engine layer of a
// scenario through the firmware driver on both engines (the bridge bench, each engine in a child process:
// SystemC elaborates once per process), every output element compared with the golden model on both, the
// outputs' hashes equal, and each layer's engine cycles (the CYCLES counter) equal, the per-layer error
// printed (the goal is 2 %; the model is cycle-exact, over the zoo at three shapes too: tools/bench
// fast-model).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "bridge_bench.h"

namespace {

constexpr std::size_t kMaxLayers = 32;

struct Numbers {
  std::uint64_t output_hash = 0, mismatches = 0, layers = 0;
  std::array<std::uint64_t, kMaxLayers> cycles{}, macs{}, layer_macs{};
  double eval_seconds = 0;
  bool ok = false;
};

// run_bench on `engine` in a child process; its numbers through a pipe.
Numbers run_child(const std::string& engine, const std::string& scenario) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    Numbers n;
    try {
      bridge_test::BenchOptions o;
      o.scenario = scenario;
      o.engine = engine;
      o.stall_probability = 0;
      const bridge_test::BenchResult r = bridge_test::run_bench(o);
      n.output_hash = r.numbers.output_hash;
      n.mismatches = r.numbers.mismatches;
      n.layers = std::min(r.layers.size(), kMaxLayers);
      for (std::size_t k = 0; k < n.layers; ++k) {
        n.cycles[k] = r.layers[k].cycles;
        n.macs[k] = r.layers[k].macs;
        n.layer_macs[k] = r.layers[k].layer_macs;
      }
      n.eval_seconds = r.eval_seconds;
      n.ok = r.errors.empty() && r.finished && !r.watchdog;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", engine.c_str(), e.what());
    }
    const ssize_t written = write(fds[1], &n, sizeof n);
    _exit(written == static_cast<ssize_t>(sizeof n) ? 0 : 1);
  }
  close(fds[1]);
  Numbers n;
  std::size_t got = 0;
  while (got < sizeof n) {
    const ssize_t k = read(fds[0], reinterpret_cast<char*>(&n) + got, sizeof n - got);
    if (k <= 0) break;
    got += static_cast<std::size_t>(k);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(got == sizeof n);
  return n;
}

}  // namespace

TEST_CASE("the fast engine gives the rtl engine's outputs and its cycles per layer (tiny_cnn, 4x8)",
          "[fast][calibration]") {
  const Numbers rtl = run_child("rtl", DNNVP_BRIDGE_SCENARIO);
  const Numbers fast = run_child("fast", DNNVP_BRIDGE_SCENARIO);
  REQUIRE(rtl.ok);
  REQUIRE(fast.ok);
  CHECK(rtl.mismatches == 0);
  CHECK(fast.mismatches == 0);
  CHECK(fast.output_hash == rtl.output_hash);
  REQUIRE(fast.layers == rtl.layers);
  double worst = 0;
  for (std::size_t k = 0; k < rtl.layers; ++k) {
    const double error = (static_cast<double>(fast.cycles[k]) - static_cast<double>(rtl.cycles[k])) /
                         static_cast<double>(rtl.cycles[k]);
    std::printf("layer %zu: rtl %llu cycles, fast %llu (%+.2f %%)\n", k,
                static_cast<unsigned long long>(rtl.cycles[k]),
                static_cast<unsigned long long>(fast.cycles[k]), 100 * error);
    worst = std::max(worst, std::fabs(error));
    CHECK(fast.macs[k] == rtl.macs[k]);
    CHECK(fast.macs[k] == fast.layer_macs[k]);
    CHECK(fast.cycles[k] == rtl.cycles[k]);
  }
  std::printf("max per-layer cycle error %.2f %%; engine eval rtl %.4f s, fast %.4f s\n", 100 * worst,
              rtl.eval_seconds, fast.eval_seconds);
}
