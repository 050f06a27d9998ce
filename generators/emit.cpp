#include "emit.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "asic_handoff.h"
#include "asic_osu.h"
#include "emit_manifest.h"
#include "engine_blob.h"
#include "engine_table.h"
#include "error.h"
#include "fpga_outputs.h"
#include "hex.h"
#include "layer_kind.h"
#include "npy.h"
#include "onnx_import.h"
#include "pack.h"
#include "stem.h"

namespace dnnvp {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// JSON text; strings that are not UTF-8 (a scenario's file path may not be) get U+FFFD rather than
// making the dump throw half-way through the output.
std::string json_text(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw Error(path.string() + ": write failed");
}

void write_bytes(std::ofstream& out, const std::vector<std::uint8_t>& bytes) {
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Addresses in model.h: eight upper-case digits.
std::string address(std::uint64_t v) {
  return hex(v, 8, HexCase::upper);
}

// (name, value) pairs shared by the SystemVerilog and Tcl parameter files.
std::vector<std::pair<std::string, std::int64_t>> rtl_parameters(const Scenario& s) {
  const auto& h = s.hardware;
  return {{"Rows", h.rows},
          {"Cols", h.cols},
          {"ActBits", h.activation_bits},
          {"WeightBits", h.weight_bits},
          {"AccBits", h.accumulator_bits},
          {"StreamBits", h.stream_bits},
          {"InputBufferBytes", std::int64_t{h.input_buffer_kib} * 1024},
          {"WeightBufferBytes", std::int64_t{h.weight_buffer_kib} * 1024},
          {"OutputBufferBytes", std::int64_t{h.output_buffer_kib} * 1024},
          {"AccDepth", h.accumulator_depth},
          {"FoldMax", h.fold_max},
          {"DwLinePixels", h.dw_line_pixels},
          {"ClockKhz", static_cast<std::int64_t>(h.clock_mhz * 1000.0 + 0.5)}};
}

std::string params_svh(const Scenario& s) {
  std::ostringstream o;
  o << "// Engine parameters for scenario '" << s.name << "', written by vp_gen. Do not edit.\n"
    << "`ifndef DNNVP_PARAMS_SVH\n`define DNNVP_PARAMS_SVH\n";
  for (const auto& [name, value] : rtl_parameters(s))
    o << "localparam int unsigned " << name << " = " << value << ";\n";
  o << "`endif\n";
  return o.str();
}

std::string config_tcl(const Scenario& s) {
  std::ostringstream o;
  o << "# Engine parameters for scenario '" << s.name << "', written by vp_gen. Do not edit.\n";
  for (const auto& [name, value] : rtl_parameters(s)) o << "set " << name << " " << value << "\n";
  o << "set ClockMhz " << s.hardware.clock_mhz << "\n";
  return o.str();
}

// A C string literal holding exactly `s`: quotes, backslashes and '?' (trigraphs) escaped, any other
// byte outside printable ASCII as a three-digit octal escape (which no following character extends).
std::string c_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c == '?') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += '\\';
      for (int shift = 6; shift >= 0; shift -= 3) out += static_cast<char>('0' + ((c >> shift) & 7));
    }
  }
  return out + "\"";
}

// How model.h spells a field of each `how` of DNNVP_LAYER_FIELDS.
void put_INT(std::ostream& o, std::int64_t v) {
  o << v;
}
void put_U32(std::ostream& o, std::uint32_t v) {
  o << v << "u";
}
void put_U64(std::ostream& o, std::uint64_t v) {
  o << v << "ull";
}
void put_ADDR(std::ostream& o, std::uint32_t v) {
  o << address(v) << "u";
}
void put_STR(std::ostream& o, const char* v) {
  o << c_string(v);
}
void put_SHAPE(std::ostream& o, const dnnvp_shape_t& v) {
  o << "{" << v.h << "u, " << v.w << "u, " << v.c << "u}";
}
void put_QTYPE(std::ostream& o, const dnnvp_qtype_t& v) {
  o << "{" << int{v.bits} << ", " << int{v.is_signed} << ", " << v.zero_point << "}";
}

