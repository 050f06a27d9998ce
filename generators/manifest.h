// manifest.json (vp_gen's description of an output directory, docs/formats.md) as one typed schema: the
// generators fill these structs and write them (emit_manifest.cpp), the platform reads them back (vp_sim,
// report.json, the run bound) and vp_run reads hw.json as a Hardware. Each struct names its keys once, in
// keys(), which both its to_json and its from_json walk, so writer and readers cannot drift apart.
//
// It lives in generators/ (library dnnvp_manifest) because the writer is here and the platform already
// depends on the generators' headers, while the generators must not depend on the platform; it needs
// only nlohmann::json and error.h (no SystemC, no generator internals), so the manifest fuzz target
// links it alone.
//
// Reading checks every key for presence and type; errors are dnnvp::Error naming the file and the key:
//
//   out/tiny_cnn/manifest.json: dram_image[0].bytes: expected an unsigned integer, got string "13184"
//   out/tiny_cnn/weights.bin: 4096 bytes, but manifest.json files."weights.bin" says 13184 (re-run vp_gen)
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine_shape.h"
#include "error.h"
#include "run_settings.h"
#include "sizing_outcome.h"

namespace dnnvp {
namespace manifest {

// [H, W, C]
using Shape = std::array<std::uint64_t, 3>;

struct Quant {
  std::uint64_t bits = 0;
  bool is_signed = false;
  std::int64_t zero_point = 0;
  double scale = 1.0;  // real = scale * (q - zero_point); informative only
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("bits", s.bits), v("signed", s.is_signed), v("zero_point", s.zero_point), v("scale", s.scale);
  }
};

// A block of a file and where it is loaded in DRAM.
struct Block {
  std::uint64_t offset = 0, bytes = 0, addr = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("offset", s.offset), v("bytes", s.bytes), v("addr", s.addr);
  }
};

struct ScenarioInfo {
  std::string name, file, description;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("name", s.name), v("file", s.file), v("description", s.description);
  }
};

struct NetworkInfo {
  std::string name, description;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("name", s.name), v("description", s.description);
  }
};

// The hardware fields that select a simulator build: the engine's shape (models/base/engine_shape.h, whose
// keys() names them; the generators' engine_shape_json() writes them).
using EngineShape = dnnvp::EngineShape;

struct Dram {
  std::string preset;
  std::uint64_t base = 0, size_mib = 0, firmware_mib = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("preset", s.preset), v("base", s.base), v("size_mib", s.size_mib), v("firmware_mib", s.firmware_mib);
  }
};

struct Quantization {
  std::uint64_t activation_bits = 0, weight_bits = 0;
  std::string requant;
  double calibration_percentile = 0;
  std::uint64_t weight_seed = 0, input_seed = 0;
  bool input_signed = false;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("activation_bits", s.activation_bits), v("weight_bits", s.weight_bits), v("requant", s.requant),
        v("calibration_percentile", s.calibration_percentile), v("weight_seed", s.weight_seed),
        v("input_seed", s.input_seed), v("input_signed", s.input_signed);
  }
};

// The scenario's run settings (models/base/run_settings.h, whose keys() names them; options may override
// them: run_options.h).
using Run = dnnvp::RunSettings;

// manifest.json's "hardware", and the whole of hw.json: the engine shape's keys at its top level.
struct Hardware {
  EngineShape shape;
  double clock_mhz = 0, cpu_mhz = 0;
  Dram dram;
  Quantization quantization;
  Run run;
  std::optional<Sizing> sizing;  // a sized engine only
  template <class S, class V>
  static void keys(S& s, V&& v) {
    EngineShape::keys(s.shape, v);
    v("clock_mhz", s.clock_mhz), v("cpu_mhz", s.cpu_mhz), v("dram", s.dram),
        v("quantization", s.quantization), v("run", s.run), v("sizing", s.sizing);
  }
};

struct InputInfo {
  Shape shape{};
  Quant quant;
  Block block;
  std::uint64_t seed = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("shape", s.shape), v("quant", s.quant), v("block", s.block), v("seed", s.seed);
  }
};

struct OutputInfo {
  std::string layer;  // the last layer's name
  Shape shape{};
  Quant quant;
  Block block;  // expected.bin's
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("layer", s.layer), v("shape", s.shape), v("quant", s.quant), v("block", s.block);
  }
};

// The images a run checks (docs/formats.md, "images"): image i's input at input.block.addr + i *
// input_stride, its expected output at output.block.addr + i * output_stride and the output the run
// leaves at result.addr + i * output_stride.
struct Images {
  std::uint64_t count = 0, input_stride = 0, output_stride = 0;
  std::vector<std::uint64_t> golden;                            // the golden model's predicted classes
  std::optional<std::vector<std::uint64_t>> labels, reference;  // input.labels, input.reference's classes
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("count", s.count), v("input_stride", s.input_stride), v("output_stride", s.output_stride),
        v("golden", s.golden), v("labels", s.labels), v("reference", s.reference);
  }
};

