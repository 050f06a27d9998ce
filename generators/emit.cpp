#include "emit.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emit_manifest.h"
#include "engine_blob.h"
#include "error.h"
#include "npy.h"
#include "pack.h"

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

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << std::uppercase << std::setw(8) << std::setfill('0') << v;
  return s.str();
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

std::string c_qtype(const TensorQuant& q) {
  return "{" + std::to_string(q.type.bits) + ", " + std::to_string(int{q.type.is_signed}) + ", " +
         std::to_string(q.zero_point) + "}";
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
    << "#define DNNVP_WEIGHTS_ADDR " << hex(lay.weights_file.addr) << "u\n"
    << "#define DNNVP_WEIGHTS_BYTES " << lay.weights_file.bytes << "u\n"
    << "#define DNNVP_INPUT_ADDR " << hex(lay.input.addr) << "u\n"
    << "#define DNNVP_INPUT_BYTES " << lay.input.bytes << "u\n"
    << "#define DNNVP_OUTPUT_ADDR " << hex(lay.layers.back().output.addr) << "u\n"
    << "#define DNNVP_OUTPUT_BYTES " << lay.layers.back().output.bytes << "u\n"
    << "#define DNNVP_OUTPUT_ELEMENTS " << layers.back().output_shape.elements() << "u\n"
    << "#define DNNVP_EXPECTED_ADDR " << hex(lay.expected.addr) << "u\n"
    << "#define DNNVP_MODEL_END " << hex(lay.end) << "ull\n"
    << "#define DNNVP_TOTAL_MACS " << m.network.macs() << "ull\n\n"
    << "static const dnnvp_layer_t dnnvp_layers[DNNVP_NUM_LAYERS] = {\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const LayerParams& p = m.params[i];
    const LayerLayout& ll = lay.layers[i];
    const LayerPlan not_on_engine;  // all zero
    const LayerPlan& engine = plan.layers[i] ? *plan.layers[i] : not_on_engine;
    auto in_q = [&](size_t k) {
      return k < l.input_ids.size() ? c_qtype(m.quant_of(l.input_ids[k])) : "{0, 0, 0}";
    };
    auto in_addr = [&](size_t k) -> std::string {
      if (k >= l.input_ids.size()) return "0u";
      const int id = l.input_ids[k];
      return hex(id < 0 ? lay.input.addr : lay.layers[static_cast<size_t>(id)].output.addr) + "u";
    };
    auto in_layer = [&](size_t k) { return k < l.input_ids.size() ? std::to_string(l.input_ids[k]) : "0"; };
    const Shape is = l.input_shapes[0];
    const Shape os = l.output_shape;
    const TensorQuant wq{p.weight_type, 0, 1.0};
    o << "  {" << c_string(l.name) << ", " << static_cast<int>(l.type) << ", "
      << static_cast<int>(l.activation) << ", " << (l.activation == Activation::LeakyRelu ? l.leaky_shift : 0)
      << ", " << l.input_ids.size() << ", {" << in_layer(0) << ", " << in_layer(1) << "},\n"
      << "   " << l.kernel_h << ", " << l.kernel_w << ", " << l.stride_h << ", " << l.stride_w << ", "
      << l.padding.top << ", " << l.padding.left << ", " << l.padding.bottom << ", " << l.padding.right
      << ",\n"
      << "   {" << is.h << "u, " << is.w << "u, " << is.c << "u}, {" << os.h << "u, " << os.w << "u, " << os.c
      << "u},\n"
      << "   {" << in_q(0) << ", " << in_q(1) << "}, " << c_qtype(p.out) << ", "
      << (l.has_weights() ? c_qtype(wq) : "{0, 0, 0}") << ",\n   {" << in_addr(0) << ", " << in_addr(1)
      << "}, " << hex(ll.output.addr) << "u,\n"
      << "   " << hex(ll.blob.addr) << "u, " << ll.blob.bytes << "u, " << engine.tile_pixels << "u, "
      << engine.tiles.size() << "u, " << engine.geometry.chunks << "u, " << engine.geometry.blocks << "u, "
      << engine.geometry.passes << "u,\n"
      << "   {" << p.add.multiplier_a << ", " << p.add.multiplier_b << "}, " << p.add.shift << ", "
      << l.macs() << "ull},\n";
  }
  o << "};\n\n#endif /* DNNVP_MODEL_H */\n";
  return o.str();
}