// A row's initializer, field by field in the struct's order (both come from DNNVP_LAYER_FIELDS).
std::string c_initializer(const dnnvp_layer_t& row) {
  std::ostringstream o;
  const char* sep = "";
#define DNNVP_PUT_FIELD_(TYPE, NAME, HOW) \
  o << sep;                               \
  put_##HOW(o, row.NAME);                 \
  sep = ", ";
#define DNNVP_PUT_ARRAY_(TYPE, NAME, COUNT, HOW) \
  o << sep << "{";                               \
  for (size_t k = 0; k < (COUNT); ++k) {         \
    if (k > 0) o << ", ";                        \
    put_##HOW(o, row.NAME[k]);                   \
  }                                              \
  o << "}";                                      \
  sep = ", ";
  DNNVP_LAYER_FIELDS(DNNVP_PUT_FIELD_, DNNVP_PUT_ARRAY_)
#undef DNNVP_PUT_FIELD_
#undef DNNVP_PUT_ARRAY_
  return "{" + o.str() + "}";
}

// Layer i's row with the addresses of the layout.
dnnvp_layer_t table_row(const QuantizedModel& m, const MemoryLayout& lay, const NetworkPlan& plan, size_t i) {
  const auto& engine = plan.layers[i];
  dnnvp_layer_t row = layer_table_row(m, i, engine ? &*engine : nullptr);
  const Layer& l = m.network.layers[i];
  for (size_t k = 0; k < l.input_ids.size(); ++k) {
    const int id = l.input_ids[k];
    row.in_addr[k] =
        static_cast<std::uint32_t>(id < 0 ? lay.input.addr : lay.layers[static_cast<size_t>(id)].output.addr);
  }
  const LayerLayout& ll = lay.layers[i];
  row.out_addr = static_cast<std::uint32_t>(ll.output.addr);
  row.blob_addr = static_cast<std::uint32_t>(ll.blob.addr);
  row.blob_bytes = static_cast<std::uint32_t>(ll.blob.bytes);
  row.fused_into = static_cast<std::int16_t>(plan.fused_into[i]);
  if (engine && engine->fused_add >= 0) {  // operand b: the add's input that is not this layer's output
    const Layer& add = m.network.layers[static_cast<size_t>(engine->fused_add)];
    const dnnvp_layer_t add_row = table_row(m, lay, plan, static_cast<size_t>(engine->fused_add));
    for (size_t k = 0; k < add.input_ids.size(); ++k)
      if (add.input_ids[k] != static_cast<int>(i)) row.res_addr = add_row.in_addr[k];
  }
  return row;
}

