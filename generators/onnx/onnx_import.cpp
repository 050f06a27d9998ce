// The ONNX importer (docs/onnx.md). Nodes are visited in topological order; each tensor becomes a Value:
// a constant, a quantised constant (weights), a quantised activation (a layer's output or the graph
// input), the real-valued view of one (after DequantizeLinear or a QONNX Quant), or the float result of a
// Conv/Gemm/MatMul/Add still waiting for the QuantizeLinear that makes it a layer. A node that cannot be
// mapped is recorded and its outputs poisoned, so one message lists every such node.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "error.h"
#include "layer_kind.h"
#include "onnx_model.h"
#include "onnx_tensor.h"

namespace dnnvp {

using onnx_import::ConstTensor;
using onnx_import::data_type_name;
using onnx_import::decode_tensor;

double ChannelQuant::scale(int channel) const {
  return scales.size() == 1 ? scales[0] : scales.at(static_cast<size_t>(channel));
}

std::int32_t ChannelQuant::zero_point(int channel) const {
  return zero_points.size() == 1 ? zero_points[0] : zero_points.at(static_cast<size_t>(channel));
}

namespace {

// Ties to even: the default floating-point rounding mode, which nothing in dnn-vp changes.
double round_half_even(double v) {
  return std::nearbyint(v);
}

}  // namespace

std::int32_t quantize_value(float x, const ChannelQuant& q, int channel) {
  const double v = round_half_even(static_cast<double>(x) / q.scale(channel)) + q.zero_point(channel);
  return static_cast<std::int32_t>(std::clamp<double>(v, q.min, q.max));
}

float dequantize_value(std::int32_t v, const ChannelQuant& q, int channel) {
  return static_cast<float>(q.scale(channel)) * static_cast<float>(v - q.zero_point(channel));
}

namespace {

const char* const kQonnxDomains[] = {"qonnx.custom_op.general", "finn.custom_op.general"};

bool is_default_domain(const std::string& d) {
  return d.empty() || d == "ai.onnx";
}

bool is_qonnx_domain(const std::string& d) {
  return std::find(std::begin(kQonnxDomains), std::end(kQonnxDomains), d) != std::end(kQonnxDomains);
}

// Why a node cannot be imported; collected, not fatal on its own.
struct Unsupported {
  std::string reason;
};

[[noreturn]] void unsupported(const std::string& reason) {
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

std::string node_label(const onnx::NodeProto& n) {
  return "node " + quoted(n.name()) + " (" + n.op_type() + ", domain " +
         (n.domain().empty() ? std::string("ai.onnx") : n.domain()) + ")";
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t int_attr(const onnx::NodeProto& n, const std::string& name, std::int64_t fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->i() : fallback;
}

double float_attr(const onnx::NodeProto& n, const std::string& name, double fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->f() : fallback;
}

std::string string_attr(const onnx::NodeProto& n, const std::string& name, const std::string& fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->s() : fallback;
}

std::vector<std::int64_t> ints_attr(const onnx::NodeProto& n, const std::string& name,
                                    std::vector<std::int64_t> fallback) {
  const auto* a = find_attribute(n, name);
  if (!a) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

int small_int(std::int64_t v, const std::string& what, std::int64_t lo, std::int64_t hi) {
  if (v < lo || v > hi)
    unsupported(what + " " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                std::to_string(hi));
  return static_cast<int>(v);
}

QuantType type_of_zero_point(int data_type, const std::string& what) {
  if (data_type == onnx::TensorProto::UINT8) return {8, false};
  if (data_type == onnx::TensorProto::INT8) return {8, true};
  unsupported(what + " is " + data_type_name(data_type) + "; the quantised types are uint8 and int8");
}

// A per-tensor value or one per channel, as `channels` values.
std::vector<double> per_channel(const std::vector<double>& v, int channels, const std::string& what) {
  if (v.size() == 1) return std::vector<double>(static_cast<size_t>(channels), v[0]);
  if (static_cast<int>(v.size()) != channels)
    unsupported(what + " has " + std::to_string(v.size()) + " values for " + std::to_string(channels) +
                " channels");
  return v;
}

bool is_stored_integer(int data_type) {
  return data_type == onnx::TensorProto::UINT8 || data_type == onnx::TensorProto::INT8 ||
         data_type == onnx::TensorProto::INT32;
}

void require_finite(const ConstTensor& t, const std::string& what) {
  for (const double v : t.values)
    if (!std::isfinite(v)) unsupported(what + " holds a value that is not finite");
}

bool is_power_of_two_slope(double alpha, int& k) {
  for (k = 1; k <= 7; ++k)
    if (alpha == std::ldexp(1.0, -k)) return true;
  return false;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source) : model_(model), source_(std::move(source)) {}

  ImportedModel run() {
    const onnx::GraphProto& g = model_.graph();
    check_opset();
    out_.source = source_;
    out_.model.network.source_file = source_;
    out_.model.network.name = sanitised_name(std::filesystem::path(source_).stem().string(), "model");
    out_.model.network.description = "imported from " + std::filesystem::path(source_).filename().string();
    read_initializers(g);
    read_graph_input(g);
    activation_bits_ = widest_activation_bits(g);
    for (const int index : topological_order(g)) visit(g.node(index));
    if (!unsupported_.empty()) {
      std::ostringstream msg;
      msg << source_ << ": " << unsupported_.size() << " unsupported node(s); nothing was generated:";
      for (const std::string& u : unsupported_) msg << "\n  " << u;
      throw Error(msg.str());
    }
    finish_output(g);
    return std::move(out_);
  }

 private:
  // ---- reading the graph ----

  void check_opset() {
    int version = -1;
    for (const auto& o : model_.opset_import())
      if (is_default_domain(o.domain())) version = static_cast<int>(o.version());
    if (version < 0) throw Error(source_ + ": the model imports no opset of the default ONNX domain");
    if (version < kMinOnnxOpset || version > kMaxOnnxOpset)
      throw Error(source_ + ": opset " + std::to_string(version) +
                  " of the default domain is outside the supported " + std::to_string(kMinOnnxOpset) + ".." +
                  std::to_string(kMaxOnnxOpset));
    opset_ = version;
  }

  void define(const std::string& name, Value v, const std::string& by) {
    if (name.empty()) return;
    if (!values_.emplace(name, std::move(v)).second)
      throw Error(source_ + ": tensor " + quoted(name) + " is defined twice (again by " + by + ")");
  }

  void read_initializers(const onnx::GraphProto& g) {
    for (const auto& t : g.initializer()) {
      define(t.name(),
             const_value(std::make_shared<ConstTensor>(
                 decode_tensor(t, source_ + ": initializer " + quoted(t.name())))),
             "an initializer");
    }
  }

  void read_graph_input(const onnx::GraphProto& g) {
    const onnx::ValueInfoProto* input = nullptr;
    for (const auto& in : g.input()) {
      if (values_.count(in.name())) continue;  // an initializer also listed as an input (IR < 4)
      if (input)
        throw Error(source_ + ": graph inputs " + quoted(input->name()) + " and " + quoted(in.name()) +
                    " have no initializer; the importer takes one input (a missing initializer?)");
      input = &in;
    }
    if (!input) throw Error(source_ + ": the graph has no input");
    const std::string what = source_ + ": graph input " + quoted(input->name());
    if (!input->type().has_tensor_type()) throw Error(what + ": not a tensor");
    const auto& tt = input->type().tensor_type();
    if (!tt.has_shape()) throw Error(what + ": unknown shape");
    const auto& dims = tt.shape().dim();
    const int rank = dims.size();
    if (rank < 1 || rank > 4)
      throw Error(what + ": rank " + std::to_string(rank) +
                  "; the importer takes [C], [N, C], [b, M, K] or NCHW");
    for (int k = 0; k < rank; ++k) {
      // A rank-3 input's first dimension is the MatMul batch, part of the image (docs/onnx.md).
      const bool batch = (rank == 2 || rank == 4) && k == 0;
      const bool known = dims[k].has_dim_value();
      const std::int64_t d = known ? dims[k].dim_value() : -1;
      if (batch) {
        if (known && d != 1)
          throw Error(what + ": batch dimension " + std::to_string(d) + "; it must be 1 or symbolic");
      } else if (!known || d < 1 || d > kMaxDim) {
        throw Error(what + ": dimension " + std::to_string(k) + " is " +
                    (known ? std::to_string(d) : std::string("dynamic or unknown")) +
                    "; every dimension but the batch must be a fixed 1.." + std::to_string(kMaxDim));
      }
      out_.input_dims.push_back(d);
    }
    const auto& d = out_.input_dims;
    const Shape shape =
        rank == 4   ? Shape{static_cast<int>(d[2]), static_cast<int>(d[3]), static_cast<int>(d[1])}
        : rank == 3 ? Shape{static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2])}
                    : Shape{1, 1, static_cast<int>(d.back())};
    if (shape.elements() > onnx_import::kMaxTensorElements)
      throw Error(what + ": " + shape.str() + " has more than " +
                  std::to_string(onnx_import::kMaxTensorElements) + " elements");
    out_.model.network.input_shape = shape;
    Act a;
    a.shape = shape;
    a.rank3 = rank == 3;
    const int type = tt.elem_type();
    Value v;
    a.known = false;
    if (type == onnx::TensorProto::FLOAT) {
      out_.float_input = true;
      v.kind = Kind::FloatInput;
    } else if (type == onnx::TensorProto::UINT8 || type == onnx::TensorProto::INT8) {
      a.quant.type = {8, type == onnx::TensorProto::INT8};
      a.lo = a.quant.type.min();
      a.hi = a.quant.type.max();
      v.kind = Kind::Act;
    } else {
      throw Error(what + ": element type " + data_type_name(type) +
                  "; the importer takes float, uint8 or int8");
    }
    acts_.push_back(a);
    v.act = 0;
    define(input->name(), v, "the graph input");
  }

  // The stored width every activation shares (docs/onnx.md, "Types"): the widest quantiser of an
  // activation; narrower ones keep their limits through a Clip layer.
  int widest_activation_bits(const onnx::GraphProto& g) const {
    int bits = 0;
    if (!out_.float_input) bits = 8;
    for (const auto& n : g.node()) {
      if (is_default_domain(n.domain()) &&
          (n.op_type() == "QuantizeLinear" || n.op_type() == "QLinearConv" || n.op_type() == "QLinearMatMul"))
        bits = 8;
      const auto x = n.input_size() >= 4 ? values_.find(n.input(0)) : values_.end();
      const bool on_constant = x != values_.end() && x->second.kind == Kind::Const;
      if (is_qonnx_domain(n.domain()) && n.op_type() == "Quant" && n.input_size() >= 4 && !on_constant) {
        const auto found = values_.find(n.input(3));
        if (found != values_.end() && found->second.kind == Kind::Const && found->second.c->elements() == 1) {
          const double b = found->second.c->values[0];
          if (b >= kMinQuantBits && b <= kMaxQuantBits) bits = std::max(bits, static_cast<int>(b));
        }
      }
    }
    return bits == 0 ? 8 : bits;
  }

  std::vector<int> topological_order(const onnx::GraphProto& g) {
    std::map<std::string, int> producer;
    for (int i = 0; i < g.node_size(); ++i)
      for (const auto& o : g.node(i).output()) {
        if (o.empty()) continue;
        if (values_.count(o) || !producer.emplace(o, i).second)
          throw Error(source_ + ": tensor " + quoted(o) + " is defined twice (again by " +
                      node_label(g.node(i)) + ")");
      }
    std::vector<int> pending_inputs(static_cast<size_t>(g.node_size()), 0);
    std::vector<std::vector<int>> users(static_cast<size_t>(g.node_size()));
    for (int i = 0; i < g.node_size(); ++i)
      for (const auto& in : g.node(i).input()) {
        if (in.empty() || values_.count(in)) continue;
        const auto p = producer.find(in);
        if (p == producer.end())
          throw Error(source_ + ": " + node_label(g.node(i)) + " reads tensor " + quoted(in) +
                      ", which no node, initializer or graph input defines (a missing initializer?)");
        ++pending_inputs[static_cast<size_t>(i)];
        users[static_cast<size_t>(p->second)].push_back(i);
      }
    std::vector<int> order;
    for (int i = 0; i < g.node_size(); ++i)
      if (pending_inputs[static_cast<size_t>(i)] == 0) order.push_back(i);
    for (size_t k = 0; k < order.size(); ++k)
      for (const int u : users[static_cast<size_t>(order[k])])
        if (--pending_inputs[static_cast<size_t>(u)] == 0) order.push_back(u);
    if (static_cast<int>(order.size()) != g.node_size())
      for (int i = 0; i < g.node_size(); ++i)
        if (pending_inputs[static_cast<size_t>(i)] != 0)
          throw Error(source_ + ": the graph is not acyclic: " + node_label(g.node(i)) +
                      " depends on its own output");
    return order;
  }

  // ---- visiting nodes ----

  void visit(const onnx::NodeProto& n) {
    bool poisoned = false;
    for (const auto& in : n.input())
      if (!in.empty() && values_.at(in).kind == Kind::Poison) poisoned = true;
    std::vector<Value> results;
    if (!poisoned) {
      try {
        results = handle(n);
      } catch (const Unsupported& u) {
        unsupported_.push_back(node_label(n) + ": " + u.reason);
        results.clear();
      }
    }
    for (int k = 0; k < n.output_size(); ++k)
      define(n.output(k), k < static_cast<int>(results.size()) ? results[static_cast<size_t>(k)] : Value{},
             node_label(n));
  }

  const Value* input(const onnx::NodeProto& n, int k) const {
    if (k >= n.input_size() || n.input(k).empty()) return nullptr;
    return &values_.at(n.input(k));
  }

  const Value& required(const onnx::NodeProto& n, int k) const {
    const Value* v = input(n, k);
    if (!v) unsupported("input " + std::to_string(k) + " is missing");
    return *v;
  }

  const ConstTensor& constant(const onnx::NodeProto& n, int k) const {
    const Value& v = required(n, k);
    if (v.kind != Kind::Const)
      unsupported("input " + quoted(n.input(k)) + " must be a constant (an initializer)");
    return *v.c;
  }

  // A scale (positive, finite) or zero point (integer) input.
  std::vector<double> scales(const onnx::NodeProto& n, int k) const {
    const ConstTensor& t = constant(n, k);
    if (t.is_integer() || t.values.empty()) unsupported("scale " + quoted(n.input(k)) + " must be float");
    for (double s : t.values)
      if (!(s > 0) || !std::isfinite(s))
        unsupported("scale " + quoted(n.input(k)) + " must be positive and finite");
    return t.values;
  }

  std::vector<std::int32_t> zero_points(const onnx::NodeProto& n, int k, QuantType& type) const {
    const Value* v = input(n, k);
    if (!v) {
      type = {8, false};  // ONNX: an omitted zero point is uint8 0
      return {0};
    }
    const ConstTensor& t = constant(n, k);
    type = type_of_zero_point(t.data_type, "zero point " + quoted(n.input(k)));
    if (t.values.empty()) unsupported("zero point " + quoted(n.input(k)) + " is empty");
    return t.ints();
  }

  std::vector<Value> handle(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (is_qonnx_domain(n.domain())) {
      if (op == "Quant") return {qonnx_quant(n)};
      unsupported("QONNX operator not supported (only Quant)");
    }
    if (n.domain() == "com.microsoft") {
      // onnxruntime's QOperator quantiser writes these for residual networks.
      if (op == "QLinearAdd") return {qlinear_add(n)};
      if (op == "QLinearGlobalAveragePool") return {qlinear_global_average(n)};
      unsupported("operator not supported (of com.microsoft: only QLinearAdd and QLinearGlobalAveragePool)");
    }
    if (!is_default_domain(n.domain())) unsupported("operator of an unsupported domain");
    if (op == "Constant") return {constant_node(n)};
    if (op == "ConstantOfShape") return {constant_of_shape(n)};
    if (op == "Identity") return {required(n, 0)};
    if (op == "QuantizeLinear") return {quantize_linear(n)};
    if (op == "DequantizeLinear") return {dequantize_linear(n)};
    if (op == "Conv") return {qdq_weighted(n, LayerType::Conv)};
    if (op == "Gemm" || op == "MatMul") return {qdq_weighted(n, LayerType::Dense)};
    if (op == "Add") return {add(n)};
    if (op == "Mul") return {mul(n)};
    if (op == "Cast") return {cast(n)};
    if (op == "Relu") return {relu(n)};
    if (op == "Clip") return {clip(n)};
    if (op == "LeakyRelu") return {leaky_relu(n)};
    if (op == "BatchNormalization") return {batch_norm(n)};
    if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") return {pool(n)};
    if (op == "Flatten" || op == "Reshape") return {flatten(n)};
    if (op == "Softmax") return {softmax(n)};
    if (op == "QLinearConv") return {qlinear(n, LayerType::Conv)};
    if (op == "QLinearMatMul") return {qlinear(n, LayerType::Dense)};
    if (op == "ConvInteger") return {integer_op(n, LayerType::Conv)};
    if (op == "MatMulInteger") return {integer_op(n, LayerType::Dense)};
    unsupported("operator not supported");
  }

  Value constant_node(const onnx::NodeProto& n) {
    const auto* a = find_attribute(n, "value");
    if (!a || !a->has_t()) unsupported("only a 'value' tensor attribute is supported");
    return const_value(
        std::make_shared<ConstTensor>(decode_tensor(a->t(), source_ + ": " + node_label(n) + " value")));
  }

  static Value const_value(std::shared_ptr<const ConstTensor> c) {
    Value v;
    v.kind = Kind::Const;
    v.c = std::move(c);
    return v;
  }

  static Value act_value(int act, Kind kind) {
    Value v;
    v.kind = kind;
    v.act = act;
    return v;
  }

  // The act behind a real-valued view (QDQ and QONNX ops take DequantizeLinear'd tensors).
  int view_act(const onnx::NodeProto& n, int k) const {
    const Value& v = required(n, k);
    if (v.kind == Kind::View) return v.act;
    if (v.kind == Kind::Act)
      unsupported("input " + quoted(n.input(k)) + " is quantised: dequantise it first (QDQ form)");
    if (v.kind == Kind::Pending)
      unsupported("input " + quoted(n.input(k)) +
                  " is a float result that was never quantised (QuantizeLinear missing)");
    if (v.kind == Kind::FloatInput)
      unsupported("input " + quoted(n.input(k)) + " is the float graph input: quantise it first");
    unsupported("input " + quoted(n.input(k)) + " is not a quantised activation");
  }

  // The act a QOperator node reads, its quantisation checked against (or, for the integer graph input,
  // set from) the node's scale and zero point.
  int qoperator_act(const onnx::NodeProto& n, int k, double scale, std::int32_t zero_point, QuantType type) {
    const Value& v = required(n, k);
    if (v.kind != Kind::Act)
      unsupported("input " + quoted(n.input(k)) + " must be a quantised (integer) tensor");
    set_or_check_quant(v.act, {scale}, {zero_point}, type);
    return v.act;
  }

  void set_or_check_quant(int id, const std::vector<double>& s, const std::vector<std::int32_t>& zp,
                          QuantType type) {
    Act& a = acts_[static_cast<size_t>(id)];
    if (type.is_signed != a.quant.type.is_signed)
      unsupported("reads a " + std::string(a.quant.type.is_signed ? "signed" : "unsigned") +
                  " tensor with a zero point of the other signedness");
    if (!a.known) {
      a.known = true;
      a.quant.scale = s[0];
      a.quant.zero_point = zp[0];
      a.per_channel = s.size() > 1 || zp.size() > 1;
      set_input_quant(s, zp, a);
      return;
    }
    // Only the graph input may be quantised per channel; its values are the input's.
    const bool same = a.per_channel ? s == out_.input.scales && zp == out_.input.zero_points
                                    : s.size() == 1 && zp.size() == 1 && s[0] == a.quant.scale &&
                                          zp[0] == a.quant.zero_point;
    if (!same)
      unsupported("dequantises " + tensor_name(id) +
                  " with another scale or zero point than it was quantised with");
  }

  std::string tensor_name(int act) const {
    const int p = acts_[static_cast<size_t>(act)].producer;
    return p < 0 ? "the graph input"
                 : "layer " + quoted(out_.model.network.layers[static_cast<size_t>(p)].name) + "'s output";
  }

  void set_input_quant(const std::vector<double>& s, const std::vector<std::int32_t>& zp, const Act& a) {
    out_.input.type = a.quant.type;
    out_.input.scales = s;
    out_.input.zero_points = zp;
    out_.input.min = a.lo;
    out_.input.max = a.hi;
    out_.model.input = a.quant;
  }

  // The stored type of an activation of the given signedness (the model's one activation width).
  QuantType storage(bool is_signed) const { return {activation_bits_, is_signed}; }

  // ---- QuantizeLinear / DequantizeLinear / QONNX Quant ----

  // Per-channel (axis) quantisation of an activation: only the graph input, one value per channel.
  void check_channel_quant(const onnx::NodeProto& n, size_t count) const {
    if (count == 1) return;
    const std::int64_t axis = int_attr(n, "axis", 1);
    const int rank = static_cast<int>(out_.input_dims.size());
    const int channel_axis = rank == 1 ? 0 : rank == 3 ? 2 : 1;  // [C], [b, M, C]; [N, C] and NCHW
    if (axis != channel_axis && axis != channel_axis - rank)
      unsupported("per-channel quantisation of an activation along axis " + std::to_string(axis) +
                  " (only channels)");
    if (count != static_cast<size_t>(out_.model.network.input_shape.c))
      unsupported(std::to_string(count) + " scales or zero points for " +
                  std::to_string(out_.model.network.input_shape.c) + " channels");
  }

  Value quantize_linear(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    const std::vector<double> s = scales(n, 1);
    QuantType type;
    const std::vector<std::int32_t> zp = zero_points(n, 2, type);
    if (x.kind == Kind::Const) return quantize_constant(n, *x.c, s, zp, type);
    return quantize_activation(n, x, s, zp, type, type.min(), type.max());
  }

  Value quantize_constant(const onnx::NodeProto& n, const ConstTensor& c, const std::vector<double>& s,
                          const std::vector<std::int32_t>& zp, QuantType type) {
    if (c.is_integer()) unsupported("quantises an integer constant");
    require_finite(c, "constant");
    const int axis = s.size() > 1 ? static_cast<int>(int_attr(n, "axis", 1)) : -1;
    auto t = std::make_shared<ConstTensor>();
    t->data_type = type.is_signed ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
    t->dims = c.dims;
    t->values.resize(c.values.size());
    const std::vector<std::int64_t> index =
        slice_index(c.dims, axis, std::max(s.size(), zp.size()), "quantises");
    for (size_t i = 0; i < c.values.size(); ++i) {
      const size_t k = index.empty() ? 0 : static_cast<size_t>(index[i]);
      const double q = round_half_even(c.values[i] / s[s.size() == 1 ? 0 : k]) + zp[zp.size() == 1 ? 0 : k];
      t->values[i] = std::clamp<double>(q, type.min(), type.max());
    }
    return const_value(t);
  }

  // For each element of a tensor of `dims`, its slice index along `axis` (empty when per tensor).
  static std::vector<std::int64_t> slice_index(const std::vector<std::int64_t>& dims, int axis, size_t slices,
                                               const std::string& what) {
    if (slices == 1) return {};
    const int rank = static_cast<int>(dims.size());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || dims[static_cast<size_t>(axis)] != static_cast<std::int64_t>(slices))
      unsupported(what + " per slice along axis " + std::to_string(axis) + " with " + std::to_string(slices) +
                  " values, which does not match the tensor's dims");
    std::int64_t inner = 1;
    for (int k = axis + 1; k < rank; ++k) inner *= dims[static_cast<size_t>(k)];
    std::int64_t count = 1;
    for (const auto d : dims) count *= d;
    std::vector<std::int64_t> index(static_cast<size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
      index[static_cast<size_t>(i)] = (i / inner) % static_cast<std::int64_t>(slices);
    return index;
  }

  Value quantize_activation(const onnx::NodeProto& n, const Value& x, const std::vector<double>& s,
                            const std::vector<std::int32_t>& zp, QuantType type, std::int32_t lo,
                            std::int32_t hi) {
    if (x.kind == Kind::FloatInput) {
      check_channel_quant(n, std::max(s.size(), zp.size()));
      Act& a = acts_[0];
      if (a.known) {  // a second quantiser of the input (one per consumer) must be the same
        if (s == out_.input.scales && zp == out_.input.zero_points &&
            type.is_signed == a.quant.type.is_signed && lo == a.lo && hi == a.hi)
          return act_value(0, Kind::Act);
        unsupported("quantises the float graph input a second time, differently");
      }
      a.quant.type = storage(type.is_signed);
      a.lo = lo;
      a.hi = hi;
      set_or_check_quant(0, s, zp, a.quant.type);
      return act_value(0, Kind::Act);
    }
    if (s.size() != 1 || zp.size() != 1) unsupported("per-channel quantisation of an activation");
    if (x.kind == Kind::View) {
      const Act& a = acts_[static_cast<size_t>(x.act)];
      if (a.quant.scale != s[0] || a.quant.zero_point != zp[0] || a.quant.type.is_signed != type.is_signed)
        unsupported(
            "requantises " + tensor_name(x.act) +
            " to another scale or zero point; only a Conv, Gemm, MatMul or Add result can be requantised");
      if (lo <= a.lo && hi >= a.hi) return act_value(x.act, Kind::Act);
      return act_value(clip_layer(n, x.act, std::max(lo, a.lo), std::min(hi, a.hi)), Kind::Act);
    }
    if (x.kind == Kind::Pending) return act_value(finish(*x.pending, s[0], zp[0], type, lo, hi), Kind::Act);
    unsupported("quantises a tensor that is neither the float input nor a float result of a supported node");
  }

  Value dequantize_linear(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    const std::vector<double> s = scales(n, 1);
    const bool int32 = x.kind == Kind::Const && x.c->data_type == onnx::TensorProto::INT32;
    QuantType type;
    // An int32 tensor (a bias) has an int32 zero point.
    std::vector<std::int32_t> zp = !int32        ? zero_points(n, 2, type)
                                   : input(n, 2) ? constant(n, 2).ints()
                                                 : std::vector<std::int32_t>{0};
    if (x.kind == Kind::Const) {
      const ConstTensor& c = *x.c;
      if (!is_stored_integer(c.data_type))
        unsupported("dequantises a constant that is not uint8, int8 or int32");
      auto q = std::make_shared<QConst>();
      q->dims = c.dims;
      q->q = c.ints();
      q->is_int32 = int32;
      q->scales = s;
      q->zero_points = zp;
      const size_t slices = std::max(s.size(), zp.size());
      if (slices > 1) {
        int axis = static_cast<int>(int_attr(n, "axis", 1));
        if (axis < 0) axis += static_cast<int>(c.dims.size());
        slice_index(c.dims, axis, slices, "dequantises");
        q->axis = axis;
        q->scales = per_channel(s, static_cast<int>(slices), "scale");
        std::vector<double> zpd(zp.begin(), zp.end());
        q->zero_points.clear();
        for (double z : per_channel(zpd, static_cast<int>(slices), "zero point"))
          q->zero_points.push_back(static_cast<std::int32_t>(z));
      }
      Value v;
      v.kind = Kind::QConstant;
      v.qc = q;
      return v;
    }
    if (x.kind == Kind::Act) {
      if (!acts_[static_cast<size_t>(x.act)].known) check_channel_quant(n, std::max(s.size(), zp.size()));
      set_or_check_quant(x.act, s, zp, type);
      return act_value(x.act, Kind::View);
    }
    unsupported("dequantises a tensor that is neither a constant nor a quantised activation");
  }

  // QONNX Quant(x, scale, zero_point, bitwidth): quantise and dequantise in one node.
  Value qonnx_quant(const onnx::NodeProto& n) {
    const std::string mode = string_attr(n, "rounding_mode", "ROUND");
    if (mode != "ROUND") unsupported("rounding_mode " + mode + " (only ROUND)");
    const std::vector<double> s = scales(n, 1);
    const ConstTensor& zpt = constant(n, 2);
    const ConstTensor& bw = constant(n, 3);
    if (bw.elements() != 1 || bw.values[0] != std::floor(bw.values[0]) || bw.values[0] < kMinQuantBits ||
        bw.values[0] > kMaxQuantBits)
      unsupported("bitwidth must be one integer " + std::to_string(kMinQuantBits) + ".." +
                  std::to_string(kMaxQuantBits));
    const int bits = static_cast<int>(bw.values[0]);
    const bool is_signed = int_attr(n, "signed", 1) != 0;
    const bool narrow = int_attr(n, "narrow", 0) != 0;
    std::vector<std::int32_t> zp;
    for (double z : zpt.values) {
      if (z != std::floor(z) || std::fabs(z) > 255)
        unsupported("zero point " + std::to_string(z) + " is not an integer");
      zp.push_back(static_cast<std::int32_t>(z));
    }
    if (zp.empty()) unsupported("empty zero point");
    const QuantType type{bits, is_signed};
    const std::int32_t lo = type.min() + (narrow && is_signed ? 1 : 0);
    const std::int32_t hi = type.max() - (narrow && !is_signed ? 1 : 0);
    const Value& x = required(n, 0);
    if (x.kind == Kind::Const) {
      const ConstTensor& c = *x.c;
      if (c.is_integer()) unsupported("quantises an integer constant");
      require_finite(c, "constant");
      auto q = std::make_shared<QConst>();
      q->dims = c.dims;
      // The scale broadcasts against x: per tensor, or along the one axis where it is not 1.
      const ConstTensor& st = constant(n, 1);
      const size_t slices = std::max(s.size(), zp.size());
      if (slices > 1) {
        const std::vector<std::int64_t>& sd = (s.size() > 1 ? st : zpt).dims;
        const int offset = static_cast<int>(c.dims.size()) - static_cast<int>(sd.size());
        for (size_t k = 0; k < sd.size(); ++k)
          if (sd[k] != 1) q->axis = offset + static_cast<int>(k);
        if (q->axis < 0) unsupported("scale shape does not broadcast along one axis");
      }
      const std::vector<std::int64_t> index = slice_index(c.dims, q->axis, slices, "quantises");
      q->scales = per_channel(s, static_cast<int>(slices), "scale");
      std::vector<double> zpd(zp.begin(), zp.end());
      for (double z : per_channel(zpd, static_cast<int>(slices), "zero point"))
        q->zero_points.push_back(static_cast<std::int32_t>(z));
      q->q.resize(c.values.size());
      for (size_t i = 0; i < c.values.size(); ++i) {
        const size_t k = index.empty() ? 0 : static_cast<size_t>(index[i]);
        q->q[i] = static_cast<std::int32_t>(
            std::clamp<double>(round_half_even(c.values[i] / q->scales[k]) + q->zero_points[k], lo, hi));
      }
      Value v;
      v.kind = Kind::QConstant;
      v.qc = q;
      return v;
    }
    const Value a = quantize_activation(n, x, s, zp, type, lo, hi);
    return act_value(a.act, Kind::View);
  }

  // ---- layers ----

  std::string layer_name(const onnx::NodeProto& n, const std::string& suffix = "") {
    std::string lower = n.op_type();
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string base = sanitised_name(n.name(), lower) + suffix;
    std::string name = base;
    for (int k = 2; name == kNetworkInput || used_names_.count(name); ++k)
      name = base + "_" + std::to_string(k);
    used_names_.insert(name);
    return name;
  }

  std::string producer_name(int act) const {
    const int p = acts_[static_cast<size_t>(act)].producer;
    return p < 0 ? kNetworkInput : out_.model.network.layers[static_cast<size_t>(p)].name;
  }

  // Appends a layer reading `inputs`; returns the act of its output.
  int emit(const onnx::NodeProto& n, Layer l, LayerParams p, const std::vector<int>& inputs, std::int32_t lo,
           std::int32_t hi, std::vector<double> multiplier_error, const std::string& suffix = "") {
    Network& net = out_.model.network;
    l.name = layer_name(n, suffix);
    l.inputs.clear();
    for (const int a : inputs) {
      const Act& in = acts_[static_cast<size_t>(a)];
      if (in.per_channel)
        unsupported("reads a tensor quantised per channel; layers take per-tensor activations");
      if (!in.known) unsupported("reads the graph input before its scale and zero point are known");
      l.inputs.push_back(producer_name(a));
    }
    p.rounding = Rounding::HalfEven;
    net.layers.push_back(l);
    try {
      net.infer_shapes();
    } catch (const Error& e) {
      net.layers.pop_back();
      used_names_.erase(l.name);
      unsupported(e.what());
    }
    out_.model.params.push_back(std::move(p));
    out_.multiplier_error.push_back(std::move(multiplier_error));
    Act a;
    a.producer = static_cast<int>(net.layers.size()) - 1;
    a.shape = net.layers.back().output_shape;
    a.quant = out_.model.params.back().out;
    a.lo = lo;
    a.hi = hi;
    a.rank3 = !inputs.empty() && acts_[static_cast<size_t>(inputs[0])].rank3;
    acts_.push_back(a);
    const int id = static_cast<int>(acts_.size()) - 1;
    // Limits narrower than the stored type (a QONNX width or narrow range, a Clip) need a clamp.
    if (lo > a.quant.type.min() || hi < a.quant.type.max()) return clip_layer(n, id, lo, hi);
    return id;
  }

  // A Clip layer limiting act `id` to the stored values [lo, hi].
  int clip_layer(const onnx::NodeProto& n, int id, std::int32_t lo, std::int32_t hi) {
    const Act in = acts_[static_cast<size_t>(id)];
    Layer l;
    l.type = LayerType::Clip;
    // Real limits whose stored values are exactly lo and hi (the layer stores limit / scale + zero point).
    set_clip_range(l, (lo - in.quant.zero_point) * in.quant.scale,
                   (hi - in.quant.zero_point) * in.quant.scale);
    LayerParams p;
    p.out = in.quant;
    const int out = emit(n, l, p, {id}, in.quant.type.min(), in.quant.type.max(), {}, "_clip");
    acts_[static_cast<size_t>(out)].lo = lo;
    acts_[static_cast<size_t>(out)].hi = hi;
    return out;
  }

  // Window attributes of Conv / pools (kernel from the weights for Conv).
  void window(const onnx::NodeProto& n, Layer& l, int kh, int kw, const Shape& in, bool is_pool) {
    if (ints_attr(n, "dilations", {1, 1}) != std::vector<std::int64_t>{1, 1})
      unsupported("dilations other than 1");
    if (is_pool && int_attr(n, "ceil_mode", 0) != 0) unsupported("ceil_mode 1");
    const auto k = ints_attr(n, "kernel_shape", {kh, kw});
    if (k.size() != 2) unsupported("a kernel that is not 2-D");
    if (!is_pool && (k[0] != kh || k[1] != kw)) unsupported("kernel_shape differs from the weights");
    // The engine's convolution window is limited; the CPU's pools are not.
    const int max_kernel = is_pool ? kMaxDim : kMaxConvKernel;
    const int max_stride = is_pool ? kMaxDim : kMaxConvStride;
    l.kernel_h = small_int(k[0], "kernel height", 1, max_kernel);
    l.kernel_w = small_int(k[1], "kernel width", 1, max_kernel);
    const auto s = ints_attr(n, "strides", {1, 1});
    if (s.size() != 2) unsupported("strides that are not 2-D");
    l.stride_h = small_int(s[0], "stride", 1, max_stride);
    l.stride_w = small_int(s[1], "stride", 1, max_stride);
    const std::string pad = string_attr(n, "auto_pad", "NOTSET");
    if (pad == "NOTSET") {
      const auto p = ints_attr(n, "pads", {0, 0, 0, 0});
      if (p.size() != 4) unsupported("pads that are not 2-D");
      l.padding = {small_int(p[0], "padding", 0, kMaxDim), small_int(p[1], "padding", 0, kMaxDim),
                   small_int(p[2], "padding", 0, kMaxDim), small_int(p[3], "padding", 0, kMaxDim)};
    } else if (pad == "SAME_UPPER" || pad == "SAME_LOWER") {
      auto same = [&](int size, int kernel, int stride, int& before, int& after) {
        const int out = (size + stride - 1) / stride;
        const int total = std::max(0, (out - 1) * stride + kernel - size);
        before = pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        after = total - before;
      };
      same(in.h, l.kernel_h, l.stride_h, l.padding.top, l.padding.bottom);
      same(in.w, l.kernel_w, l.stride_w, l.padding.left, l.padding.right);
    } else if (pad != "VALID") {
      unsupported("auto_pad " + pad);
    }
  }

  // Weights of output channel o as OHWI (conv) or O x I (dense) integers with the zero point folded in,
  // and the per-output-channel weight scales.
  struct Weights {
    std::vector<std::int32_t> values;
    std::vector<double> scales;
    QuantType type;
  };

  // q: the stored weights; out_axis: the dim of q that is the output channel.
  Weights fold_weights(const QConst& q, int out_axis, int outputs) {
    if (q.axis >= 0 && q.axis != out_axis)
      unsupported("weights quantised per slice along axis " + std::to_string(q.axis) +
                  ", not per output channel");
    Weights w;
    w.scales = per_channel(q.scales, outputs, "weight scale");
    std::vector<double> zpd(q.zero_points.begin(), q.zero_points.end());
    const std::vector<double> zp = per_channel(zpd, outputs, "weight zero point");
    std::int64_t inner = 1;
    for (size_t k = static_cast<size_t>(out_axis) + 1; k < q.dims.size(); ++k) inner *= q.dims[k];
    w.values.resize(q.q.size());
    std::int32_t lo = 0, hi = 0;
    for (size_t i = 0; i < q.q.size(); ++i) {
      const auto o = static_cast<size_t>((static_cast<std::int64_t>(i) / inner) % outputs);
      w.values[i] = q.q[i] - static_cast<std::int32_t>(zp[o]);
      lo = std::min(lo, w.values[i]);
      hi = std::max(hi, w.values[i]);
    }
    // The narrowest signed type holding every folded weight (at least 2 bits).
    int bits = 2;
    while (lo < -(1 << (bits - 1)) || hi > (1 << (bits - 1)) - 1) ++bits;
    w.type = {bits, true};
    return w;
  }

  // The one [K, N] matrix of a batched MatMul's 3-D B [b, K, N]: its batch slices must be equal, since the
  // engine's layer has one weight matrix, and A must be the rank-3 tensor whose slices they multiply.
  static QConst batch_matrix(const QConst& q, const Act& a) {
    if (!a.rank3)
      unsupported("a 3-D B needs a rank-3 A [b, M, K] (the input is " + a.shape.str() +
                  ", not a batch of matrices)");
    const std::int64_t slices = q.dims[0];
    if (slices != 1 && slices != a.shape.h)
      unsupported("B has " + std::to_string(slices) + " batch slices, A has " + std::to_string(a.shape.h));
    if (q.axis == 0 || q.axis == 1)
      unsupported("weights quantised per slice along axis " + std::to_string(q.axis) +
                  ", not per output column (axis 2)");
    QConst m = q;
    m.dims = {q.dims[1], q.dims[2]};
    if (q.axis == 2) m.axis = 1;
    const auto per_slice = static_cast<std::ptrdiff_t>(q.dims[1] * q.dims[2]);
    m.q.assign(q.q.begin(), q.q.begin() + per_slice);
    for (std::int64_t k = 1; k < slices; ++k)
      if (!std::equal(m.q.begin(), m.q.end(), q.q.begin() + k * per_slice))
        unsupported("B's batch slice " + std::to_string(k) +
                    " differs from slice 0; the engine's layer has one weight matrix, so a batched MatMul "
                    "needs every slice of B equal");
    return m;
  }

  // Why a rank-3 tensor cannot be read by an op that is not elementwise or on its last axis.
  static std::string rank3_reader_message() {
    return "reads a rank-3 [b, M, K] tensor (a batched MatMul's); only MatMul, Add, Relu, Clip, "
           "LeakyRelu and Quantize/DequantizeLinear may follow one";
  }

  Pending start(const onnx::NodeProto& n, LayerType type, int in_act, const QConst& q, bool trans_b) {
    const Act& in = acts_[static_cast<size_t>(in_act)];
    Pending p;
    p.node = &n;
    p.layer.type = type;
    p.inputs = {in_act};
    Weights w;
    if (type == LayerType::Conv) {
      if (in.rank3) unsupported(rank3_reader_message());
      if (int_attr(n, "group", 1) != 1) unsupported("grouped or depthwise convolution (group != 1)");
      if (q.dims.size() != 4) unsupported("weights that are not 4-D (OIHW)");
      if (q.dims[1] != in.shape.c)
        unsupported("weights for " + std::to_string(q.dims[1]) + " input channels, the input has " +
                    std::to_string(in.shape.c));
      const int outputs = small_int(q.dims[0], "output channels", 1, kMaxDim);
      const int kh = small_int(q.dims[2], "kernel height", 1, kMaxDim);
      const int kw = small_int(q.dims[3], "kernel width", 1, kMaxDim);
      window(n, p.layer, kh, kw, in.shape, false);
      p.layer.filters = outputs;
      const Weights oihw = fold_weights(q, 0, outputs);
      w = oihw;
      const int c = in.shape.c;
      for (int o = 0; o < outputs; ++o)
        for (int ci = 0; ci < c; ++ci)
          for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
              w.values[((static_cast<size_t>(o) * kh + y) * kw + x) * c + ci] =
                  oihw.values[((static_cast<size_t>(o) * c + ci) * kh + y) * kw + x];
    } else {
      const QConst matrix = q.dims.size() == 3 ? batch_matrix(q, in) : q;
      if (matrix.dims.size() != 2) unsupported("a weight matrix that is not 2-D or 3-D");
      if (!in.rank3 && (in.shape.h != 1 || in.shape.w != 1))
        unsupported("input " + in.shape.str() + " is not a vector: flatten it first");
      const int rows = small_int(matrix.dims[trans_b ? 1 : 0], "weight rows", 1, kMaxDim * 16);
      const int outputs = small_int(matrix.dims[trans_b ? 0 : 1], "weight columns", 1, kMaxDim);
      if (rows != in.shape.c)
        unsupported("weights for " + std::to_string(rows) + " inputs, the input has " +
                    std::to_string(in.shape.c));
      // A batched MatMul applies one matrix to each row of each slice: a 1x1 convolution over the
      // H = b, W = M image whose channels are the rows' K elements (OHWI of a 1x1 kernel is O x I).
      if (in.rank3) p.layer.type = LayerType::Conv;
      p.layer.filters = outputs;
      const Weights folded = fold_weights(matrix, trans_b ? 0 : 1, outputs);
      w = folded;
      // The engine's vector is HWC-ordered; ONNX flattened CHW: permute the weight columns to match.
      const Shape chw = in.chw_flat_of;
      for (int o = 0; o < outputs; ++o)
        for (int k = 0; k < rows; ++k) {
          int engine_k = k;
          if (chw.elements() > 0) {
            const int c = k / (chw.h * chw.w);
            const int yx = k % (chw.h * chw.w);
            engine_k = yx * chw.c + c;
          }
          const size_t from =
              trans_b ? static_cast<size_t>(o) * rows + k : static_cast<size_t>(k) * outputs + o;
          w.values[static_cast<size_t>(o) * rows + engine_k] = folded.values[from];
        }
    }
    p.params.weights = std::move(w.values);
    p.params.weight_type = w.type;
    p.params.weight_scales = w.scales;
    p.acc_scale.resize(w.scales.size());
    for (size_t o = 0; o < w.scales.size(); ++o) p.acc_scale[o] = in.quant.scale * w.scales[o];
    p.bias.assign(w.scales.size(), 0);
    p.bias_real.assign(w.scales.size(), 0.0);
    return p;
  }

  bool rank3_result(const Pending& p) const {
    return !p.inputs.empty() && acts_[static_cast<size_t>(p.inputs[0])].rank3;
  }

  // A per-channel constant (of `dims`) applied to a rank-3 [b, M, N] result must vary along its last
  // axis only, as the layer's channels do.
  void check_last_axis(const Pending& p, const std::vector<std::int64_t>& dims,
                       const std::string& what) const {
    if (!rank3_result(p)) return;
    for (size_t k = 0; k + 1 < dims.size(); ++k)
      if (dims[k] != 1)
        unsupported(what + " varies along an axis other than the last of a rank-3 [b, M, N] result");
  }

  // A bias input: a float constant (real) or a dequantised int32 constant whose scale is the
  // accumulator's (within float32 rounding: then exact).
  void add_bias(Pending& p, const Value& b, const std::string& name) {
    const int outputs = p.layer.filters;
    if (b.kind == Kind::Const && !b.c->is_integer()) {
      check_last_axis(p, b.c->dims, "bias " + quoted(name));
      require_finite(*b.c, "bias " + quoted(name));
      const std::vector<double> v = per_channel(b.c->values, outputs, "bias " + quoted(name));
      for (int o = 0; o < outputs; ++o) p.bias_real[static_cast<size_t>(o)] += v[static_cast<size_t>(o)];
    } else if (b.kind == Kind::QConstant && b.qc->is_int32) {
      const QConst& q = *b.qc;
      check_last_axis(p, q.dims, "bias " + quoted(name));
      std::vector<double> qd(q.q.begin(), q.q.end());
      const std::vector<double> v = per_channel(qd, outputs, "bias " + quoted(name));
      const std::vector<double> s = per_channel(q.scales, outputs, "bias scale");
      for (int o = 0; o < outputs; ++o) {
        const auto k = static_cast<size_t>(o);
        const double acc = p.acc_scale[k];
        if (std::fabs(s[k] - acc) > std::ldexp(acc, -22))
          unsupported("bias " + quoted(name) + " scale " + std::to_string(s[k]) + " of channel " +
                      std::to_string(o) + " differs from input scale x weight scale " + std::to_string(acc));
        if (q.zero_points[q.zero_points.size() == 1 ? 0 : k] != 0) unsupported("bias with a zero point");
        p.bias[k] += static_cast<std::int32_t>(v[k]);
      }
    } else {
      unsupported("bias " + quoted(name) + " must be a float constant or a dequantised int32 constant");
    }
    p.layer.bias = true;
  }

  Value pending_value(Pending p) {
    Value v;
    v.kind = Kind::Pending;
    v.pending = std::make_shared<const Pending>(std::move(p));
    return v;
  }

  const QConst& weights_input(const onnx::NodeProto& n, int k) const {
    const Value& v = required(n, k);
    if (v.kind != Kind::QConstant || v.qc->is_int32)
      unsupported("weights " + quoted(n.input(k)) + " must be a dequantised int8/uint8 constant");
    return *v.qc;
  }

  Value qdq_weighted(const onnx::NodeProto& n, LayerType type) {
    bool trans_b = false;
    if (n.op_type() == "Gemm") {
      if (float_attr(n, "alpha", 1.0) != 1.0 || float_attr(n, "beta", 1.0) != 1.0)
        unsupported("alpha or beta other than 1");
      if (int_attr(n, "transA", 0) != 0) unsupported("transA");
      trans_b = int_attr(n, "transB", 0) != 0;
    }
    const int x = view_act(n, 0);
    if (n.op_type() == "Gemm" && acts_[static_cast<size_t>(x)].rank3) unsupported(rank3_reader_message());
    Pending p = start(n, type, x, weights_input(n, 1), trans_b);
    if (const Value* b = input(n, 2)) add_bias(p, *b, n.input(2));
    return pending_value(std::move(p));
  }

  Value add(const onnx::NodeProto& n) {
    const Value& a = required(n, 0);
    const Value& b = required(n, 1);
    if (a.kind == Kind::Pending || b.kind == Kind::Pending) {
      const bool first = a.kind == Kind::Pending;
      Pending p = *(first ? a : b).pending;
      if (p.layer.type == LayerType::Add || p.integer || p.layer.activation != Activation::None || p.has_clip)
        unsupported("adds to a result that is not a plain Conv/Gemm/MatMul accumulation");
      add_bias(p, first ? b : a, n.input(first ? 1 : 0));
      return pending_value(std::move(p));
    }
    const int ia = view_act(n, 0);
    const int ib = view_act(n, 1);
    if (acts_[static_cast<size_t>(ia)].shape != acts_[static_cast<size_t>(ib)].shape)
      unsupported("operands of different shapes (no broadcasting)");
    Pending p;
    p.node = &n;
    p.layer.type = LayerType::Add;
    p.inputs = {ia, ib};
    return pending_value(std::move(p));
  }

  Pending mutable_pending(const onnx::NodeProto& n, int k) const {
    const Value& v = required(n, k);
    if (v.kind != Kind::Pending)
      unsupported("input " + quoted(n.input(k)) + " is not a Conv/Gemm/MatMul/Add result");
    return *v.pending;
  }

  Value mul(const onnx::NodeProto& n) {
    if (required(n, 0).kind == Kind::Const && required(n, 1).kind == Kind::Const) return constant_product(n);
    const bool first = required(n, 0).kind == Kind::Pending;
    Pending p = mutable_pending(n, first ? 0 : 1);
    const ConstTensor& c = constant(n, first ? 1 : 0);
    if (p.integer || p.layer.type == LayerType::Add || p.layer.activation != Activation::None || p.has_clip)
      unsupported("scales a result that is not a Cast accumulator");
    if (c.is_integer()) unsupported("scale must be float");
    check_last_axis(p, c.dims, "scale");
    const std::vector<double> s = per_channel(c.values, p.layer.filters, "scale");
    for (size_t o = 0; o < s.size(); ++o) {
      if (!(s[o] > 0) || !std::isfinite(s[o])) unsupported("scale must be positive and finite");
      p.acc_scale[o] *= s[o];
      p.bias_real[o] *= s[o];
    }
    return pending_value(std::move(p));
  }

  // A product of two float constants (a scale computed in the graph), in double like every scale
  // computation (docs/numerics.md, "Imported models"); one operand a scalar or both of one size.
  Value constant_product(const onnx::NodeProto& n) {
    const ConstTensor& a = constant(n, 0);
    const ConstTensor& b = constant(n, 1);
    if (a.is_integer() || b.is_integer()) unsupported("a product of integer constants");
    if (a.elements() != 1 && b.elements() != 1 && a.elements() != b.elements())
      unsupported("a product of constants that needs broadcasting");
    const ConstTensor& big = a.elements() >= b.elements() ? a : b;
    auto c = std::make_shared<ConstTensor>(big);
    for (size_t i = 0; i < c->values.size(); ++i) {
      c->values[i] = a.values[a.values.size() == 1 ? 0 : i] * b.values[b.values.size() == 1 ? 0 : i];
    }
    return const_value(c);
  }

  Value cast(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    const auto to = int_attr(n, "to", 0);
    if (x.kind == Kind::Pending && x.pending->integer && to == onnx::TensorProto::FLOAT) {
      Pending p = *x.pending;
      p.integer = false;
      return pending_value(std::move(p));
    }
    if (x.kind == Kind::Const) return cast_constant(*x.c, static_cast<int>(to));
    // PyTorch casts each QuantizeLinear output to the type it already has.
    if (x.kind == Kind::Act) {
      const QuantType t = acts_[static_cast<size_t>(x.act)].quant.type;
      if (t.bits == 8 && to == (t.is_signed ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8)) return x;
    }
    unsupported(
        "only the Cast of a ConvInteger/MatMulInteger result to float, of a quantised tensor to its own "
        "type, or of a constant");
  }

  // A constant as float, double or an integer type (whose values must be integers within the type).
  static Value cast_constant(const ConstTensor& x, int to) {
    auto c = std::make_shared<ConstTensor>(x);
    c->data_type = to;
    if (c->is_integer()) {
      double lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
      if (to == onnx::TensorProto::UINT8)
        lo = 0, hi = 255;
      else if (to == onnx::TensorProto::INT8)
        lo = -128, hi = 127;
      else if (to != onnx::TensorProto::INT32 && to != onnx::TensorProto::INT64)
        unsupported("Cast to " + data_type_name(to));
      for (const double v : c->values)
        if (v != std::floor(v) || v < lo || v > hi)
          unsupported("Cast of " + std::to_string(v) + " to " + data_type_name(to));
    } else if (to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE) {
      unsupported("Cast to " + data_type_name(to));
    }
    return const_value(c);
  }

  // ConstantOfShape(shape): a constant filled with the `value` attribute (default float 0).
  Value constant_of_shape(const onnx::NodeProto& n) {
    const ConstTensor& shape = constant(n, 0);
    if (!shape.is_integer()) unsupported("the shape must be integers");
    ConstTensor fill;
    fill.data_type = onnx::TensorProto::FLOAT;
    fill.values = {0.0};
    if (const auto* a = find_attribute(n, "value"); a && a->has_t())
      fill = decode_tensor(a->t(), source_ + ": " + node_label(n) + " value");
    if (fill.elements() != 1) unsupported("value must hold one element");
    auto c = std::make_shared<ConstTensor>();
    c->data_type = fill.data_type;
    for (const double d : shape.values) c->dims.push_back(static_cast<std::int64_t>(d));
    // Its size is not bounded by the file's: cap it far above any bias or zero point it makes.
    constexpr std::int64_t kMaxFilled = std::int64_t{1} << 24;
    const std::int64_t count = onnx_import::element_count(c->dims, source_ + ": " + node_label(n));
    if (count > kMaxFilled) unsupported("more than " + std::to_string(kMaxFilled) + " elements");
    c->values.assign(static_cast<size_t>(count), fill.values[0]);
    return const_value(c);
  }

  Pending activation_target(const onnx::NodeProto& n) const {
    Pending p = mutable_pending(n, 0);
    if (p.integer) unsupported("activation on an integer accumulator (Cast and scale it first)");
    if (p.layer.activation != Activation::None || p.has_clip) unsupported("a second activation");
    return p;
  }

  Value relu(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    if (x.kind == Kind::View) {
      const Act& a = acts_[static_cast<size_t>(x.act)];
      return act_value(clip_layer(n, x.act, std::max(a.lo, a.quant.zero_point), a.hi), Kind::View);
    }
    Pending p = activation_target(n);
    p.layer.activation = Activation::Relu;
    return pending_value(std::move(p));
  }

  Value clip(const onnx::NodeProto& n) {
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    if (opset_ < 11) {
      lo = float_attr(n, "min", lo);
      hi = float_attr(n, "max", hi);
    } else {
      auto limit = [&](int k, double& v) {
        if (!input(n, k)) return;
        const ConstTensor& c = constant(n, k);
        if (c.elements() != 1) unsupported("limit " + quoted(n.input(k)) + " is not a scalar");
        v = c.values[0];
      };
      limit(1, lo);
      limit(2, hi);
    }
    if (!(lo <= hi)) unsupported("min above max");
    const Value& x = required(n, 0);
    if (x.kind == Kind::View) {
      const Act& a = acts_[static_cast<size_t>(x.act)];
      auto stored = [&](double v) {
        return static_cast<std::int32_t>(
            std::clamp<double>(round_half_even(v / a.quant.scale) + a.quant.zero_point, a.lo, a.hi));
      };
      return act_value(clip_layer(n, x.act, stored(lo), stored(hi)), Kind::View);
    }
    Pending p = activation_target(n);
    if (lo == 0.0) p.layer.activation = Activation::Relu;
    p.has_clip = true;
    p.clip_lo = lo;
    p.clip_hi = hi;
    return pending_value(std::move(p));
  }

  Value leaky_relu(const onnx::NodeProto& n) {
    Pending p = activation_target(n);
    int k = 0;
    if (!is_power_of_two_slope(float_attr(n, "alpha", 0.01), k))
      unsupported("alpha " + std::to_string(float_attr(n, "alpha", 0.01)) + " is not 2^-k for k in 1..7");
    p.layer.activation = Activation::LeakyRelu;
    p.layer.leaky_shift = k;
    return pending_value(std::move(p));
  }

  // BatchNormalization after a Conv (before its QuantizeLinear): a per-channel affine a*y + b folded into
  // the accumulator scale and the bias; the integer weights stay as they are.
  Value batch_norm(const onnx::NodeProto& n) {
    Pending p = activation_target(n);
    if (p.layer.type != LayerType::Conv && p.layer.type != LayerType::Dense)
      unsupported("BatchNormalization that does not follow a Conv/Gemm/MatMul result");
    // Its channels are axis 1, the rows M of a batched MatMul's [b, M, N] result, not the columns.
    if (rank3_result(p)) unsupported(rank3_reader_message());
    const int c = p.layer.filters;
    const auto gamma = per_channel(constant(n, 1).values, c, "scale");
    const auto beta = per_channel(constant(n, 2).values, c, "B");
    const auto mean = per_channel(constant(n, 3).values, c, "mean");
    const auto var = per_channel(constant(n, 4).values, c, "var");
    const double eps = float_attr(n, "epsilon", 1e-5);
    for (size_t o = 0; o < static_cast<size_t>(c); ++o) {
      const double a = gamma[o] / std::sqrt(var[o] + eps);
      if (!(a > 0)) unsupported("channel " + std::to_string(o) + " has a non-positive scale (gamma <= 0)");
      p.acc_scale[o] *= a;
      p.bias_real[o] = a * (p.bias_real[o] - mean[o]) + beta[o];
    }
    p.layer.batchnorm_folded = true;
    return pending_value(std::move(p));
  }

  // The layer a QuantizeLinear (or QONNX Quant) makes of a pending result.
  int finish(const Pending& p, double sy, std::int32_t zy, QuantType type, std::int32_t lo, std::int32_t hi) {
    if (p.integer) unsupported("quantises an integer accumulator: Cast and scale it first");
    LayerParams params = p.params;
    params.out = {storage(type.is_signed), zy, sy};
    std::vector<double> error;
    const onnx::NodeProto& n = *p.node;
    if (p.has_clip) {
      auto stored = [&](double v) {
        return static_cast<std::int32_t>(std::clamp<double>(round_half_even(v / sy) + zy, lo, hi));
      };
      lo = stored(p.clip_lo);
      hi = stored(p.clip_hi);
    }
    if (p.layer.type == LayerType::Add) {
      const Act& a = acts_[static_cast<size_t>(p.inputs[0])];
      const Act& b = acts_[static_cast<size_t>(p.inputs[1])];
      const double ra = a.quant.scale / sy;
      const double rb = b.quant.scale / sy;
      params.add = add_params(ra, rb, p.layer);
      for (const auto& [m, r] :
           {std::pair{params.add.multiplier_a, ra}, std::pair{params.add.multiplier_b, rb}})
        error.push_back(std::fabs(std::ldexp(m, -params.add.shift) - r) / r);
      return emit(n, p.layer, params, p.inputs, lo, hi, error);
    }
    const size_t channels = p.acc_scale.size();
    params.requant.resize(channels);
    params.bias.resize(channels);
    for (size_t o = 0; o < channels; ++o) {
      const double r = p.acc_scale[o] / sy;
      if (!(r > 0) || !std::isfinite(r))
        unsupported("output channel " + std::to_string(o) +
                    ": the ratio of scales is not a positive finite number");
      try {
        params.requant[o] = requant_for_scale(r, false);
        check_requant(params.requant[o], p.layer.activation, p.layer.leaky_shift);
      } catch (const Error& e) {
        unsupported("output channel " + std::to_string(o) + ": " + e.what());
      }
      error.push_back(std::fabs(std::ldexp(params.requant[o].multiplier, -params.requant[o].shift) - r) / r);
      const double bias = p.bias[o] + round_half_even(p.bias_real[o] / p.acc_scale[o]);
      if (!std::isfinite(bias) || std::fabs(bias) > std::numeric_limits<std::int32_t>::max())
        unsupported("output channel " + std::to_string(o) + ": the bias does not fit int32");
      params.bias[o] = static_cast<std::int32_t>(bias);
    }
    return emit(n, p.layer, params, p.inputs, lo, hi, error);
  }

  Value pool(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    if (x.kind != Kind::View && x.kind != Kind::Act) view_act(n, 0);  // says why not
    const Act& in = acts_[static_cast<size_t>(x.act)];
    if (in.rank3) unsupported(rank3_reader_message());
    Layer l;
    l.type = n.op_type() == "MaxPool" ? LayerType::MaxPool : LayerType::AvgPool;
    if (n.op_type() == "GlobalAveragePool") {
      l.global = true;
    } else {
      if (n.op_type() == "MaxPool" && int_attr(n, "storage_order", 0) != 0) unsupported("storage_order 1");
      window(n, l, 1, 1, in.shape, true);
      const bool padded = l.padding.top || l.padding.left || l.padding.bottom || l.padding.right;
      if (n.op_type() == "AveragePool" && padded && int_attr(n, "count_include_pad", 0) != 0)
        unsupported("count_include_pad 1 with padding");
    }
    if (n.output_size() > 1 && !n.output(1).empty()) unsupported("the Indices output of MaxPool");
    LayerParams p;
    p.out = in.quant;
    return act_value(emit(n, l, p, {x.act}, in.lo, in.hi, {}), x.kind);
  }

  Value flatten(const onnx::NodeProto& n) {
    const Value& x = required(n, 0);
    if (x.kind != Kind::View && x.kind != Kind::Act) view_act(n, 0);
    const Act in = acts_[static_cast<size_t>(x.act)];
    if (in.rank3) unsupported(rank3_reader_message());
    if (n.op_type() == "Flatten") {
      if (int_attr(n, "axis", 1) != 1) unsupported("axis other than 1");
    } else {
      const ConstTensor& shape = constant(n, 1);
      const auto& v = shape.values;
      const bool flat = v.size() == 2 && (v[0] == 1 || v[0] == 0 || v[0] == -1) &&
                        (v[1] == -1 || v[1] == static_cast<double>(in.shape.elements())) &&
                        !(v[0] == -1 && v[1] == -1);
      if (!flat) unsupported("only a reshape to [N, C*H*W] (a flatten) is supported");
    }
    if (in.shape.h == 1 && in.shape.w == 1) return x;  // already a vector
    Layer l;
    l.type = LayerType::Flatten;
    LayerParams p;
    p.out = in.quant;
    const int out = emit(n, l, p, {x.act}, in.lo, in.hi, {});
    acts_[static_cast<size_t>(out)].chw_flat_of = in.shape;
    return act_value(out, x.kind);
  }

  // The act a com.microsoft QLinear node reads at input k with the scale and zero point at k + 1, k + 2.
  int qlinear_input(const onnx::NodeProto& n, int k) {
    const auto s = scales(n, k + 1);
    QuantType t;
    const auto z = zero_points(n, k + 2, t);
    if (s.size() != 1 || z.size() != 1) unsupported("per-channel activation quantisation");
    return qoperator_act(n, k, s[0], z[0], t);
  }

  // QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp): an add layer.
  Value qlinear_add(const onnx::NodeProto& n) {
    const int a = qlinear_input(n, 0);
    const int b = qlinear_input(n, 3);
    if (acts_[static_cast<size_t>(a)].shape != acts_[static_cast<size_t>(b)].shape)
      unsupported("operands of different shapes (no broadcasting)");
    const auto sy = scales(n, 6);
    QuantType ty;
    const auto zy = zero_points(n, 7, ty);
    if (sy.size() != 1 || zy.size() != 1) unsupported("per-channel output quantisation");
    Pending p;
    p.node = &n;
    p.layer.type = LayerType::Add;
    p.inputs = {a, b};
    return act_value(finish(p, sy[0], zy[0], ty, ty.min(), ty.max()), Kind::Act);
  }

  // QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp): a global avgpool keeping the quantisation.
  Value qlinear_global_average(const onnx::NodeProto& n) {
    if (int_attr(n, "channels_last", 0) != 0) unsupported("channels_last 1");
    const int x = qlinear_input(n, 0);
    const Act& in = acts_[static_cast<size_t>(x)];
    if (in.rank3) unsupported(rank3_reader_message());
    const auto sy = scales(n, 3);
    QuantType ty;
    const auto zy = zero_points(n, 4, ty);
    if (sy.size() != 1 || zy.size() != 1 || sy[0] != in.quant.scale || zy[0] != in.quant.zero_point)
      unsupported("output scale and zero point must equal the input's");
    Layer l;
    l.type = LayerType::AvgPool;
    l.global = true;
    LayerParams p;
    p.out = in.quant;
    return act_value(emit(n, l, p, {x}, in.lo, in.hi, {}), Kind::Act);
  }

  Value softmax(const onnx::NodeProto& n) {
    const int a = view_act(n, 0);
    // Softmax normalises each row of a rank-3 tensor on its own: dropping it could change the class.
    if (acts_[static_cast<size_t>(a)].rank3) unsupported(rank3_reader_message());
    return act_value(a, Kind::Final);
  }

  // ---- QOperator ----

  // A QOperator node's weights: input k, an int8/uint8 constant with its scales and zero points per tensor
  // or per output channel (axis 0 of OIHW weights, the last of a [K, N] or [b, K, N] matrix).
  QConst operator_weights(const onnx::NodeProto& n, int k, LayerType type, std::vector<double> s,
                          std::vector<std::int32_t> zp) const {
    const ConstTensor& w = constant(n, k);
    if (w.data_type != onnx::TensorProto::UINT8 && w.data_type != onnx::TensorProto::INT8)
      unsupported("weights must be int8 or uint8");
    QConst q;
    q.dims = w.dims;
    q.q = w.ints();
    q.scales = std::move(s);
    q.zero_points = std::move(zp);
    if (std::max(q.scales.size(), q.zero_points.size()) > 1)
      q.axis = type == LayerType::Conv ? 0 : static_cast<int>(q.dims.size()) - 1;
    return q;
  }

  Value qlinear(const onnx::NodeProto& n, LayerType type) {
    // QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B; QLinearMatMul: the same but B.
    const auto sx = scales(n, 1);
    QuantType tx, tw, ty;
    const auto zx = zero_points(n, 2, tx);
    if (sx.size() != 1 || zx.size() != 1) unsupported("per-channel input quantisation");
    const int x = qoperator_act(n, 0, sx[0], zx[0], tx);
    const QConst q = operator_weights(n, 3, type, scales(n, 4), zero_points(n, 5, tw));
    const auto sy = scales(n, 6);
    const auto zy = zero_points(n, 7, ty);
    if (sy.size() != 1 || zy.size() != 1) unsupported("per-channel output quantisation");
    Pending p = start(n, type, x, q, false);
    if (type == LayerType::Conv && input(n, 8)) {
      const ConstTensor& b = constant(n, 8);
      if (b.data_type != onnx::TensorProto::INT32) unsupported("bias must be int32");
      const std::vector<double> v = per_channel(b.values, p.layer.filters, "bias");
      for (size_t o = 0; o < v.size(); ++o) p.bias[o] = static_cast<std::int32_t>(v[o]);
      p.layer.bias = true;
    }
    return act_value(finish(p, sy[0], zy[0], ty, ty.min(), ty.max()), Kind::Act);
  }

  Value integer_op(const onnx::NodeProto& n, LayerType type) {
    // ConvInteger: x, w, x_zp, w_zp; MatMulInteger: A, B, a_zp, b_zp. The result is the int32 accumulator.
    QuantType tx, tw;
    const auto zx = zero_points(n, 2, tx);
    if (zx.size() != 1) unsupported("a per-row input zero point");
    const Value& xv = required(n, 0);
    if (xv.kind != Kind::Act) unsupported("input must be a quantised (integer) tensor");
    const Act& in = acts_[static_cast<size_t>(xv.act)];
    tx = in.quant.type;  // the zero point's type is the input's
    const double sx =
        in.known ? in.quant.scale : 1.0;  // the accumulator's real scale comes from the Mul after it
    const int x = qoperator_act(n, 0, sx, zx[0], tx);
    const QConst q = operator_weights(n, 1, type, {1.0}, zero_points(n, 3, tw));
    Pending p = start(n, type, x, q, false);
    p.integer = true;
    // The accumulator counts in units of 1 until a Mul gives it the real scale; the input scale is
    // not part of it (it is in the Mul's constant).
    std::fill(p.acc_scale.begin(), p.acc_scale.end(), 1.0);
    return pending_value(std::move(p));
  }

  // ---- the graph's output ----

  void finish_output(const onnx::GraphProto& g) {
    if (g.output_size() != 1)
      throw Error(source_ + ": the graph has " + std::to_string(g.output_size()) +
                  " outputs; the importer takes one");
    const std::string& name = g.output(0).name();
    const auto found = values_.find(name);
    if (found == values_.end())
      throw Error(source_ + ": graph output " + quoted(name) + " is not defined by any node or input");
    const Value& v = found->second;
    int act = -1;
    if (v.kind == Kind::Act || v.kind == Kind::View || v.kind == Kind::Final) {
      act = v.act;
    } else if (v.kind == Kind::Pending && v.pending->integer) {
      act = accumulator_output(*v.pending);
    } else {
      throw Error(source_ + ": graph output " + quoted(name) +
                  " is not a quantised tensor (a float result without its QuantizeLinear, or a constant)");
    }
    if (!acts_[static_cast<size_t>(act)].known)
      throw Error(source_ + ": graph output " + quoted(name) + ": its scale and zero point are never given");
    prune(acts_[static_cast<size_t>(act)].producer);
    const Act& a = acts_[static_cast<size_t>(act)];
    if (a.producer < 0) {
      out_.output = out_.input;
    } else {
      out_.output.type = a.quant.type;
      out_.output.scales = {a.quant.scale};
      out_.output.zero_points = {a.quant.zero_point};
      out_.output.min = a.lo;
      out_.output.max = a.hi;
    }
    out_.activation_bits = activation_bits_;
    out_.weight_bits = 2;
    for (size_t i = 0; i < out_.model.params.size(); ++i)
      if (out_.model.network.layers[i].has_weights() &&
          out_.model.params[i].weight_type.bits > out_.weight_bits) {
        out_.weight_bits = out_.model.params[i].weight_type.bits;
        out_.widest_weight_layer = out_.model.network.layers[i].name;
      }
    // One stored weight width for the whole engine.
    for (size_t i = 0; i < out_.model.params.size(); ++i)
      if (out_.model.network.layers[i].has_weights())
        out_.model.params[i].weight_type = {out_.weight_bits, true};
    out_.model.network.infer_shapes();
  }

  // A ConvInteger/MatMulInteger accumulator as the graph output: a layer with the identity requantisation.
  int accumulator_output(const Pending& p) {
    Pending q = p;
    q.integer = false;
    LayerParams params = q.params;
    params.out = {QuantType{16, true}, 0, 1.0};
    params.requant.assign(q.acc_scale.size(), Requant{1 << 30, 30});
    params.bias = q.bias;
    out_.output_is_accumulator = true;
    return emit(*p.node, q.layer, params, q.inputs, params.out.type.min(), params.out.type.max(),
                std::vector<double>(q.acc_scale.size(), 0.0));
  }

  // Keeps only the layers the output depends on (a branch that ends nowhere is not generated).
  void prune(int last) {
    Network& net = out_.model.network;
    if (last < 0) {
      net.layers.clear();
      out_.model.params.clear();
      out_.multiplier_error.clear();
      return;
    }
    std::vector<bool> keep(net.layers.size(), false);
    keep[static_cast<size_t>(last)] = true;
    for (int i = last; i >= 0; --i)
      if (keep[static_cast<size_t>(i)])
        for (const int id : net.layers[static_cast<size_t>(i)].input_ids)
          if (id >= 0) keep[static_cast<size_t>(id)] = true;
    Network kept = net;
    kept.layers.clear();
    std::vector<LayerParams> params;
    std::vector<std::vector<double>> errors;
    for (size_t i = 0; i <= static_cast<size_t>(last); ++i)
      if (keep[i]) {
        kept.layers.push_back(net.layers[i]);
        params.push_back(out_.model.params[i]);
        errors.push_back(out_.multiplier_error[i]);
      }
    net = std::move(kept);
    out_.model.params = std::move(params);
    out_.multiplier_error = std::move(errors);
  }

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

}  // namespace

std::string sanitised_name(const std::string& raw, const std::string& fallback) {
  std::string s;
  for (const char ch : raw) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '.' || ch == '-';
    s += ok ? ch : '_';
  }
  if (s.empty()) s = fallback;
  if (s[0] == '.' || s[0] == '-') s = "n" + s;
  return s.substr(0, kMaxNameLength - 8);
}

ImportedModel import_onnx(const onnx::ModelProto& model, const std::string& source) {
  return Importer(model, source).run();
}

ImportedModel import_onnx(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&file))
    throw Error(path +
                ": not a readable ONNX model (the protobuf does not parse: truncated or another format)");
  return import_onnx(model, path);
}

}  // namespace dnnvp