void write_weights_bin(const fs::path& path, const Scenario& s, const SynthesizedModel& sm,
                       const MemoryLayout& lay) {
  std::vector<std::uint8_t> image(lay.weights_file.bytes, 0);
  const EngineConfig engine = engine_config(s.hardware, s.quant);
  const auto& layers = sm.model.network.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].has_weights()) continue;
    const std::vector<std::uint8_t> blob = engine_blob(layers[i], sm.model.params[i], engine);
    const Block& block = lay.layers[i].blob;
    if (blob.size() != block.bytes)
      throw Error("layer '" + layers[i].name + "': blob size differs from its layout");
    std::copy(blob.begin(), blob.end(), image.begin() + static_cast<std::ptrdiff_t>(block.offset));
  }
  std::ofstream out(path, std::ios::binary);
  write_bytes(out, image);
  if (!out) throw Error(path.string() + ": write failed");
}

void write_packed(const fs::path& path, const Tensor& t, int bits) {
  std::ofstream out(path, std::ios::binary);
  write_bytes(out, pack(t.data, bits));
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
    std::ostringstream prefix;
    prefix << std::setw(3) << std::setfill('0') << i << "_" << l.name << "_";  // names are file-safe
    auto path = [&](const char* what) { return (dir / (prefix.str() + what + ".npy")).string(); };
    const Shape os = l.output_shape;
    write_npy_int32(path("output"), sm.outputs[i].data, {os.h, os.w, os.c});
    if (l.has_weights()) {
      const std::int64_t cin = l.input_shapes[0].c;
      if (l.type == LayerType::Conv)
        write_npy_int32(path("weights"), p.weights, {l.filters, l.kernel_h, l.kernel_w, cin});
      else
        write_npy_int32(path("weights"), p.weights, {l.filters, cin});
      write_npy_int32(path("bias"), p.bias, {l.filters});
      std::vector<std::int32_t> mult;
      std::vector<std::int32_t> shift;
      for (const Requant& rq : p.requant) {
        mult.push_back(rq.multiplier);
        shift.push_back(rq.shift);
      }
      write_npy_int32(path("multiplier"), mult, {l.filters});
      write_npy_int32(path("shift"), shift, {l.filters});
    }
    if (l.type == LayerType::Add)
      write_npy_int32(path("add"), {p.add.multiplier_a, p.add.multiplier_b, p.add.shift}, {3});
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
  MemoryLayout layout = plan_layout(s);
  const SynthesizedModel model = synthesize(s);
  write_artifacts(s, model, layout, plan, dir, options);
  return layout;
}

void write_artifacts(const Scenario& s, const SynthesizedModel& sm, const MemoryLayout& lay,
                     const NetworkPlan& plan, const std::string& dir_name, const EmitOptions& options) {
  require_valid_names(s);
  StagedDirectory staged(dir_name);
  const fs::path& dir = staged.path();
  write_file(dir / "hw.json", json_text(hardware_json(s)));
  write_file(dir / "params.svh", params_svh(s));
  write_file(dir / "config.tcl", config_tcl(s));
  write_file(dir / "model.h", model_h(s, sm, lay, plan));
  write_weights_bin(dir / "weights.bin", s, sm, lay);
  write_packed(dir / "input.bin", sm.input, sm.model.input.type.bits);
  write_packed(dir / "expected.bin", sm.outputs.back(), sm.model.params.back().out.type.bits);
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
          {"accumulator_depth", h.accumulator_depth}};
}

}  // namespace dnnvp
