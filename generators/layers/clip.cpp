// clip: every value limited to the range [min, max] (real values; min 0, max 6 is ReLU6), on the CPU
// (docs/numerics.md, "Clip"; firmware/runtime/ops/dnnvp_op_clip.c). The output keeps the input's type
// and scale, so the limits become two stored values of that type and the layer is a clamp.
#include <algorithm>
#include <array>
#include <cmath>

#include "layer_kind.h"

namespace dnnvp {

namespace {

struct ClipFields {
  double min = 0.0;
  double max = 6.0;
};

// The limits as stored values of the input's type q: zero point + round(limit / scale), rounded to
// nearest with ties toward +infinity, saturated to the type.
std::array<std::int32_t, 2> clip_range(const Layer& l, const TensorQuant& q) {
  // A clip built in code rather than read from a scenario has the scenario's defaults.
  const ClipFields* read = std::any_cast<ClipFields>(&l.kind_fields);
  const ClipFields f = read != nullptr ? *read : ClipFields{};
  auto stored = [&](double limit) {
    return saturate(q.zero_point + static_cast<std::int64_t>(std::floor(limit / q.scale + 0.5)), q.type);
  };
  return {stored(f.min), stored(f.max)};
}

class ClipKind : public LayerKind {
 public:
  void parse(const Fields& f, Layer& l) const override {
    ClipFields c;
    c.min = f.number("min", c.min, -1e9, 1e9);
    c.max = f.number("max", c.max, -1e9, 1e9);
    if (!(c.min < c.max)) f.fail("max", "must be larger than min");
    l.kind_fields = c;
  }
  Shape infer_shape(Layer& l, const LayerFail&) const override { return l.input_shapes[0]; }
  Tensor quantize(const QuantizeContext&, const Layer& l, const Operands& in, LayerParams& p,
                  LayerStats&) const override {
    return keep_input_quant(l, in, p);
  }
  Tensor run(const Layer& l, const LayerParams&, const Operands& in) const override {
    const auto [lo, hi] = clip_range(l, in.at(0).quant);
    Tensor out = in.at(0).tensor;
    for (std::int32_t& v : out.data) v = std::clamp(v, lo, hi);
    return out;
  }
  void table_row(const Layer& l, const LayerParams&, const std::vector<TensorQuant>& in_quants,
                 dnnvp_layer_t& row) const override {
    const auto [lo, hi] = clip_range(l, in_quants.at(0));
    row.param[0] = lo;
    row.param[1] = hi;
  }
};

}  // namespace

void set_clip_range(Layer& l, double min, double max) {
  l.kind_fields = ClipFields{min, max};
}

const LayerKind& clip_layer_kind() {
  static const ClipKind kind;
  return kind;
}

}  // namespace dnnvp
