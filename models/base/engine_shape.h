// The DNN engine's shape: the parameters of rtl/dnn_engine.sv and how a model of it was built (tracing,
// assertions). Defined once here, with the default shape's values; the named shapes (tests, shipped
// simulators, lint sets) are in rtl/engine_shapes.json (docs/engine.md, "Named shapes"). Everything that
// names a shape's build uses engine_shape_key(): vp_run's simulator cache (<build>/vp_sim/<key>), the
// shipped simulators CMake records (tools/engine_shapes.cpp prints them at configure time) and report.json's
// "engine_model".
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dnnvp {

struct EngineShape {
  int rows = 8, cols = 16;
  int stream_bits = 64;  // AXI-Stream TDATA width of every engine stream
  int act_bits = 8, weight_bits = 8, acc_bits = 32;
  int acc_depth = 1024;              // output pixels per tile at most
  int input_buffer_bytes = 262144;   // two halves (ping-pong), one value per byte
  int weight_buffer_bytes = 16384;   // FIFO between the weight stream and the array
  int output_buffer_bytes = 262144;  // two halves, one value per byte
  int fold_max = 1;                  // input-buffer words written (loader) and read per cycle: Cin-fold
  int dw_line_pixels = 0;            // depthwise feed's line-buffer pixels (0: no feed, MODE.OP 3 refused)
  bool trace = false;                // built with FST tracing
  bool assertions = false;           // built with the RTL's assertions (--assert)

  // The parameters' JSON keys (hw.json, manifest.json, rtl/engine_shapes.json), for manifest.h's schema.
  template <class S, class V>
  static void keys(S& s, V&& v);
};

// One parameter and its spellings: the member (CMake's argument is its name in capitals: ACT_BITS), the
// JSON key, the RTL parameter and the key's letters. A parameter added after simulators were cached under
// their keys is left out of the key at its default value (keyed_at_default false), so those keys stay.
// minimum: the smallest legal value (0 for a feature a 0 leaves out).
struct EngineParameter {
  const char* name;
  const char* json_key;
  const char* rtl_name;
  const char* key_prefix;
  int EngineShape::*member;
  bool keyed_at_default = true;
  int minimum = 1;
};
inline constexpr std::array<EngineParameter, 12> kEngineParameters = {{
    {"rows", "rows", "Rows", "r", &EngineShape::rows},
    {"cols", "cols", "Cols", "c", &EngineShape::cols},
    {"stream_bits", "stream_bits", "StreamBits", "s", &EngineShape::stream_bits},
    {"act_bits", "activation_bits", "ActBits", "a", &EngineShape::act_bits},
    {"weight_bits", "weight_bits", "WeightBits", "w", &EngineShape::weight_bits},
    {"acc_bits", "accumulator_bits", "AccBits", "acc", &EngineShape::acc_bits},
    {"acc_depth", "accumulator_depth", "AccDepth", "d", &EngineShape::acc_depth},
    {"input_buffer_bytes", "input_buffer_bytes", "InputBufferBytes", "i", &EngineShape::input_buffer_bytes},
    {"weight_buffer_bytes", "weight_buffer_bytes", "WeightBufferBytes", "wb",
     &EngineShape::weight_buffer_bytes},
    {"output_buffer_bytes", "output_buffer_bytes", "OutputBufferBytes", "o",
     &EngineShape::output_buffer_bytes},
    {"fold_max", "fold_max", "FoldMax", "f", &EngineShape::fold_max, false},
    {"dw_line_pixels", "dw_line_pixels", "DwLinePixels", "dw", &EngineShape::dw_line_pixels, false, 0},
}};

// CMake's name of a parameter (dnnvp_engine_model()'s argument, cmake/vp_sim's DNNVP_ENGINE_<name>):
// ACT_BITS.
std::string cmake_name(const EngineParameter& parameter);

template <class S, class V>
void EngineShape::keys(S& s, V&& v) {
  for (const EngineParameter& p : kEngineParameters) v(p.json_key, s.*p.member);
}

// The canonical name of a build of a shape, e.g. "r4c8s64a8w8acc32d1024i262144wb16384o262144" (+ "f4" when
// fold_max is not 1, "dw128" when dw_line_pixels is not 0; + "-trace", "-assert"): vp_run caches simulators
// under <build>/vp_sim/<key>, report.json's "engine_model".
std::string engine_shape_key(const EngineShape& shape);

// The parameters as a JSON object (json_key: value; no trace or assertions).
nlohmann::json engine_shape_json(const EngineShape& shape);
// `base` with the parameters `j` gives (JSON keys; others are kept); throws std::invalid_argument naming
// `source` and the key for an unknown key or a value below the parameter's minimum (1, or 0 for
// dw_line_pixels).
EngineShape engine_shape_from_json(const nlohmann::json& j, const std::string& source,
                                   const EngineShape& base = {});
// Throws std::invalid_argument naming `source` when a parameter is below its minimum, stream_bits is not a
// multiple of 8 or fold_max is not a power of two up to kMaxFoldMax.
// The widest Cin-fold: the descriptor's fold field F (docs/engine.md "Cin-fold") counts up to it.
inline constexpr int kMaxFoldMax = 8;
void check_engine_shape(const EngineShape& shape, const std::string& source);

// A shape of rtl/engine_shapes.json (`file`), and what the main build makes of it.
struct NamedEngineShape {
  std::string name;
  EngineShape shape;           // the default shape with the entry's parameters
  bool shipped = false;        // the main build makes its simulator (vp_sim_<rows>x<cols>)
  bool shipped_trace = false;  // ... and one with tracing (vp_sim_<rows>x<cols>_trace)
  bool lint = false;           // tools/rtl_lint.sh lints the RTL at it
};
// Every shape of `file`, in its order; throws std::invalid_argument naming the file and the entry.
std::vector<NamedEngineShape> read_engine_shapes(const std::string& file);
// The shape called `name` in `file`; throws std::invalid_argument listing the names when there is none.
EngineShape named_engine_shape(const std::string& name, const std::string& file);

}  // namespace dnnvp
