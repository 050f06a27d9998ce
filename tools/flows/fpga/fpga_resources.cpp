// fpga_resources: the FPGA resources (LUT, FF, DSP, BRAM36, URAM) of an engine shape from Yosys
// synth_xilinx, cached per shape and RTL revision, and how they compare with a part's budget
// (docs/fpga.md "Resource estimates").
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "command_line.h"
#include "error.h"
#include "fpga_resources.h"

namespace po = boost::program_options;
namespace fl = dnnvp::flows;

int main(int argc, char** argv) {
  po::options_description visible(
      "Usage: fpga_resources [--shape NAME] [--set KEY=VALUE ...] [--part PART] [--family xc7|xcup]\n\n"
      "Estimates the engine's FPGA resources with Yosys synth_xilinx (minutes for a large shape; cached\n"
      "under $DNNVP_CACHE_DIR or <build>/flow-cache) and prints them as JSON; with --part, whether they\n"
      "fit the part (generators/flows/fpga_parts.yaml) and which resource binds. Exit status 0, 1 when\n"
      "it does not fit, 2 for bad input, 3 when Yosys fails. See docs/fpga.md.\n\nOptions");
  std::vector<std::string> sets;
  std::string shape_name = "default", part_name, family;
  visible.add_options()("shape", po::value<std::string>(&shape_name),
                        "a named shape of rtl/engine_shapes.json (default: the default shape)")(
      "set", po::value<std::vector<std::string>>(&sets),
      "KEY=VALUE: an engine parameter (hw.json's keys: rows=7, cols=96, ...) over the shape")(
      "part", po::value<std::string>(&part_name), "an FPGA part of generators/flows/fpga_parts.yaml")(
      "family", po::value<std::string>(&family), "synth_xilinx -family (default: the part's, else xcup)")(
      "cached-only", "print the cached estimate, or fail (status 3) without running Yosys");
  po::variables_map vm;
  try {
    if (!dnnvp::read_command_line("fpga_resources", argc, argv, visible, vm)) return 0;
  } catch (const po::error& e) {
    std::cerr << "fpga_resources: " << e.what() << "\n" << visible << "\n";
    return 2;
  }
  fl::FpgaParts parts;
  const fl::FpgaPart* part = nullptr;
  dnnvp::EngineShape shape;
  try {
    parts = fl::load_fpga_parts();
    if (!part_name.empty()) part = &parts.part(part_name);
    if (family.empty()) family = part != nullptr ? part->family : "xcup";
    if (family != "xc7" && family != "xcup")
      throw dnnvp::Error("--family: xc7 or xcup, got '" + family + "'");
    shape = dnnvp::named_engine_shape(shape_name, std::string(DNNVP_SOURCE_DIR) + "/rtl/engine_shapes.json");
    nlohmann::json over = nlohmann::json::object();
    for (const std::string& s : sets) {
      const std::size_t eq = s.find('=');
      if (eq == std::string::npos) throw dnnvp::Error("--set " + s + ": expected KEY=VALUE");
      try {
        over[s.substr(0, eq)] = std::stoi(s.substr(eq + 1));
      } catch (const std::exception&) {
        throw dnnvp::Error("--set " + s + ": the value is not an integer");
      }
    }
    shape = dnnvp::engine_shape_from_json(over, "--set", shape);
    dnnvp::check_engine_shape(shape, "--set");
  } catch (const std::exception& e) {
    std::cerr << "fpga_resources: error: " << e.what() << "\n";
    return 2;
  }
  try {
    const fl::FlowCache cache;
    const std::optional<fl::FpgaResources> cached = fl::cached_resources(cache, shape, family);
    if (!cached && vm.count("cached-only"))
      throw std::runtime_error("no cached estimate for " + dnnvp::engine_shape_key(shape) + " (" + family +
                               ")");
    const fl::FpgaResources r = cached ? *cached : fl::estimate_resources(cache, shape, family);
    nlohmann::json j = fl::resources_json(r, part);
    j.erase("cells");
    j["shape"] = dnnvp::engine_shape_key(shape);
    j["cached"] = cached.has_value();
    std::cout << j.dump(2) << "\n";
    return part != nullptr && !j["fits"].get<bool>() ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "fpga_resources: error: " << e.what() << "\n";
    return 3;
  }
}