// Where the network's output lands in DRAM.
struct ResultRegion {
  std::uint64_t addr = 0, bytes = 0, elements = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("addr", s.addr), v("bytes", s.bytes), v("elements", s.elements);
  }
};

// A file the platform loads into DRAM before the firmware starts.
struct DramFile {
  std::string file;  // a plain file name in the manifest's directory
  std::uint64_t addr = 0, bytes = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("file", s.file), v("addr", s.addr), v("bytes", s.bytes);
  }
};

// The engine plan's DRAM traffic (docs/formats.md, "Engine plan").
struct DramTraffic {
  std::uint64_t weights = 0, input = 0, output = 0, lower_bound = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("weights", s.weights), v("input", s.input), v("output", s.output), v("lower_bound", s.lower_bound);
  }
};

// A Conv/Dense layer's engine plan.
struct LayerEngine {
  std::uint64_t tile_pixels = 0, tiles = 0, chunks = 0, blocks = 0, passes = 0, issue_cycles = 0;
  double utilisation_bound = 0;
  DramTraffic dram_bytes;
  // "kx_im2col": the layer reads its input laid out as the kx-im2col stem's X' (docs/engine.md, "Stem").
  std::optional<std::string> input_layout;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("tile_pixels", s.tile_pixels), v("tiles", s.tiles), v("chunks", s.chunks), v("blocks", s.blocks),
        v("passes", s.passes), v("issue_cycles", s.issue_cycles), v("utilisation_bound", s.utilisation_bound),
        v("dram_bytes", s.dram_bytes), v("input_layout", s.input_layout);
  }
};

struct Window {
  std::array<std::uint64_t, 2> kernel{}, stride{};  // [h, w]
  std::array<std::uint64_t, 4> padding{};           // [top, left, bottom, right]
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("kernel", s.kernel), v("stride", s.stride), v("padding", s.padding);
  }
};

struct AddParams {
  std::int64_t multiplier_a = 0, multiplier_b = 0, shift = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("multiplier_a", s.multiplier_a), v("multiplier_b", s.multiplier_b), v("shift", s.shift);
  }
};

// A layer's output buffer (no offset: it is in no file).
struct OutputBuffer {
  std::uint64_t bytes = 0, addr = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("bytes", s.bytes), v("addr", s.addr);
  }
};

struct LayerEntry {
  std::uint64_t index = 0;
  std::string name, type;  // type: conv, dense, maxpool, avgpool, flatten, add
  std::vector<std::string> inputs;
  std::vector<Shape> input_shapes;
  Shape output_shape{};
  std::string activation;
  std::uint64_t macs = 0, params = 0;
  Quant output_quant;
  OutputBuffer output;
  double saturation_rate = 0;
  std::optional<Window> window;                          // conv, maxpool, avgpool
  std::optional<std::uint64_t> leaky_shift;              // leaky_relu
  std::optional<std::uint64_t> weight_bits;              // conv, dense (from_json requires them there)
  std::optional<Block> blob;                             // conv, dense
  std::optional<LayerEngine> engine;                     // conv, dense
  std::optional<std::uint64_t> accumulator_bits_needed;  // conv, dense
  std::optional<AddParams> add;                          // add
  // Imported models: |M / 2^s - r| / r per output channel (conv, dense) or operand (add).
  std::optional<std::vector<double>> multiplier_error;
  std::string rounding;  // half_up, half_even (numerics.md "Rounding")
  // Whether the type runs on the engine (the layer-type list's placement).
  bool on_engine() const;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("index", s.index), v("name", s.name), v("type", s.type), v("inputs", s.inputs),
        v("input_shapes", s.input_shapes), v("output_shape", s.output_shape), v("activation", s.activation),
        v("macs", s.macs), v("params", s.params), v("output_quant", s.output_quant), v("output", s.output),
        v("saturation_rate", s.saturation_rate), v("window", s.window), v("leaky_shift", s.leaky_shift),
        v("weight_bits", s.weight_bits), v("blob", s.blob), v("engine", s.engine),
        v("accumulator_bits_needed", s.accumulator_bits_needed), v("add", s.add),
        v("multiplier_error", s.multiplier_error), v("rounding", s.rounding);
  }
};

// Over the Conv/Dense layers.
struct EngineTotals {
  std::uint64_t issue_cycles = 0, macs = 0;
  double utilisation_bound = 0, conv_utilisation_bound = 0;
  DramTraffic dram_bytes;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("issue_cycles", s.issue_cycles), v("macs", s.macs), v("utilisation_bound", s.utilisation_bound),
        v("conv_utilisation_bound", s.conv_utilisation_bound), v("dram_bytes", s.dram_bytes);
  }
};

