// add: the residual sum of two tensors of one shape, rescaled to the output's type, on the CPU
// (docs/numerics.md, "Add"; firmware/runtime/ops/dnnvp_op_add.c).
#include <algorithm>
#include <cmath>

#include "layer_kind.h"
#include "manifest.h"
#include "npy.h"

namespace dnnvp {

Tensor add(const Layer& l, const Tensor& a, const TensorQuant& qa, const Tensor& b, const TensorQuant& qb,
           const LayerParams& p) {
  Tensor out(a.shape);
  for (size_t i = 0; i < a.data.size(); ++i)
    out.data[i] = add_elements(a.data[i], qa.zero_point, b.data[i], qb.zero_point, p.add, l.activation,
                               l.leaky_shift, p.out.zero_point, p.out.type, p.rounding);
  return out;
}

AddParams add_params(double ra, double rb, const Layer& l) {
  const int shift = std::clamp(30 - static_cast<int>(std::ceil(std::log2(std::max(ra, rb)))), 0,
                               kMaxShift - (l.activation == Activation::LeakyRelu ? l.leaky_shift : 0));
  return {static_cast<std::int32_t>(std::llround(std::ldexp(ra, shift))),
          static_cast<std::int32_t>(std::llround(std::ldexp(rb, shift))), shift};
}

namespace {

class AddKind : public LayerKind {
 public:
  size_t inputs() const override { return 2; }
  void parse(const Fields& f, Layer& l) const override { parse_activation(f, l); }
  Shape infer_shape(Layer& l, const LayerFail& fail) const override {
    if (l.input_shapes[1] != l.input_shapes[0])
      fail("inputs", "shapes differ: " + l.input_shapes[0].str() + " vs " + l.input_shapes[1].str());
    return l.input_shapes[0];
  }

  Tensor quantize(const QuantizeContext& c, const Layer& l, const Operands& in, LayerParams& p,
                  LayerStats& st) const override {
    const Tensor& in0 = in.at(0).tensor;
    const TensorQuant& q0 = in.at(0).quant;
    const Tensor& in1 = in.at(1).tensor;  // either operand may be the network input
    const TensorQuant& q1 = in.at(1).quant;
    std::vector<double> real(in0.data.size());
    for (size_t k = 0; k < real.size(); ++k)
      real[k] = activate_real(
          q0.scale * (in0.data[k] - q0.zero_point) + q1.scale * (in1.data[k] - q1.zero_point), l);
    p.out.type = output_type(l, c.scenario.quant.activation_bits);
    p.out.scale = calibrate_scale(real, c.scenario, p.out.type);
    p.add = add_params(q0.scale / p.out.scale, q1.scale / p.out.scale, l);
    for (size_t k = 0; k < in0.data.size(); ++k) {
      const std::int64_t v = add_scaled(in0.data[k], q0.zero_point, in1.data[k], q1.zero_point, p.add,
                                        l.activation, l.leaky_shift, p.rounding);
      st.saturated += v < p.out.type.min() || v > p.out.type.max();
    }
    return run(l, p, in);
  }

  Tensor run(const Layer& l, const LayerParams& p, const Operands& in) const override {
    return add(l, in.at(0).tensor, in.at(0).quant, in.at(1).tensor, in.at(1).quant, p);
  }

  void table_row(const Layer&, const LayerParams& p, const std::vector<TensorQuant>&,
                 dnnvp_layer_t& row) const override {
    row.param[0] = p.add.multiplier_a;
    row.param[1] = p.add.multiplier_b;
    row.add_shift = static_cast<std::uint8_t>(p.add.shift);
  }

  void manifest_fields(const Layer&, const LayerParams& p, manifest::LayerEntry& e) const override {
    e.add = manifest::AddParams{p.add.multiplier_a, p.add.multiplier_b, p.add.shift};
  }

  void dump(const Layer&, const LayerParams& p,
            const std::function<std::string(const char*)>& path) const override {
    write_npy_int32(path("add"), {p.add.multiplier_a, p.add.multiplier_b, p.add.shift}, {3});
  }
};

}  // namespace

const LayerKind& add_layer_kind() {
  static const AddKind kind;
  return kind;
}

}  // namespace dnnvp
