// The Importer reading the graph (opset, initializers, input, node order), visiting its nodes and making
// its output (onnx_importer.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "onnx_importer.h"

namespace dnnvp {
namespace onnx_import {

namespace {

const char* const kQonnxDomains[] = {"qonnx.custom_op.general", "finn.custom_op.general"};

bool is_default_domain(const std::string& d) {
  return d.empty() || d == "ai.onnx";
}

bool is_qonnx_domain(const std::string& d) {
  return std::find(std::begin(kQonnxDomains), std::end(kQonnxDomains), d) != std::end(kQonnxDomains);
}

QuantType type_of_zero_point(int data_type, const std::string& what) {
  if (data_type == onnx::TensorProto::UINT8) return {8, false};
  if (data_type == onnx::TensorProto::INT8) return {8, true};
  unsupported(what + " is " + data_type_name(data_type) + "; the quantised types are uint8 and int8");
}

}  // namespace

ImportedModel Importer::run() {
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

// ---- reading the graph ----

void Importer::check_opset() {
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

void Importer::define(const std::string& name, Value v, const std::string& by) {
  if (name.empty()) return;
  if (!values_.emplace(name, std::move(v)).second)
    throw Error(source_ + ": tensor " + quoted(name) + " is defined twice (again by " + by + ")");
}

void Importer::read_initializers(const onnx::GraphProto& g) {
  for (const auto& t : g.initializer()) {
    define(t.name(),
           const_value(std::make_shared<ConstTensor>(
               decode_tensor(t, source_ + ": initializer " + quoted(t.name())))),
           "an initializer");
  }
}

void Importer::read_graph_input(const onnx::GraphProto& g) {
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
int Importer::widest_activation_bits(const onnx::GraphProto& g) const {
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

std::vector<int> Importer::topological_order(const onnx::GraphProto& g) {
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

void Importer::visit(const onnx::NodeProto& n) {
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

const Value* Importer::input(const onnx::NodeProto& n, int k) const {
  if (k >= n.input_size() || n.input(k).empty()) return nullptr;
  return &values_.at(n.input(k));
}

const Value& Importer::required(const onnx::NodeProto& n, int k) const {
  const Value* v = input(n, k);
  if (!v) unsupported("input " + std::to_string(k) + " is missing");
  return *v;
}

const ConstTensor& Importer::constant(const onnx::NodeProto& n, int k) const {
  const Value& v = required(n, k);
  if (v.kind != Kind::Const)
    unsupported("input " + quoted(n.input(k)) + " must be a constant (an initializer)");
  return *v.c;
}

// A scale (positive, finite) or zero point (integer) input.
std::vector<double> Importer::scales(const onnx::NodeProto& n, int k) const {
  const ConstTensor& t = constant(n, k);
  if (t.is_integer() || t.values.empty()) unsupported("scale " + quoted(n.input(k)) + " must be float");
  for (double s : t.values)
    if (!(s > 0) || !std::isfinite(s))
      unsupported("scale " + quoted(n.input(k)) + " must be positive and finite");
  return t.values;
}

std::vector<std::int32_t> Importer::zero_points(const onnx::NodeProto& n, int k, QuantType& type) const {
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

std::vector<Value> Importer::handle(const onnx::NodeProto& n) {
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

Value Importer::constant_node(const onnx::NodeProto& n) {
  const auto* a = find_attribute(n, "value");
  if (!a || !a->has_t()) unsupported("only a 'value' tensor attribute is supported");
  return const_value(
      std::make_shared<ConstTensor>(decode_tensor(a->t(), source_ + ": " + node_label(n) + " value")));
}

Value Importer::const_value(std::shared_ptr<const ConstTensor> c) {
  Value v;
  v.kind = Kind::Const;
  v.c = std::move(c);
  return v;
}

Value Importer::act_value(int act, Kind kind) {
  Value v;
  v.kind = kind;
  v.act = act;
  return v;
}

// The act behind a real-valued view (QDQ and QONNX ops take DequantizeLinear'd tensors).
int Importer::view_act(const onnx::NodeProto& n, int k) const {
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
int Importer::qoperator_act(const onnx::NodeProto& n, int k, double scale, std::int32_t zero_point,
                            QuantType type) {
  const Value& v = required(n, k);
  if (v.kind != Kind::Act)
    unsupported("input " + quoted(n.input(k)) + " must be a quantised (integer) tensor");
  set_or_check_quant(v.act, {scale}, {zero_point}, type);
  return v.act;
}

void Importer::set_or_check_quant(int id, const std::vector<double>& s, const std::vector<std::int32_t>& zp,
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
  const bool same =
      a.per_channel ? s == out_.input.scales && zp == out_.input.zero_points
                    : s.size() == 1 && zp.size() == 1 && s[0] == a.quant.scale && zp[0] == a.quant.zero_point;
  if (!same)
    unsupported("dequantises " + tensor_name(id) +
                " with another scale or zero point than it was quantised with");
}

std::string Importer::tensor_name(int act) const {
  const int p = acts_[static_cast<size_t>(act)].producer;
  return p < 0 ? "the graph input"
               : "layer " + quoted(out_.model.network.layers[static_cast<size_t>(p)].name) + "'s output";
}

void Importer::set_input_quant(const std::vector<double>& s, const std::vector<std::int32_t>& zp,
                               const Act& a) {
  out_.input.type = a.quant.type;
  out_.input.scales = s;
  out_.input.zero_points = zp;
  out_.input.min = a.lo;
  out_.input.max = a.hi;
  out_.model.input = a.quant;
}

// ---- the graph's output ----

void Importer::finish_output(const onnx::GraphProto& g) {
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
int Importer::accumulator_output(const Pending& p) {
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
void Importer::prune(int last) {
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

}  // namespace onnx_import
}  // namespace dnnvp
