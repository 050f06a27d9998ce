// The Importer on QOperator nodes: QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger
// (onnx_importer.h).
#include <algorithm>

#include "onnx_importer.h"

namespace dnnvp {
namespace onnx_import {

// A QOperator node's weights: input k, an int8/uint8 constant with its scales and zero points per tensor
// or per output channel (axis 0 of OIHW weights, the last of a [K, N] or [b, K, N] matrix).
QConst Importer::operator_weights(const onnx::NodeProto& n, int k, LayerType type, std::vector<double> s,
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

Value Importer::qlinear(const onnx::NodeProto& n, LayerType type) {
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

Value Importer::integer_op(const onnx::NodeProto& n, LayerType type) {
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

}  // namespace onnx_import
}  // namespace dnnvp