std::string model_h(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
                    const NetworkPlan& plan) {
  const QuantizedModel& m = sm.model;
  const auto& layers = m.network.layers;
  std::ostringstream o;
  o << "/* Layer table for scenario '" << s.name << "' (" << m.network.name
    << "), written by vp_gen. Do not edit. */\n"
    << "#ifndef DNNVP_MODEL_H\n#define DNNVP_MODEL_H\n\n#include \"dnnvp_model_types.h\"\n\n"
    << "#define DNNVP_MODEL_NAME " << c_string(m.network.name) << "\n"
    << "#define DNNVP_NUM_LAYERS " << layers.size() << "u\n"
    << "#define DNNVP_WEIGHTS_ADDR " << address(lay.weights_file.addr) << "u\n"
    << "#define DNNVP_WEIGHTS_BYTES " << lay.weights_file.bytes << "u\n"
    << "#define DNNVP_INPUT_ADDR " << address(lay.input.addr) << "u\n"
    << "#define DNNVP_INPUT_BYTES " << lay.input_image_bytes << "u\n"
    << "#define DNNVP_OUTPUT_ADDR " << address(lay.layers.back().output.addr) << "u\n"
    << "#define DNNVP_OUTPUT_BYTES " << lay.layers.back().output.bytes << "u\n"
    << "#define DNNVP_OUTPUT_ELEMENTS " << layers.back().output_shape.elements() << "u\n"
    << "#define DNNVP_EXPECTED_ADDR " << address(lay.expected.addr) << "u\n"
    << "#define DNNVP_NUM_IMAGES " << lay.images << "u\n"
    << "#define DNNVP_INPUT_STRIDE " << lay.input_stride << "u\n"
    << "#define DNNVP_OUTPUT_STRIDE " << lay.output_stride << "u\n"
    << "#define DNNVP_RESULTS_ADDR " << address(lay.results.addr) << "u\n"
    << "#define DNNVP_MODEL_END " << address(lay.end) << "ull\n"
    << "#define DNNVP_TOTAL_MACS " << m.network.macs() << "ull\n"
    << "#define DNNVP_WAIT_INTERRUPT " << (s.firmware.wait_interrupt ? 1 : 0) << "\n\n"
    << "static const dnnvp_layer_t dnnvp_layers[DNNVP_NUM_LAYERS] = {\n";
  for (size_t i = 0; i < layers.size(); ++i) o << "  " << c_initializer(table_row(m, lay, plan, i)) << ",\n";
  o << "};\n\n#endif /* DNNVP_MODEL_H */\n";
  return o.str();
}

void write_weights_bin(const fs::path& path, const Scenario& s, const SynthesizedModel& sm,
                       const MemoryLayout& lay, const NetworkPlan& plan) {
  std::vector<std::uint8_t> image(lay.weights_file.bytes, 0);
  const EngineConfig engine = engine_config(s.hardware, s.quant);
  const auto& layers = sm.model.network.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].has_weights()) continue;
    const std::vector<std::uint8_t> blob =
        engine_blob(plan.layers[i].value().engine_layer(layers[i]), sm.model.params[i], engine,
                    plan.layers[i]->geometry.fold);
    const Block& block = lay.layers[i].blob;
    if (blob.size() != block.bytes)
      throw Error("layer '" + layers[i].name + "': blob size differs from its layout");
    std::copy(blob.begin(), blob.end(), image.begin() + static_cast<std::ptrdiff_t>(block.offset));
  }
  std::ofstream out(path, std::ios::binary);
  write_bytes(out, image);
  if (!out) throw Error(path.string() + ": write failed");
}

// Every tensor packed, each but the last padded with zeros to `stride` bytes (a batch in the layout).
void write_packed(const fs::path& path, const std::vector<Tensor>& batch, int bits, std::uint64_t stride) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::vector<std::uint8_t> bytes = pack(batch[i].data, bits);
    if (i + 1 < batch.size()) bytes.resize(stride, 0);
    write_bytes(out, bytes);
  }
  if (!out) throw Error(path.string() + ": write failed");
}

void dump_layers(const fs::path& dir, const SynthesizedModel& sm) {
  fs::create_directories(dir);
  const QuantizedModel& m = sm.model;
  const auto& in_shape = m.network.input_shape;
  write_npy_int32((dir / "input.npy").string(), sm.input.data, {in_shape.h, in_shape.w, in_shape.c});
  for (size_t i = 0; i < m.network.layers.size(); ++i) {
    const Layer& l = m.network.layers[i];
    const LayerParams& p = m.params[i];
    // Names are file-safe.
    auto path = [&](const char* what) { return (dir / layer_dump_file(i, l.name, what)).string(); };
    const Shape os = l.output_shape;
    write_npy_int32(path("output"), sm.outputs[i].data, {os.h, os.w, os.c});
    layer_kind(l.type).dump(l, p, path);
  }
}

// Names become comments in Tcl, SystemVerilog and C, C strings and file names. The readers accept only
// valid ones; a scenario built another way with a name that is not is refused before anything is written.
void require_valid_names(const Scenario& s) {
  auto check = [&](const char* what, const std::string& name) {
    if (const std::string problem = name_problem(name); !problem.empty())
      throw Error(s.file + ": " + what + " name " + problem);
  };
  check("scenario", s.name);
  check("network", s.network.name);
  for (const Layer& l : s.network.layers) check("layer", l.name);
}

