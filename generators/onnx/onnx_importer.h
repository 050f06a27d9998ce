// The ONNX importer (docs/onnx.md). Nodes are visited in topological order; each tensor becomes a Value:
// a constant, a quantised constant (weights), a quantised activation (a layer's output or the graph
// input), the real-valued view of one (after DequantizeLinear or a QONNX Quant), or the float result of a
// Conv/Gemm/MatMul/Add still waiting for the QuantizeLinear that makes it a layer. A node that cannot be
// mapped is recorded and its outputs poisoned, so one message lists every such node.
// The importer's private header: the Importer class, whose member functions are defined by job in
// onnx_graph.cpp, onnx_quant_nodes.cpp, onnx_layers.cpp and onnx_qoperator.cpp, and the small types and
// helpers more than one of them needs.
#pragma once

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "error.h"
#include "layer_kind.h"
#include "onnx_model.h"
#include "onnx_tensor.h"

namespace dnnvp {
namespace onnx_import {

// Ties to even: the default floating-point rounding mode, which nothing in dnn-vp changes.
inline double round_half_even(double v) {
  return std::nearbyint(v);
}

// Why a node cannot be imported; collected, not fatal on its own.
struct Unsupported {
  std::string reason;
};

[[noreturn]] inline void unsupported(const std::string& reason) {
  throw Unsupported{reason};
}

// Weights as the model quantised them: stored integers, and per slice along `axis` (or per tensor,
// axis -1) a scale and zero point.
struct QConst {
  std::vector<std::int64_t> dims;
  std::vector<std::int32_t> q;
  std::vector<double> scales;
  std::vector<std::int32_t> zero_points;
  int axis = -1;
  bool is_int32 = false;  // a bias
};

// A quantised activation tensor: the output of layer `producer` (-1: the graph input).
struct Act {
  int producer = -1;
  Shape shape;
  TensorQuant quant;
  std::int32_t lo = 0;  // stored values lie in [lo, hi]
  std::int32_t hi = 0;
  bool known = true;         // the graph input's scale and zero point are set by its first consumer
  bool per_channel = false;  // the graph input quantised per channel: no layer can take it
  Shape chw_flat_of;         // a flatten of this HxWxC tensor in ONNX's CHW order (h*w > 1)
  // An ONNX rank-3 tensor [b, M, C] (a batched MatMul's operand or result) held as H = b, W = M, C: only
  // ops that act on the last axis or elementwise may read it (docs/onnx.md, "Rank-3 tensors").
  bool rank3 = false;
};

// A Conv/Gemm/MatMul/Add result in the real domain, waiting for its QuantizeLinear.
struct Pending {
  const onnx::NodeProto* node = nullptr;  // the node that names the layer
  Layer layer;
  LayerParams params;
  std::vector<int> inputs;         // acts
  std::vector<double> acc_scale;   // per output channel: real value of one accumulator unit
  std::vector<std::int32_t> bias;  // in accumulator units, exactly
  std::vector<double> bias_real;   // real, quantised at the end
  bool integer = false;            // ConvInteger/MatMulInteger output before its Cast
  bool has_clip = false;
  double clip_lo = 0.0;
  double clip_hi = 0.0;
};

enum class Kind { Const, QConstant, Act, View, FloatInput, Pending, Final, Poison };

struct Value {
  Kind kind = Kind::Poison;
  std::shared_ptr<const ConstTensor> c;
  std::shared_ptr<const QConst> qc;
  int act = -1;
  std::shared_ptr<const Pending> pending;
};

inline std::string node_label(const onnx::NodeProto& n) {
  return "node " + quoted(n.name()) + " (" + n.op_type() + ", domain " +
         (n.domain().empty() ? std::string("ai.onnx") : n.domain()) + ")";
}

inline const onnx::AttributeProto* find_attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

inline std::int64_t int_attr(const onnx::NodeProto& n, const std::string& name, std::int64_t fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->i() : fallback;
}

inline std::string string_attr(const onnx::NodeProto& n, const std::string& name,
                               const std::string& fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->s() : fallback;
}

// A per-tensor value or one per channel, as `channels` values.
inline std::vector<double> per_channel(const std::vector<double>& v, int channels, const std::string& what) {
  if (v.size() == 1) return std::vector<double>(static_cast<size_t>(channels), v[0]);
  if (static_cast<int>(v.size()) != channels)
    unsupported(what + " has " + std::to_string(v.size()) + " values for " + std::to_string(channels) +
                " channels");
  return v;
}

inline void require_finite(const ConstTensor& t, const std::string& what) {
  for (const double v : t.values)
    if (!std::isfinite(v)) unsupported(what + " holds a value that is not finite");
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source) : model_(model), source_(std::move(source)) {}

  ImportedModel run();

 private:
  // ---- reading the graph ----

  void check_opset();
  void define(const std::string& name, Value v, const std::string& by);
  void read_initializers(const onnx::GraphProto& g);
  void read_graph_input(const onnx::GraphProto& g);
  int widest_activation_bits(const onnx::GraphProto& g) const;
  std::vector<int> topological_order(const onnx::GraphProto& g);

  // ---- visiting nodes ----

