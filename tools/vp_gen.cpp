// vp_gen: scenario -> engine parameters, firmware layer table, weights, input and golden output.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "asic_osu.h"
#include "command_line.h"
#include "emit.h"
#include "error.h"
#include "fpga_outputs.h"
#include "layout.h"
#include "scenario.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description visible(
      "Usage: vp_gen SCENARIO -o DIR [options]\n"
      "       vp_gen --onnx MODEL.onnx [--hardware HW.yaml] -o DIR [options]\n\n"
      "Turns a scenario (network + hardware) into the artefacts the RTL, the firmware and the\n"
      "platform need: hw.json, params.svh, config.tcl, model.h, weights.bin, input.bin,\n"
      "expected.bin (the golden model's output), manifest.json and asic/ (the ASIC hand-off:\n"
      "docs/asic.md). See docs/scenarios.md and\n"
      "docs/formats.md. With --onnx, the network is a quantised ONNX model (docs/onnx.md) and the\n"
      "scenario is named after its file.\n\nOptions");
  visible.add_options()("out,o", po::value<std::string>(),
                        "output directory: created, or replaced whole if vp_gen made it (docs/formats.md)")(
      "dump-layers",
      "also write every layer's integer weights, bias, requantisation and output as .npy under DIR/layers")(
      "quiet,q", "print nothing but errors")(
      "resources",
      "estimate the engine's FPGA resources with Yosys when they are not cached (minutes for a large shape; "
      "docs/fpga.md): DIR/resources.json, checked against hardware.fpga's budget")(
      "asic",
      "the engine's OSU 0.18 um area and timing (Yosys, OpenSTA; minutes for a large shape) when they are not "
      "cached: DIR/asic/osu018.json (docs/asic.md)")(
      "onnx", po::value<std::string>(), "the network: a quantised ONNX model instead of a SCENARIO")(
      "hardware", po::value<std::string>(),
      "with --onnx: a YAML file with a scenario's hardware (and dram, mapping, run) sections");
  po::variables_map vm;
  std::string scenario_path;
  try {
    if (!dnnvp::read_command_line("vp_gen", argc, argv, visible, vm, "scenario", &scenario_path)) return 0;
  } catch (const po::error& e) {
    std::cerr << "vp_gen: " << e.what() << "\n" << visible << "\n";
    return 2;
  }
  const bool onnx = vm.count("onnx") != 0;
  if (scenario_path.empty() == !onnx || !vm.count("out") || (vm.count("hardware") && !onnx)) {
    std::cerr << "vp_gen: need a SCENARIO or --onnx MODEL (--hardware only with --onnx), and -o DIR (see --help)\n";
    return 2;
  }
  const bool quiet = vm.count("quiet") != 0;
  try {
    const auto start = std::chrono::steady_clock::now();
    const dnnvp::Scenario scenario =
        onnx ? dnnvp::load_onnx_scenario(vm["onnx"].as<std::string>(),
                                         vm.count("hardware") ? vm["hardware"].as<std::string>() : "")
             : dnnvp::load_scenario(scenario_path);
    if (!quiet && scenario.sizing) std::printf("vp_gen: sizing: %s\n", scenario.sizing->explanation.c_str());
    const std::string dir = vm["out"].as<std::string>();
    const bool resources = vm.count("resources") != 0;
    if (resources && !quiet)
      std::printf("vp_gen: FPGA resources: Yosys synth_xilinx unless cached (docs/fpga.md)\n");
    const bool asic = vm.count("asic") != 0;
    if (asic && !quiet)
      std::printf("vp_gen: ASIC area and timing: Yosys and OpenSTA unless cached (docs/asic.md)\n");
    const dnnvp::MemoryLayout layout =
        dnnvp::generate(scenario, dir, {vm.count("dump-layers") != 0, resources, asic});
    if (!quiet) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("vp_gen: %s (%s): %zu layers, %lld params, %.3f GMACs, weights %.2f MB -> %s (%.1f s)\n",
                  scenario.name.c_str(), scenario.network.name.c_str(), scenario.network.layers.size(),
                  static_cast<long long>(scenario.network.param_count()), scenario.network.macs() / 1e9,
                  layout.weights_file.bytes / 1e6, dir.c_str(), seconds);
      if (const auto r = dnnvp::read_resources_json(dir))
        std::printf("vp_gen: %s\n", dnnvp::resources_summary(*r).c_str());
      if (const auto a = dnnvp::flows::read_asic_json(dir))
        std::printf("vp_gen: %s\n", dnnvp::flows::asic_summary(*a).c_str());
    }
    return 0;
  } catch (const dnnvp::Error& e) {  // bad input: the user changes the scenario, model or hardware
    std::cerr << "vp_gen: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vp_gen: error: " << e.what() << "\n";
    return 1;
  }
}