// Marks a directory vp_gen made itself and may therefore replace whole.
constexpr const char* kOwnedMarker = ".vp_gen_output";
constexpr const char* kOwnedMarkerText =
    "Written by vp_gen. Its next run into this directory replaces everything in it (docs/formats.md).\n";

// The output directory, written under a temporary name beside its final place and moved there only
// when complete: a failed run leaves no partial output, a new one no stale files. A directory vp_gen
// made (absent or empty before, or marked) is replaced whole, so files other tools wrote there from
// the last output (vp_run's report, firmware) go too; in any other directory only vp_gen's own files
// and layers/ are replaced, so `-o .` never deletes anything else.
class StagedDirectory {
 public:
  explicit StagedDirectory(const std::string& dir) : name_(dir) {
    target_ = fs::absolute(dir).lexically_normal();
    if (!target_.has_filename()) target_ = target_.parent_path();   // "out/x/" and "."
    if (fs::is_symlink(target_)) target_ = fs::canonical(target_);  // stage beside the real directory
    if (target_ == target_.root_path()) throw Error(dir + ": cannot be an output directory");
    std::error_code ec;
    if (fs::exists(target_, ec) && !fs::is_directory(target_, ec))
      throw Error(dir + ": exists and is not a directory");
    fs::create_directories(target_.parent_path(), ec);
    staging_ = make_temporary(".vp_gen-new-");
    // mkdtemp makes it private; it may become DIR itself, which gets the mode a new directory would.
    const mode_t umask_bits = ::umask(0);
    ::umask(umask_bits);
    fs::permissions(staging_, static_cast<fs::perms>(0777 & ~umask_bits), ec);
    owned_ = !fs::exists(target_) || fs::is_empty(target_) || fs::exists(target_ / kOwnedMarker);
    if (owned_) write_file(staging_ / kOwnedMarker, kOwnedMarkerText);
  }
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  ~StagedDirectory() {
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
  }

  const fs::path& path() const { return staging_; }

  // Moves the staged files into place: renames within one file system, the old entries aside first.
  // If a rename fails, those done are undone, so DIR keeps its old content.
  void commit() {
    std::error_code ec;
    if (!fs::exists(target_)) {
      fs::rename(staging_, target_, ec);
      if (ec) throw Error(name_ + ": cannot create output directory: " + ec.message());
      return;
    }
    std::vector<fs::path> replaced{"layers", kOwnedMarker};
    for (const auto& e : fs::directory_iterator(staging_)) replaced.push_back(e.path().filename());
    if (owned_) {
      replaced.clear();
      for (const auto& e : fs::directory_iterator(target_)) replaced.push_back(e.path().filename());
    }
    const fs::path trash = make_temporary(".vp_gen-old-");
    std::vector<std::pair<fs::path, fs::path>> done;  // (from, to) of every rename so far
    auto move = [&](const fs::path& from, const fs::path& to) {
      fs::rename(from, to, ec);
      if (!ec) {
        done.emplace_back(from, to);
        return;
      }
      const std::string what = name_ + ": cannot move " + from.filename().string() + ": " + ec.message();
      bool undone = true;
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        fs::rename(it->second, it->first, ec);
        undone = undone && !ec;
      }
      if (!undone)  // the old content is still in the trash directory: never delete it
        throw Error(what + "; the earlier output could not all be put back and is kept in " + trash.string());
      fs::remove_all(trash, ec);
      throw Error(what);
    };
    for (const fs::path& entry : replaced)
      if (fs::exists(fs::symlink_status(target_ / entry))) move(target_ / entry, trash / entry);
    std::vector<fs::path> staged;
    for (const auto& e : fs::directory_iterator(staging_)) staged.push_back(e.path().filename());
    for (const fs::path& entry : staged) move(staging_ / entry, target_ / entry);
    fs::remove_all(trash, ec);
  }

 private:
  // A new directory beside the target: ".<target name><kind>XXXXXX".
  fs::path make_temporary(const std::string& kind) const {
    std::string pattern =
        (target_.parent_path() / ("." + target_.filename().string() + kind + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw Error(name_ + ": cannot create a directory beside it: " + std::strerror(errno));
    return pattern;
  }

  std::string name_;
  fs::path target_;
  fs::path staging_;
  bool owned_ = false;
};

}  // namespace

