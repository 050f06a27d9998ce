// One place per layer type: everything the generators know about a type (its scenario fields, shape
// inference, counting, quantisation, golden arithmetic, model.h row and layer dump) is one LayerKind in
// generators/layers/<name>.cpp. The types themselves, their order and where they run (engine or CPU)
// are the list in firmware/abi/dnnvp_model_types.h; the common code dispatches through layer_kind().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dnnvp_model_types.h"
#include "golden.h"
#include "network.h"
#include "rng.h"
#include "scenario.h"
#include "synthesize.h"
#include "yaml_fields.h"

namespace dnnvp {

namespace manifest {  // manifest.h: the kinds that fill these include it
struct LayerEntry;
struct Window;
}  // namespace manifest

// A layer's producers as the golden model and the quantisation see them, in the order of its inputs.
struct Operand {
  const Tensor& tensor;
  const TensorQuant& quant;
};
using Operands = std::vector<Operand>;
// Layer l's operands: the network input or earlier layers' outputs.
Operands layer_operands(const QuantizedModel& m, const Layer& l, const Tensor& input,
                        const std::vector<Tensor>& outputs);

// Throws a dnnvp::Error naming the layer's field (empty: the layer itself).
using LayerFail = std::function<void(const std::string& field, const std::string& message)>;

// What the quantisation of one layer may use besides the layer.
struct QuantizeContext {
  const Scenario& scenario;
  Rng& rng;  // the layer's own random stream
};

class LayerKind {
 public:
  virtual ~LayerKind() = default;

  // Producers the layer reads; more than one are listed under `inputs`, one is the optional `input`.
  virtual size_t inputs() const { return 1; }
  // Reads the type's own fields of a scenario layer (name, type and producers are already read).
  virtual void parse(const Fields& f, Layer& l) const = 0;
  // The output shape from l.input_shapes (checked against each other by the type); may fill fields
  // that follow from the input (a global window).
  virtual Shape infer_shape(Layer& l, const LayerFail& fail) const = 0;
  // True if the output is the input's memory (no copy; the layout gives both one address).
  virtual bool output_aliases_input() const { return false; }
  // Products summed into one accumulator (engine layers); 0 for the others.
  virtual std::int64_t reduction_length(const Layer&) const { return 0; }

  // Chooses the output's quantisation and the type's parameters (p), counts saturation into st and
  // returns the golden output.
  virtual Tensor quantize(const QuantizeContext& c, const Layer& l, const Operands& in, LayerParams& p,
                          LayerStats& st) const = 0;
  // The golden output (docs/numerics.md).
  virtual Tensor run(const Layer& l, const LayerParams& p, const Operands& in) const = 0;

  // For types whose output keeps the first input's scale and type (quantize() of pools, flatten):
  // that quantisation and the golden output.
  Tensor keep_input_quant(const Layer& l, const Operands& in, LayerParams& p) const {
    p.out = in.at(0).quant;
    return run(l, p, in);
  }

  // The type's own fields of its model.h row (engine_table.h: the common fields are filled already),
  // given the type of each input.
  virtual void table_row(const Layer&, const LayerParams&, const std::vector<TensorQuant>& /*in_quants*/,
                         dnnvp_layer_t&) const {}
  // The type's own fields of its manifest.json layer entry (a window, add parameters); the common and
  // the engine fields are not the type's.
  virtual void manifest_fields(const Layer&, const LayerParams&, manifest::LayerEntry&) const {}
  // The type's own arrays of `vp_gen --dump-layers` (path("what") is the file of array "what").
  virtual void dump(const Layer&, const LayerParams&, const std::function<std::string(const char*)>&) const {}
};

// The kind of a layer type (every LayerType has one).
const LayerKind& layer_kind(LayerType type);
// The type with scenario name `name` ("conv"); false if there is none.
bool layer_type_named(const std::string& name, LayerType& type);
// Every type's scenario name, in the list's order.
std::vector<std::string> layer_type_names();

// ---- helpers the kinds share ----

// `activation` (none, relu, leaky_relu) and `leaky_shift`.
void parse_activation(const Fields& f, Layer& l);
// `kernel`, `stride` (default: 1 for conv, the kernel for pools), `padding`; `global` for pools.
void parse_window(const Fields& f, Layer& l, bool is_conv);
// A window layer's window as manifest.json spells it.
manifest::Window manifest_window(const Layer& l);
// Output height and width of a window layer (a global window becomes the whole input).
Shape infer_window_shape(Layer& l, int channels, const LayerFail& fail);
// An add's multipliers and shift for the real ratios s_a/s_y and s_b/s_y (docs/numerics.md, "Add").
AddParams add_params(double ra, double rb, const Layer& l);
// A clip layer's limits (real values), for clips made in code (the ONNX importer).
void set_clip_range(Layer& l, double min, double max);

}  // namespace dnnvp
