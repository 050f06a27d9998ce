// engine_plan: how the engine would run a scenario's network, layer by layer (docs/engine.md,
// "Performance arithmetic"): tile size, tiles, issue cycles, utilisation bound and DRAM traffic.
#include <boost/program_options.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>

#include "command_line.h"
#include "engine_plan.h"
#include "error.h"
#include "layout.h"
#include "scenario.h"

namespace po = boost::program_options;

namespace {

std::string window(const dnnvp::Layer& l) {
  if (l.type == dnnvp::LayerType::Dense) return "dense";
  std::string w = std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w);
  if (l.stride_h != 1 || l.stride_w != 1)
    w += "/" + (l.stride_h == l.stride_w ? std::to_string(l.stride_h)
                                         : std::to_string(l.stride_h) + "x" + std::to_string(l.stride_w));
  return w;
}

double megabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / 1e6;
}

// The DRAM options a layer runs with (docs/engine.md "Tiling"): B<row step>, F, A<blocks per group>.
std::string options_of(const dnnvp::LayerPlan& p) {
  std::string o;
  if (p.row_step > 1) o += "B" + std::to_string(p.row_step);
  if (p.band_whole) o += o.empty() ? "F" : " F";
  if (p.block_group > 0) o += (o.empty() ? "A" : " A") + std::to_string(p.block_group);
  return o.empty() ? "-" : o;
}

// --dram-options: "none", "all" or a comma-separated list of row_step, band_whole, block_group.
dnnvp::DramOptions parse_dram_options(const std::string& list) {
  if (list == "none") return {};
  if (list == "all") return {true, true, true};
  dnnvp::DramOptions o;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (name == "row_step")
      o.row_step = true;
    else if (name == "band_whole")
      o.band_whole = true;
    else if (name == "block_group")
      o.block_group = true;
    else
      throw po::error("--dram-options: unknown option '" + name +
                      "' (none, all, or a list of row_step, band_whole, block_group)");
  }
  return o;
}

void print_plan(const dnnvp::Scenario& s, const dnnvp::NetworkPlan& plan) {
  const auto& h = s.hardware;
  std::printf("%s (%s) on %dx%d PEs, stream %d bits, AccDepth %d, input %d KiB, output %d KiB, %g MHz\n\n",
              s.name.c_str(), s.network.name.c_str(), h.rows, h.cols, h.stream_bits, h.accumulator_depth,
              h.input_buffer_kib, h.output_buffer_kib, h.clock_mhz);
  std::printf("%-22s %-28s %-6s %5s %6s %2s %-8s %13s %7s %9s %9s %6s\n", "layer", "input -> output",
              "window", "P", "tiles", "F", "DRAM opt", "issue cycles", "util", "DRAM MB", "lower MB",
              "ratio");
  std::uint64_t conv_bytes = 0, conv_lower = 0;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    if (!plan.layers[i]) continue;
    const dnnvp::Layer& l = s.network.layers[i];
    const dnnvp::LayerPlan& p = *plan.layers[i];
    const std::string shapes = l.input_shapes[0].str() + " -> " + l.output_shape.str();
    std::printf("%-22s %-28s %-6s %5lld %6zu %2d %-8s %13lld %6.1f%% %9.3f %9.3f %5.2fx", l.name.c_str(),
                shapes.c_str(), window(l).c_str(), static_cast<long long>(p.tile_pixels), p.tiles.size(),
                p.geometry.fold, options_of(p).c_str(), static_cast<long long>(p.issue_cycles),
                100.0 * p.utilisation_bound, megabytes(p.dram.total()), megabytes(p.dram.lower_bound),
                static_cast<double>(p.dram.total()) / static_cast<double>(p.dram.lower_bound));
    // What the layer runs besides itself (mapping.fuse).
    for (const int fused : {p.fused_add, p.folded_clip})
      if (fused >= 0) std::printf("  + %s", s.network.layers[static_cast<size_t>(fused)].name.c_str());
    if (p.geometry.op == dnnvp::EngineOp::Depthwise) std::printf("  depthwise taps on rows (OP 3)");
    // The engine's view of a kx-im2col stem (docs/engine.md, "Stem"), which the plan's figures are.
    if (p.engine_view)
      std::printf("  kx-im2col: %s on %s", window(*p.engine_view).c_str(),
                  p.engine_view->input_shapes[0].str().c_str());
    std::printf("\n");
    if (l.type == dnnvp::LayerType::Conv) {
      conv_bytes += p.dram.total();
      conv_lower += p.dram.lower_bound;
    }
  }
  const double seconds = static_cast<double>(plan.issue_cycles) / (h.clock_mhz * 1e6);
  std::printf("\ntotal: %lld issue cycles = %.3f ms at %g MHz = %.1f fps\n",
              static_cast<long long>(plan.issue_cycles), seconds * 1e3, h.clock_mhz, 1.0 / seconds);
  if (plan.conv_utilisation_bound > 0)
    std::printf("utilisation bound: %.1f%% over conv layers, %.1f%% over all engine layers\n",
                100.0 * plan.conv_utilisation_bound, 100.0 * plan.utilisation_bound);
  else
    std::printf("utilisation bound: %.1f%% (no conv layers)\n", 100.0 * plan.utilisation_bound);
  std::printf(
      "DRAM: %.3f MB (weights %.3f, input %.3f, output %.3f, descriptors %.3f) vs lower bound %.3f MB = "
      "%.3fx\n",
      megabytes(plan.dram.total()), megabytes(plan.dram.weights), megabytes(plan.dram.input),
      megabytes(plan.dram.output), megabytes(plan.dram.descriptors), megabytes(plan.dram.lower_bound),
      static_cast<double>(plan.dram.total()) / static_cast<double>(plan.dram.lower_bound));
  if (conv_lower > 0)
    std::printf("DRAM over conv layers: %.3f MB vs lower bound %.3f MB = %.3fx\n", megabytes(conv_bytes),
                megabytes(conv_lower), static_cast<double>(conv_bytes) / static_cast<double>(conv_lower));
}

