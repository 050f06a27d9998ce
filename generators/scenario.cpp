#include "scenario.h"

#include <filesystem>

#include "dram_timing.h"
#include "error.h"
#include "fault_spec.h"
#include "hex.h"
#include "image_batch.h"
#include "network_yaml.h"
#include "onnx_import.h"
#include "yaml_fields.h"

namespace dnnvp {

const char* to_string(RequantMode mode) {
  switch (mode) {
    case RequantMode::PerChannel:
      return "per_channel";
    case RequantMode::PerTensor:
      return "per_tensor";
    case RequantMode::PowerOfTwo:
      return "power_of_two";
  }
  return "?";
}

namespace {

// An input file key (input.file, input.labels, input.reference): its path, resolved against the scenario's
// directory, of a file that exists; "" when the key is absent.
std::string input_file(const Fields& in, const char* key, const std::string& scenario_file) {
  if (!in.has(key)) return "";
  namespace fs = std::filesystem;
  fs::path p = in.required_string(key);
  if (p.is_relative()) p = fs::path(scenario_file).parent_path() / p;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) in.fail(key, "no such file '" + p.string() + "'");
  return p.string();
}

// network.onnx's model is imported by the caller; `onnx` gets its path.
Network read_network(const Fields& f, const std::string& scenario_file, std::string& onnx) {
  const int sources = int{f.has("zoo")} + int{f.has("file")} + int{f.has("layers")} + int{f.has("onnx")};
  if (sources != 1)
    throw Error(
        located(scenario_file, f.own_line(), f.path(), "give exactly one of zoo, file, layers or onnx"));
  Network net;
  if (f.has("onnx")) {
    namespace fs = std::filesystem;
    fs::path p = f.required_string("onnx");
    if (p.is_relative()) p = fs::path(scenario_file).parent_path() / p;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) f.fail("onnx", "no such file '" + p.string() + "'");
    onnx = p.string();
  } else if (f.has("zoo")) {
    net = load_zoo_network(f.required_string("zoo"), scenario_file, f.line("zoo"), f.field("zoo"));
  } else if (f.has("file")) {
    namespace fs = std::filesystem;
    fs::path p = f.required_string("file");
    if (p.is_relative()) p = fs::path(scenario_file).parent_path() / p;
    std::error_code ec;  // a path the file system cannot take (too long, say) is no file either
    if (!fs::is_regular_file(p, ec)) f.fail("file", "no such file '" + p.string() + "'");
    net = load_network_file(p.string());
  } else {
    net.source_file = scenario_file;
    net.name = "inline";
    parse_layers(f, net);
  }
  f.reject_unknown();
  return net;
}

// The model of network.onnx (or of vp_gen --onnx), its errors located at `line` of `file`.
ImportedModel import_located(const std::string& onnx, const std::string& file, int line) {
  try {
    return import_onnx(onnx);
  } catch (const Error& e) {
    if (file == onnx) throw;  // vp_gen --onnx: the message names the model already
    throw Error(located(file, line, "network.onnx", e.what()));
  }
}

// hardware.fpga (a part of generators/flows/fpga_parts.yaml) or hardware.asic ({area_mm2, clock_mhz}): the
// engine is sized for it (generators/sizing.h); the keys the sizer chooses that the scenario gives stay.
std::optional<SizingRequest> read_sizing_request(const Fields& hw) {
  const bool fpga = hw.has("fpga"), asic = hw.has("asic");
  if (!fpga && !asic) return std::nullopt;
  if (fpga && asic) hw.fail("asic", "give hardware.fpga or hardware.asic, not both");
  SizingRequest r;
  const char* key = fpga ? "fpga" : "asic";
  r.file = hw.file(), r.line = hw.line(key), r.field = hw.field(key);
  if (fpga) {
    r.fpga_part = hw.required_string("fpga");
  } else {
    const Fields a = hw.map("asic");
    r.area_mm2 = a.number("area_mm2", 0.0, 0.001, 10000.0);
    if (!a.has("area_mm2")) a.fail("area_mm2", "required field is missing");
    r.node_nm = static_cast<int>(a.integer("node_nm", 0, 1, 1000));
    if (a.has("clock_mhz")) {
      if (hw.has("clock_mhz")) a.fail("clock_mhz", "give the clock once: here or as hardware.clock_mhz");
      r.clock_mhz = a.number("clock_mhz", 0.0, 1.0, 5000.0);
    }
    a.reject_unknown();
  }
  for (const char* k : kSizedHardwareKeys)
    if (hw.has(k)) r.fixed.insert(k);
  return r;
}

