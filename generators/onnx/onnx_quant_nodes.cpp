// The Importer on QuantizeLinear, DequantizeLinear and QONNX Quant nodes (onnx_importer.h).
#include <algorithm>
#include <cmath>

#include "onnx_importer.h"

namespace dnnvp {
namespace onnx_import {

namespace {

bool is_stored_integer(int data_type) {
  return data_type == onnx::TensorProto::UINT8 || data_type == onnx::TensorProto::INT8 ||
         data_type == onnx::TensorProto::INT32;
}

}  // namespace

// Per-channel (axis) quantisation of an activation: only the graph input, one value per channel.
void Importer::check_channel_quant(const onnx::NodeProto& n, size_t count) const {
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

Value Importer::quantize_linear(const onnx::NodeProto& n) {
  const Value& x = required(n, 0);
  const std::vector<double> s = scales(n, 1);
  QuantType type;
  const std::vector<std::int32_t> zp = zero_points(n, 2, type);
  if (x.kind == Kind::Const) return quantize_constant(n, *x.c, s, zp, type);
  return quantize_activation(n, x, s, zp, type, type.min(), type.max());
}

Value Importer::quantize_constant(const onnx::NodeProto& n, const ConstTensor& c,
                                  const std::vector<double>& s, const std::vector<std::int32_t>& zp,
                                  QuantType type) {
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
std::vector<std::int64_t> Importer::slice_index(const std::vector<std::int64_t>& dims, int axis,
                                                size_t slices, const std::string& what) {
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

Value Importer::quantize_activation(const onnx::NodeProto& n, const Value& x, const std::vector<double>& s,
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

Value Importer::dequantize_linear(const onnx::NodeProto& n) {
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
Value Importer::qonnx_quant(const onnx::NodeProto& n) {
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

}  // namespace onnx_import
}  // namespace dnnvp