  void visit(const onnx::NodeProto& n);
  const Value* input(const onnx::NodeProto& n, int k) const;
  const Value& required(const onnx::NodeProto& n, int k) const;
  const ConstTensor& constant(const onnx::NodeProto& n, int k) const;
  std::vector<double> scales(const onnx::NodeProto& n, int k) const;
  std::vector<std::int32_t> zero_points(const onnx::NodeProto& n, int k, QuantType& type) const;
  std::vector<Value> handle(const onnx::NodeProto& n);
  Value constant_node(const onnx::NodeProto& n);
  static Value const_value(std::shared_ptr<const ConstTensor> c);
  static Value act_value(int act, Kind kind);
  int view_act(const onnx::NodeProto& n, int k) const;
  int qoperator_act(const onnx::NodeProto& n, int k, double scale, std::int32_t zero_point, QuantType type);
  void set_or_check_quant(int id, const std::vector<double>& s, const std::vector<std::int32_t>& zp,
                          QuantType type);
  std::string tensor_name(int act) const;
  void set_input_quant(const std::vector<double>& s, const std::vector<std::int32_t>& zp, const Act& a);
  // The stored type of an activation of the given signedness (the model's one activation width).
  QuantType storage(bool is_signed) const { return {activation_bits_, is_signed}; }

  // ---- QuantizeLinear / DequantizeLinear / QONNX Quant ----

  void check_channel_quant(const onnx::NodeProto& n, size_t count) const;
  Value quantize_linear(const onnx::NodeProto& n);
  Value quantize_constant(const onnx::NodeProto& n, const ConstTensor& c, const std::vector<double>& s,
                          const std::vector<std::int32_t>& zp, QuantType type);
  static std::vector<std::int64_t> slice_index(const std::vector<std::int64_t>& dims, int axis, size_t slices,
                                               const std::string& what);
  Value quantize_activation(const onnx::NodeProto& n, const Value& x, const std::vector<double>& s,
                            const std::vector<std::int32_t>& zp, QuantType type, std::int32_t lo,
                            std::int32_t hi);

  Value dequantize_linear(const onnx::NodeProto& n);
  Value qonnx_quant(const onnx::NodeProto& n);

  // ---- layers ----

  std::string layer_name(const onnx::NodeProto& n, const std::string& suffix = "");
  std::string producer_name(int act) const;
  int emit(const onnx::NodeProto& n, Layer l, LayerParams p, const std::vector<int>& inputs, std::int32_t lo,
           std::int32_t hi, std::vector<double> multiplier_error, const std::string& suffix = "");
  int clip_layer(const onnx::NodeProto& n, int id, std::int32_t lo, std::int32_t hi);
  void window(const onnx::NodeProto& n, Layer& l, int kh, int kw, const Shape& in, bool is_pool);
  // Weights of output channel o as OHWI (conv) or O x I (dense) integers with the zero point folded in,
  // and the per-output-channel weight scales.
  struct Weights {
    std::vector<std::int32_t> values;
    std::vector<double> scales;
    QuantType type;
  };

  Weights fold_weights(const QConst& q, int out_axis, int outputs);
  static QConst batch_matrix(const QConst& q, const Act& a);
  static std::string rank3_reader_message();
  Pending start(const onnx::NodeProto& n, LayerType type, int in_act, const QConst& q, bool trans_b);
  bool rank3_result(const Pending& p) const;
  void check_last_axis(const Pending& p, const std::vector<std::int64_t>& dims,
                       const std::string& what) const;
  void add_bias(Pending& p, const Value& b, const std::string& name);
  Value pending_value(Pending p);
  const QConst& weights_input(const onnx::NodeProto& n, int k) const;
  Value qdq_weighted(const onnx::NodeProto& n, LayerType type);
  Value add(const onnx::NodeProto& n);
  Pending mutable_pending(const onnx::NodeProto& n, int k) const;
  Value mul(const onnx::NodeProto& n);
  Value constant_product(const onnx::NodeProto& n);
  Value cast(const onnx::NodeProto& n);
  static Value cast_constant(const ConstTensor& x, int to);
  Value constant_of_shape(const onnx::NodeProto& n);
  Pending activation_target(const onnx::NodeProto& n) const;
  Value relu(const onnx::NodeProto& n);
  Value clip(const onnx::NodeProto& n);
  Value leaky_relu(const onnx::NodeProto& n);
  Value batch_norm(const onnx::NodeProto& n);
  int finish(const Pending& p, double sy, std::int32_t zy, QuantType type, std::int32_t lo, std::int32_t hi);
  Value pool(const onnx::NodeProto& n);
  Value flatten(const onnx::NodeProto& n);
  int qlinear_input(const onnx::NodeProto& n, int k);
  Value qlinear_add(const onnx::NodeProto& n);
  Value qlinear_global_average(const onnx::NodeProto& n);
  Value softmax(const onnx::NodeProto& n);

  // ---- QOperator ----

  QConst operator_weights(const onnx::NodeProto& n, int k, LayerType type, std::vector<double> s,
                          std::vector<std::int32_t> zp) const;
  Value qlinear(const onnx::NodeProto& n, LayerType type);
  Value integer_op(const onnx::NodeProto& n, LayerType type);

  // ---- the graph's output ----

  void finish_output(const onnx::GraphProto& g);
  int accumulator_output(const Pending& p);
  void prune(int last);

  const onnx::ModelProto& model_;
  std::string source_;
  int opset_ = 0;
  int activation_bits_ = 8;
  std::map<std::string, Value> values_;
  std::vector<Act> acts_;
  std::set<std::string> used_names_;
  std::vector<std::string> unsupported_;
  ImportedModel out_;
};

}  // namespace onnx_import
}  // namespace dnnvp