struct Totals {
  std::uint64_t layers = 0, params = 0, params_unfolded = 0, macs = 0, weights_bytes = 0,
                activation_bytes = 0, dram_end = 0;
  EngineTotals engine;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("layers", s.layers), v("params", s.params), v("params_unfolded", s.params_unfolded), v("macs", s.macs),
        v("weights_bytes", s.weights_bytes), v("activation_bytes", s.activation_bytes),
        v("dram_end", s.dram_end), v("engine", s.engine);
  }
};

// What from_json throws: a fault and the key path to it, which every enclosing reader extends while it
// propagates ("tiles", then "engine.tiles", ... "layers[0].engine.tiles"); checked() adds the file.
class KeyError : public std::exception {
 public:
  KeyError(std::string path, std::string message) : path_(std::move(path)), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& path() const { return path_; }
  // `outer` is a key (joined with '.') or an index ("[3]").
  void prepend(const std::string& outer);

 private:
  std::string path_, message_;
};

}  // namespace manifest

// The whole manifest.json.
struct Manifest {
  std::uint64_t format_version = 0;
  manifest::ScenarioInfo scenario;
  manifest::NetworkInfo network;
  manifest::Hardware hardware;
  std::vector<manifest::LayerEntry> layers;
  manifest::Totals totals;
  std::map<std::string, std::uint64_t> files;  // byte size of each file the directory holds
  std::vector<manifest::DramFile> dram_image;
  manifest::ResultRegion result;
  manifest::OutputInfo output;
  manifest::InputInfo input;
  manifest::Images images;
  // dram_image's expected.bin (parse_manifest checks there is one).
  const manifest::DramFile& expected() const;
  // Read in this order, so the first fault reported is the first in this order.
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("format_version", s.format_version), v("scenario", s.scenario), v("network", s.network),
        v("hardware", s.hardware), v("layers", s.layers), v("totals", s.totals), v("files", s.files),
        v("dram_image", s.dram_image), v("result", s.result), v("output", s.output), v("input", s.input),
        v("images", s.images);
  }
};

// Every struct above but LayerEntry, whose from_json adds what only some layer types need, and the two
// that are models/base's (EngineShape, Run); X(T) each.
// clang-format off
#define DNNVP_MANIFEST_RECORDS(X)                                                                 \
  X(Quant) X(Block) X(ScenarioInfo) X(NetworkInfo) X(Dram) X(Quantization)                       \
  X(Hardware) X(InputInfo) X(OutputInfo) X(Images) X(ResultRegion) X(DramFile) X(DramTraffic)              \
  X(LayerEngine) X(Window) X(AddParams) X(OutputBuffer) X(EngineTotals) X(Totals) X(SizingUse) X(Sizing)
// clang-format on

// One pair per struct; from_json throws manifest::KeyError.
namespace manifest {
#define DNNVP_MANIFEST_DECLARE(T)                  \
  void to_json(nlohmann::json& j, const T& value); \
  void from_json(const nlohmann::json& j, T& value);
DNNVP_MANIFEST_RECORDS(DNNVP_MANIFEST_DECLARE)
DNNVP_MANIFEST_DECLARE(LayerEntry)
#undef DNNVP_MANIFEST_DECLARE
}  // namespace manifest
void to_json(nlohmann::json& j, const Manifest& value);
void from_json(const nlohmann::json& j, Manifest& value);
// The engine shape and the run settings as records (their keys checked as every record's); here, their
// namespace, where argument-dependent lookup finds them.
void to_json(nlohmann::json& j, const EngineShape& value);
void from_json(const nlohmann::json& j, EngineShape& value);
void to_json(nlohmann::json& j, const RunSettings& value);
void from_json(const nlohmann::json& j, RunSettings& value);

// `j` as a T, every key checked; a fault is a dnnvp::Error "SOURCE: KEY.PATH: what" ("(document)" for
// the whole of it).
template <class T>
T checked(const nlohmann::json& j, const std::string& source) {
  T value;
  try {
    from_json(j, value);
  } catch (const manifest::KeyError& e) {
    throw Error(source + ": " + (e.path().empty() ? "(document)" : e.path()) + ": " + e.what());
  }
  return value;
}

// Parses and checks manifest text (types, then that dram_image agrees with files, holds expected.bin,
// and that the result fits its bytes); `source` names it in errors.
Manifest parse_manifest(const std::string& text, const std::string& source);
// DIR/manifest.json
std::string manifest_path(const std::string& dir);
// Reads and checks manifest_path(dir), then every file it lists in `files` (present, a regular file, the
// size the manifest gives).
Manifest read_manifest_dir(const std::string& dir);

}  // namespace dnnvp