// Where the model sits in DRAM; plan_layout() has already refused a model the DRAM cannot hold.
void print_memory(const dnnvp::Scenario& s, const dnnvp::MemoryLayout& layout) {
  const std::uint64_t used = layout.end - s.dram.base;
  std::printf(
      "memory: weights %.3f MB, model ends at 0x%08llX: %.1f of %d MiB DRAM (firmware %d MiB included)\n",
      megabytes(layout.weights_file.bytes), static_cast<unsigned long long>(layout.end),
      static_cast<double>(used) / (1 << 20), s.dram.size_mib, s.dram.firmware_mib);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description visible(
      "Usage: engine_plan [--dram-options LIST] SCENARIO\n\n"
      "Prints, for every engine layer of the scenario's network on its hardware (Conv/Dense, and pools\n"
      "with mapping.engine_pools), the tile size P, the tiles, the Cin-fold F, the DRAM options it uses\n"
      "(B<s>: bands of every s-th row, F: whole-buffer bands, A<G>: tiles in groups of G blocks), issue "
      "cycles\n"
      "(weight-stream starvation included), the utilisation upper bound and the DRAM traffic against its\n"
      "lower bound (blob, input, a fused add's operand and output once each); then the totals and where\n"
      "the model sits in DRAM.\n"
      "Layers on the CPU are not counted.\n"
      "A layer the buffers cannot hold or a model the DRAM cannot hold is an error (exit 1).\n"
      "See docs/scenarios.md and docs/engine.md.\n\nOptions");
  visible.add_options()("dram-options", po::value<std::string>(),
                        "plan with these DRAM options (none, all, or a comma-separated list of row_step, "
                        "band_whole, block_group) instead of the scenario's (those vp_gen uses)");
  po::variables_map vm;
  std::string scenario_path;
  std::optional<dnnvp::DramOptions> options;  // none: the scenario's
  try {
    if (!dnnvp::read_command_line("engine_plan", argc, argv, visible, vm, "scenario", &scenario_path))
      return 0;
    if (vm.count("dram-options") != 0) options = parse_dram_options(vm["dram-options"].as<std::string>());
  } catch (const po::error& e) {
    std::cerr << "engine_plan: " << e.what() << "\n" << visible << "\n";
    return 2;
  }
  if (scenario_path.empty()) {
    std::cerr << "engine_plan: need a SCENARIO (see --help)\n";
    return 2;
  }
  try {
    const dnnvp::Scenario scenario = dnnvp::load_scenario(scenario_path);
    print_plan(scenario, dnnvp::plan_network(scenario, options));
    std::cout.flush();
    print_memory(scenario, dnnvp::plan_layout(scenario));
    return 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "engine_plan: error: %s\n", e.what());
    return dynamic_cast<const dnnvp::Error*>(&e) != nullptr ? 2 : 1;  // 2: bad input, as vp_gen
  }
}
