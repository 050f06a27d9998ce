// Times the golden model on a scenario: weight synthesis + calibration, then a pure inference rerun.
#include <chrono>
#include <cstdio>

#include "error.h"
#include "scenario.h"
#include "synthesize.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_golden SCENARIO\n");
    return 2;
  }
  try {
    using clock = std::chrono::steady_clock;
    const dnnvp::Scenario s = dnnvp::load_scenario(argv[1]);
    const auto t0 = clock::now();
    const dnnvp::SynthesizedModel m = dnnvp::synthesize(s);
    const auto t1 = clock::now();
    const auto outputs = dnnvp::run_network(m.model, m.input);
    const auto t2 = clock::now();
    const double synth = std::chrono::duration<double>(t1 - t0).count();
    const double infer = std::chrono::duration<double>(t2 - t1).count();
    const bool same = outputs.back().data == m.outputs.back().data;
    std::printf("golden %-10s synthesize+calibrate %6.2f s   inference %6.2f s   %.2f GMAC/s   rerun %s\n",
                s.name.c_str(), synth, infer, s.network.macs() / infer / 1e9, same ? "identical" : "DIFFERS");
    std::printf("golden %-10s inference / 60 s budget = %.3f\n", s.name.c_str(), infer / 60.0);
    return same ? 0 : 1;
  } catch (const dnnvp::Error& e) {
    std::fprintf(stderr, "bench_golden: error: %s\n", e.what());
    return 1;
  }
}
