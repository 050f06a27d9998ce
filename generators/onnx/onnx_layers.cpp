// The Importer making layers of QDQ nodes and of the com.microsoft QLinear ones (onnx_importer.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "onnx_importer.h"

namespace dnnvp {
namespace onnx_import {

namespace {

double float_attr(const onnx::NodeProto& n, const std::string& name, double fallback) {
  const auto* a = find_attribute(n, name);
  return a ? a->f() : fallback;
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

bool is_power_of_two_slope(double alpha, int& k) {
  for (k = 1; k <= 7; ++k)
    if (alpha == std::ldexp(1.0, -k)) return true;
  return false;
}

}  // namespace

std::string Importer::layer_name(const onnx::NodeProto& n, const std::string& suffix) {
  std::string lower = n.op_type();
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string base = sanitised_name(n.name(), lower) + suffix;
  std::string name = base;
  for (int k = 2; name == kNetworkInput || used_names_.count(name); ++k)
    name = base + "_" + std::to_string(k);
  used_names_.insert(name);
  return name;
}

std::string Importer::producer_name(int act) const {
  const int p = acts_[static_cast<size_t>(act)].producer;
  return p < 0 ? kNetworkInput : out_.model.network.layers[static_cast<size_t>(p)].name;
}

// Appends a layer reading `inputs`; returns the act of its output.
int Importer::emit(const onnx::NodeProto& n, Layer l, LayerParams p, const std::vector<int>& inputs,
                   std::int32_t lo, std::int32_t hi, std::vector<double> multiplier_error,
                   const std::string& suffix) {
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
int Importer::clip_layer(const onnx::NodeProto& n, int id, std::int32_t lo, std::int32_t hi) {
  const Act in = acts_[static_cast<size_t>(id)];
  Layer l;
  l.type = LayerType::Clip;
  // Real limits whose stored values are exactly lo and hi (the layer stores limit / scale + zero point).
  set_clip_range(l, (lo - in.quant.zero_point) * in.quant.scale, (hi - in.quant.zero_point) * in.quant.scale);
  LayerParams p;
  p.out = in.quant;
  const int out = emit(n, l, p, {id}, in.quant.type.min(), in.quant.type.max(), {}, "_clip");
  acts_[static_cast<size_t>(out)].lo = lo;
  acts_[static_cast<size_t>(out)].hi = hi;
  return out;
}

// Window attributes of Conv / pools (kernel from the weights for Conv).
void Importer::window(const onnx::NodeProto& n, Layer& l, int kh, int kw, const Shape& in, bool is_pool) {
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

// q: the stored weights; out_axis: the dim of q that is the output channel.
Importer::Weights Importer::fold_weights(const QConst& q, int out_axis, int outputs) {
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
QConst Importer::batch_matrix(const QConst& q, const Act& a) {
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
std::string Importer::rank3_reader_message() {
  return "reads a rank-3 [b, M, K] tensor (a batched MatMul's); only MatMul, Add, Relu, Clip, "
         "LeakyRelu and Quantize/DequantizeLinear may follow one";
}

Pending Importer::start(const onnx::NodeProto& n, LayerType type, int in_act, const QConst& q, bool trans_b) {
  const Act& in = acts_[static_cast<size_t>(in_act)];
  Pending p;
  p.node = &n;
  p.layer.type = type;
  p.inputs = {in_act};
  Weights w;
  if (type == LayerType::Conv) {
    if (in.rank3) unsupported(rank3_reader_message());
    if (q.dims.size() != 4) unsupported("weights that are not 4-D (OIHW)");
    // ONNX's `group`: weights [O][Cin/group][kh][kw], the OHWI-per-group layout the scenario's `groups` has.
    const int groups = small_int(int_attr(n, "group", 1), "group", 1, kMaxDim);
    if (in.shape.c % groups != 0 || q.dims[0] % groups != 0)
      unsupported("group " + std::to_string(groups) + " does not divide the input's " +
                  std::to_string(in.shape.c) + " channels and the " + std::to_string(q.dims[0]) + " outputs");
    if (q.dims[1] != in.shape.c / groups)
      unsupported("weights for " + std::to_string(q.dims[1]) + " input channels, the input has " +
                  std::to_string(in.shape.c) +
                  (groups > 1 ? " in " + std::to_string(groups) + " groups" : ""));
    p.layer.groups = groups;
    const int outputs = small_int(q.dims[0], "output channels", 1, kMaxDim);
    const int kh = small_int(q.dims[2], "kernel height", 1, kMaxDim);
    const int kw = small_int(q.dims[3], "kernel width", 1, kMaxDim);
    window(n, p.layer, kh, kw, in.shape, false);
    p.layer.filters = outputs;
    const Weights oihw = fold_weights(q, 0, outputs);
    w = oihw;
    const int c = in.shape.c / groups;
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

bool Importer::rank3_result(const Pending& p) const {
  return !p.inputs.empty() && acts_[static_cast<size_t>(p.inputs[0])].rank3;
}

// A per-channel constant (of `dims`) applied to a rank-3 [b, M, N] result must vary along its last
// axis only, as the layer's channels do.
void Importer::check_last_axis(const Pending& p, const std::vector<std::int64_t>& dims,
                               const std::string& what) const {
  if (!rank3_result(p)) return;
  for (size_t k = 0; k + 1 < dims.size(); ++k)
    if (dims[k] != 1)
      unsupported(what + " varies along an axis other than the last of a rank-3 [b, M, N] result");
}

// A bias input: a float constant (real) or a dequantised int32 constant whose scale is the
// accumulator's (within float32 rounding: then exact).
void Importer::add_bias(Pending& p, const Value& b, const std::string& name) {
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

Value Importer::pending_value(Pending p) {
  Value v;
  v.kind = Kind::Pending;
  v.pending = std::make_shared<const Pending>(std::move(p));
  return v;
}

const QConst& Importer::weights_input(const onnx::NodeProto& n, int k) const {
  const Value& v = required(n, k);
  if (v.kind != Kind::QConstant || v.qc->is_int32)
    unsupported("weights " + quoted(n.input(k)) + " must be a dequantised int8/uint8 constant");
  return *v.qc;
}

Value Importer::qdq_weighted(const onnx::NodeProto& n, LayerType type) {
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

Value Importer::add(const onnx::NodeProto& n) {
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

Pending Importer::mutable_pending(const onnx::NodeProto& n, int k) const {
  const Value& v = required(n, k);
  if (v.kind != Kind::Pending)
    unsupported("input " + quoted(n.input(k)) + " is not a Conv/Gemm/MatMul/Add result");
  return *v.pending;
}

Value Importer::mul(const onnx::NodeProto& n) {
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
Value Importer::constant_product(const onnx::NodeProto& n) {
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

Value Importer::cast(const onnx::NodeProto& n) {
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
Value Importer::cast_constant(const ConstTensor& x, int to) {
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
Value Importer::constant_of_shape(const onnx::NodeProto& n) {
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

Pending Importer::activation_target(const onnx::NodeProto& n) const {
  Pending p = mutable_pending(n, 0);
  if (p.integer) unsupported("activation on an integer accumulator (Cast and scale it first)");
  if (p.layer.activation != Activation::None || p.has_clip) unsupported("a second activation");
  return p;
}

Value Importer::relu(const onnx::NodeProto& n) {
  const Value& x = required(n, 0);
  if (x.kind == Kind::View) {
    const Act& a = acts_[static_cast<size_t>(x.act)];
    return act_value(clip_layer(n, x.act, std::max(a.lo, a.quant.zero_point), a.hi), Kind::View);
  }
  Pending p = activation_target(n);
  p.layer.activation = Activation::Relu;
  return pending_value(std::move(p));
}

Value Importer::clip(const onnx::NodeProto& n) {
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

Value Importer::leaky_relu(const onnx::NodeProto& n) {
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
Value Importer::batch_norm(const onnx::NodeProto& n) {
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
int Importer::finish(const Pending& p, double sy, std::int32_t zy, QuantType type, std::int32_t lo,
                     std::int32_t hi) {
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

Value Importer::pool(const onnx::NodeProto& n) {
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

Value Importer::flatten(const onnx::NodeProto& n) {
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
int Importer::qlinear_input(const onnx::NodeProto& n, int k) {
  const auto s = scales(n, k + 1);
  QuantType t;
  const auto z = zero_points(n, k + 2, t);
  if (s.size() != 1 || z.size() != 1) unsupported("per-channel activation quantisation");
  return qoperator_act(n, k, s[0], z[0], t);
}

// QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp): an add layer.
Value Importer::qlinear_add(const onnx::NodeProto& n) {
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
Value Importer::qlinear_global_average(const onnx::NodeProto& n) {
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

Value Importer::softmax(const onnx::NodeProto& n) {
  const int a = view_act(n, 0);
  // Softmax normalises each row of a rank-3 tensor on its own: dropping it could change the class.
  if (acts_[static_cast<size_t>(a)].rank3) unsupported(rank3_reader_message());
  return act_value(a, Kind::Final);
}

}  // namespace onnx_import
}  // namespace dnnvp
