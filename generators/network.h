// Network intermediate representation: layers, tensor shapes, shape inference and counting.
#pragma once

#include <any>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "arith.h"
#include "dnnvp_model_types.h"

namespace dnnvp {

// The layer types of firmware/abi/dnnvp_model_types.h, with the same values.
#define DNNVP_LAYER_CXX_ENUMERATOR_(ID, Name, name, PLACE) Name = DNNVP_LAYER_##ID,
enum class LayerType { DNNVP_LAYER_TYPES(DNNVP_LAYER_CXX_ENUMERATOR_) };
#undef DNNVP_LAYER_CXX_ENUMERATOR_

const char* to_string(LayerType type);
const char* to_string(Activation act);

// Activations are laid out HWC (batch 1); a vector is 1x1xC.
struct Shape {
  int h = 0;
  int w = 0;
  int c = 0;
  std::int64_t elements() const { return std::int64_t{h} * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;
};

struct Padding {
  int top = 0;
  int left = 0;
  int bottom = 0;
  int right = 0;
};

// Largest height, width and channel count of a tensor the engine reads or writes: its descriptor holds
// them in 16 bits (IN_W, IN_H, IN_C, OUT_W, OUT_C in rtl/dnn_core.sv). Every Conv/Dense layer runs on the
// engine, so this also bounds their input channels (a flatten can make more).
inline constexpr int kMaxDim = 65535;

// The engine's convolution windows (docs/engine.md): kernels 1..kMaxConvKernel, strides 1..kMaxConvStride.
inline constexpr int kMaxConvKernel = 11;
inline constexpr int kMaxConvStride = 4;

// Name of the network's input tensor when a layer names its producer explicitly.
inline constexpr const char* kNetworkInput = "input";

// Scenario, network and layer names become directory and file names, C string literals and comments in
// Tcl, SystemVerilog and C, so they are restricted to characters that mean nothing in any of them
// (docs/scenarios.md, "Names"): 1..kMaxNameLength of A-Z a-z 0-9 _ . -, not starting with . or -.
inline constexpr std::size_t kMaxNameLength = 64;
// "" for a valid name, else what is wrong with it ("must be ...").
std::string name_problem(const std::string& name);

struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::vector<std::string> inputs;  // producer layer names (or kNetworkInput); Add has two
  int filters = 0;                  // Conv: output channels; Dense: units
  int groups = 1;  // Conv: input and output channels split into this many independent groups (depthwise: Cin)
  int kernel_h = 1;
  int kernel_w = 1;
  int stride_h = 1;
  int stride_w = 1;
  Padding padding;
  bool global = false;            // pooling over the whole input
  bool bias = false;              // an explicit bias
  bool batchnorm_folded = false;  // batch norm folded in: implies a bias
  Activation activation = Activation::None;
  int leaky_shift = 3;  // LeakyReLU slope is 2^-leaky_shift
  int source_line = 0;  // line in the defining YAML file, for error messages
  // Fields of a type that only its LayerKind (generators/layers/<type>.cpp) reads and writes, so a new
  // type's fields need no member here.
  std::any kind_fields;

  // Layers that run on the engine are the ones with weights (docs/engine.md, "What runs where").
  bool has_weights() const { return dnnvp_layer_on_engine(static_cast<std::uint32_t>(type)) != 0; }
  bool has_bias() const { return bias || batchnorm_folded; }

  // Filled by Network::infer_shapes().
  std::vector<int> input_ids;  // -1 is the network input
  std::vector<Shape> input_shapes;
  Shape output_shape;

  std::int64_t weight_count() const;
  std::int64_t param_count() const;           // weights + bias (batch norm folded)
  std::int64_t param_count_unfolded() const;  // as frameworks count before folding
  std::int64_t macs() const;
  // Products summed into one accumulator (kernel_h * kernel_w * Cin / groups for Conv, Cin for Dense).
  std::int64_t reduction_length() const;
};

struct NetworkReference {
  std::int64_t params = 0;
  std::int64_t params_unfolded = 0;
  std::int64_t macs = 0;
  std::string source;
};

struct Network {
  std::string name;
  std::string description;
  std::string source_file;              // where it was defined, for error messages
  std::string layers_field = "layers";  // dotted path of the layer list in that file
  Shape input_shape;
  std::vector<Layer> layers;
  NetworkReference reference;

  // Resolves producer names, checks the graph and computes every layer's shapes. Throws
  // dnnvp::Error naming the layer (and its source line) on any inconsistency.
  void infer_shapes();
  int find_layer(const std::string& name) const;  // -1 if absent

  std::int64_t param_count() const;
  std::int64_t param_count_unfolded() const;
  std::int64_t macs() const;
};

}  // namespace dnnvp