MemoryLayout generate(const Scenario& s, const std::string& dir, const EmitOptions& options) {
  const NetworkPlan plan = plan_network(s);
  MemoryLayout layout = plan_layout(s, plan);
  const SynthesizedModel model = s.onnx.empty() ? synthesize(s) : synthesize_imported(s);
  write_artifacts(s, model, layout, plan, dir, options);
  return layout;
}

void write_artifacts(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
                     const NetworkPlan& plan, const std::string& dir_name, const EmitOptions& options) {
  require_valid_names(s);
  if (sm.batch.images.size() != lay.images)
    throw Error(s.file + ": the model holds " + std::to_string(sm.batch.images.size()) +
                " images, its memory layout " + std::to_string(lay.images));
  StagedDirectory staged(dir_name);
  const fs::path& dir = staged.path();
  write_file(dir / "hw.json", json_text(hardware_json(s)));
  write_file(dir / "params.svh", params_svh(s));
  write_file(dir / "config.tcl", config_tcl(s));
  fs::create_directory(dir / "asic");
  for (const HandoffFile& f : asic_handoff_files(rtl_parameters(s)))
    write_file(dir / "asic" / f.name, f.text);
  // hardware.fpga names the part (it sized the engine too); without one, fpga_parts.yaml's default part.
  const std::string part = s.sizing_request ? s.sizing_request->fpga_part : std::string();
  if (const std::optional<std::string> tcl = scenario_vivado_tcl(s, part)) write_file(dir / "vivado.tcl", *tcl);
  if (const std::optional<json> map = scenario_address_map(part))
    write_file(dir / "address_map.json", json_text(*map));
  if (const std::optional<json> r = scenario_resources(s, part, options.resources))
    write_file(dir / "resources.json", json_text(*r));
  if (const std::optional<json> a =
          flows::shape_asic(engine_shape_from_json(engine_shape_json(s.hardware), s.file), options.asic))
    write_file(dir / "asic" / "osu018.json", json_text(*a));
  write_file(dir / "model.h", model_h(s, sm, lay, plan));
  write_weights_bin(dir / "weights.bin", s, sm, lay, plan);
  std::vector<Tensor> inputs;
  for (const Tensor& image : sm.batch.images) inputs.push_back(engine_input(image, sm.model, plan));
  write_packed(dir / "input.bin", inputs, sm.model.input.type.bits, lay.input_stride);
  write_packed(dir / "expected.bin", sm.batch.outputs, sm.model.params.back().out.type.bits,
               lay.output_stride);
  write_file(dir / "manifest.json", json_text(manifest_json(s, sm, lay, plan)));
  if (options.dump_layers) dump_layers(dir / "layers", sm);
  staged.commit();
}

json engine_shape_json(const HardwareConfig& h) {
  return {{"rows", h.rows},
          {"cols", h.cols},
          {"activation_bits", h.activation_bits},
          {"weight_bits", h.weight_bits},
          {"accumulator_bits", h.accumulator_bits},
          {"stream_bits", h.stream_bits},
          {"input_buffer_bytes", h.input_buffer_kib * 1024},
          {"weight_buffer_bytes", h.weight_buffer_kib * 1024},
          {"output_buffer_bytes", h.output_buffer_kib * 1024},
          {"accumulator_depth", h.accumulator_depth},
          {"fold_max", h.fold_max},
          {"dw_line_pixels", h.dw_line_pixels}};
}

}  // namespace dnnvp