// A scenario file's contents, or (onnx_model given: vp_gen --onnx) a hardware file's, whose network is
// that model and whose name is the model's file name.
Scenario read_scenario(const std::string& path, const YAML::Node& document, const std::string& onnx_model) {
  Scenario s;
  s.file = path;
  const Fields root(document, path, "");
  if (!onnx_model.empty()) {
    s.name = sanitised_name(std::filesystem::path(onnx_model).stem().string(), "model");
  } else if (root.has("name")) {
    s.name = read_name(root, "name");
  } else {
    s.name = std::filesystem::path(path).stem().string();
    if (const std::string problem = name_problem(s.name); !problem.empty())
      throw Error(
          located(path, 0, "name", "not given, so the file name without .yaml is used; it " + problem));
  }
  s.description = root.text("description", "");

  ImportedModel imported;
  int onnx_line = 0;
  if (!onnx_model.empty()) {
    s.onnx = onnx_model;
  } else {
    if (!root.has("network")) root.fail("network", "required field is missing");
    const Fields net = root.map("network");
    s.network = read_network(net, path, s.onnx);
    onnx_line = s.onnx.empty() ? 0 : net.line("onnx");
  }
  if (!s.onnx.empty()) {
    imported = import_located(s.onnx, onnx_model.empty() ? path : s.onnx, onnx_line);
    s.network = imported.model.network;
    // Before input.count is checked against the file: only a batched MatMul's [b, M, K] input is HWC.
    s.input.file_chw = imported.input_dims.size() != 3;
  }

  const Fields in = root.map("input");
  if (!s.onnx.empty())
    for (const char* key : {"shape", "signed"})
      if (in.has(key)) in.fail(key, "given by the model of network.onnx");
  if (in.has("shape")) {
    const auto shape = in.int_list("shape", {3}, 1, kMaxDim);
    s.network.input_shape = {static_cast<int>(shape[0]), static_cast<int>(shape[1]),
                             static_cast<int>(shape[2])};
  } else if (s.network.input_shape.elements() == 0) {
    in.fail("shape", "required for an inline network");
  }
  s.input.seed = static_cast<std::uint64_t>(in.integer("seed", 1, 0, INT64_MAX));
  s.input.is_signed = in.boolean("signed", false);
  s.input.file = input_file(in, "file", path);
  s.input.labels = input_file(in, "labels", path);
  s.input.reference = input_file(in, "reference", path);
  for (const char* key : {"labels", "reference", "count"})
    if (s.input.file.empty() && in.has(key)) in.fail(key, "needs input.file, the images it describes");
  if (in.has("count")) s.input.count = static_cast<std::size_t>(in.integer("count", 0, 1, image_count(s)));
  in.reject_unknown();

  const Fields q = root.map("quantization");
  s.quant.activation_bits =
      static_cast<int>(q.integer("activation_bits", kMaxQuantBits, kMinQuantBits, kMaxQuantBits));
  s.quant.weight_bits =
      static_cast<int>(q.integer("weight_bits", kMaxQuantBits, kMinQuantBits, kMaxQuantBits));
  const std::string mode = q.choice("requant", "per_channel", {"per_channel", "per_tensor", "power_of_two"});
  s.quant.requant = mode == "per_tensor"     ? RequantMode::PerTensor
                    : mode == "power_of_two" ? RequantMode::PowerOfTwo
                                             : RequantMode::PerChannel;
  s.quant.calibration_percentile = q.number("calibration_percentile", 99.99, 50.0, 100.0);
  s.quant.weight_seed = static_cast<std::uint64_t>(q.integer("weight_seed", 1, 0, INT64_MAX));
  const std::string rounding = q.choice("rounding", to_string(Rounding::HalfUp),
                                        {to_string(Rounding::HalfUp), to_string(Rounding::HalfEven)});
  s.quant.rounding = rounding == to_string(Rounding::HalfEven) ? Rounding::HalfEven : Rounding::HalfUp;
  q.reject_unknown();
  if (!s.onnx.empty()) {
    if (root.has("quantization"))
      for (const auto& key : root.node("quantization"))
        q.fail(key.first.as<std::string>(), "not used with network.onnx: the model carries its quantisation");
    try {
      adopt_imported(imported, s);
    } catch (const Error& e) {
      if (!onnx_model.empty()) throw;  // vp_gen --onnx: the message names the model already
      throw Error(located(path, onnx_line, "network.onnx", e.what()));
    }
  }
  const std::string widths = s.onnx.empty() ? "quantization." : "the model's ";

  const Fields hw = root.map("hardware");
  auto& h = s.hardware;
  h.rows = static_cast<int>(hw.integer("rows", h.rows, 1, 256));
  h.cols = static_cast<int>(hw.integer("cols", h.cols, 1, 256));
  h.activation_bits = static_cast<int>(hw.integer("activation_bits", s.quant.activation_bits, 2, 16));
  h.weight_bits = static_cast<int>(hw.integer("weight_bits", s.quant.weight_bits, 2, 16));
  if (h.activation_bits < s.quant.activation_bits)
    hw.fail("activation_bits", "must be at least " + widths + "activation_bits (" +
                                   std::to_string(s.quant.activation_bits) + "), got " +
                                   std::to_string(h.activation_bits));
  if (h.weight_bits < s.quant.weight_bits)
    hw.fail("weight_bits", "must be at least " + widths + "weight_bits (" +
                               std::to_string(s.quant.weight_bits) + "), got " +
                               std::to_string(h.weight_bits));
  h.accumulator_bits = static_cast<int>(hw.integer("accumulator_bits", h.accumulator_bits, 16, 32));
  h.stream_bits = static_cast<int>(hw.integer("stream_bits", h.stream_bits, 8, 1024));
  if ((h.stream_bits & (h.stream_bits - 1)) != 0)
    hw.fail("stream_bits", "must be a power of two, got " + std::to_string(h.stream_bits));
  h.input_buffer_kib = static_cast<int>(hw.integer("input_buffer_kib", h.input_buffer_kib, 1, 65536));
  h.weight_buffer_kib = static_cast<int>(hw.integer("weight_buffer_kib", h.weight_buffer_kib, 1, 65536));
  h.output_buffer_kib = static_cast<int>(hw.integer("output_buffer_kib", h.output_buffer_kib, 1, 65536));
  h.accumulator_depth = static_cast<int>(hw.integer("accumulator_depth", h.accumulator_depth, 1, 65535));
  h.fold_max = static_cast<int>(hw.integer("fold_max", h.fold_max, 1, kMaxFoldMax));
  if ((h.fold_max & (h.fold_max - 1)) != 0)
    hw.fail("fold_max", "must be a power of two, got " + std::to_string(h.fold_max));
  h.dw_line_pixels = static_cast<int>(hw.integer("dw_line_pixels", h.dw_line_pixels, 0, 65535));
  h.clock_mhz = hw.number("clock_mhz", h.clock_mhz, 1.0, 5000.0);
  h.cpu_mhz = hw.number("cpu_mhz", h.cpu_mhz, 1.0, 5000.0);
  s.sizing_request = read_sizing_request(hw);
  hw.reject_unknown();

  const Fields d = root.map("dram");
  s.dram.preset = d.choice("preset", s.dram.preset, DramTiming::preset_names());
  // The platform's memory map fixes where DRAM starts, and the 32-bit bus where it must end.
  constexpr std::int64_t kDramBase = memory_map::dram::kBase;
  constexpr std::int64_t kMaxDramMib = ((std::int64_t{1} << 32) - kDramBase) >> 20;
  const std::int64_t base = d.integer("base", kDramBase, 0, 0xFFFFFFFFLL);
  if (base != kDramBase)
    d.fail("base", "must be " + hex(kDramBase, 8, HexCase::upper) +
                       " (the DRAM region of platform/memory_map.yaml), got " +
                       hex(static_cast<std::uint64_t>(base), 8, HexCase::upper));
  s.dram.base = static_cast<std::uint32_t>(kDramBase);
  s.dram.size_mib = static_cast<int>(d.integer("size_mib", s.dram.size_mib, 16, kMaxDramMib));
  s.dram.firmware_mib = static_cast<int>(d.integer("firmware_mib", s.dram.firmware_mib, 1, 1024));
  if (s.dram.firmware_mib >= s.dram.size_mib) d.fail("firmware_mib", "must be smaller than dram.size_mib");
  d.reject_unknown();

  const Fields mapping = root.map("mapping");
  s.mapping.engine_pools = mapping.boolean("engine_pools", s.mapping.engine_pools);
  s.mapping.fuse = mapping.boolean("fuse", s.mapping.fuse);
  s.mapping.stem_im2col = mapping.boolean("stem_im2col", s.mapping.stem_im2col);
  for (const auto& [key, option] :
       {std::pair{"row_step", &s.mapping.row_step}, std::pair{"band_whole", &s.mapping.band_whole},
        std::pair{"block_group", &s.mapping.block_group}})
    if (mapping.has(key)) *option = mapping.boolean(key, false);
  mapping.reject_unknown();

  const Fields r = root.map("run");
  // The defaults are RunSettings' (models/base/run_settings.h).
  const auto count = [&r](const char* key, std::uint64_t fallback, std::int64_t min) {
    return static_cast<std::uint64_t>(r.integer(key, static_cast<std::int64_t>(fallback), min, INT64_MAX));
  };
  s.run.max_cycles = count("max_cycles", s.run.max_cycles, 0);
  s.run.watchdog_cycles = count("watchdog_cycles", s.run.watchdog_cycles, 100);
  s.run.stall_seed = count("stall_seed", s.run.stall_seed, 0);
  s.run.stall_probability = r.number("stall_probability", s.run.stall_probability, 0.0, 0.95);
  r.reject_unknown();

  if (root.has("faults")) {
    const YAML::Node list = root.node("faults");
    if (!list.IsSequence())
      root.fail("faults", "must be a list of fault specs, got " + Fields::describe(list));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const YAML::Node item = list[i];
      const std::string field = "faults[" + std::to_string(i) + "]";
      const int line = item.Mark().line + 1;
      if (!item.IsScalar())
        throw Error(located(path, line, field,
                            "must be a fault spec (KIND:KEY=VALUE,...), got " + Fields::describe(item)));
      try {
        faults::parse(item.Scalar());
      } catch (const faults::SpecError& e) {
        throw Error(located(path, line, e.key().empty() ? field : field + "." + e.key(), e.message()));
      }
      s.faults.push_back(item.Scalar());
    }
  }
  const Fields fw = root.map("firmware");
  s.firmware.wait_interrupt = fw.choice("wait", "poll", {"poll", "interrupt"}) == "interrupt";
  fw.reject_unknown();

  root.reject_unknown();
  s.network.infer_shapes();
  if (s.sizing_request) s.sizing = size_engine(s, *s.sizing_request, sizing_budget(*s.sizing_request, s));
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path) {
  return read_scenario(path, load_yaml_file(path), "");
}

Scenario load_scenario(const std::string& path, const YAML::Node& document) {
  return read_scenario(path, document, "");
}

Scenario load_onnx_scenario(const std::string& onnx_path, const std::string& hardware_path) {
  if (hardware_path.empty()) return read_scenario(onnx_path, YAML::Node(YAML::NodeType::Map), onnx_path);
  return read_scenario(hardware_path, load_yaml_file(hardware_path), onnx_path);
}

}  // namespace dnnvp
