// avgpool: the rounded average of each window's in-bounds values less the input's zero point, plus the
// zero point, on the CPU (firmware/runtime/ops/dnnvp_op_avgpool.c).
#include "pool.h"

namespace dnnvp {

Tensor avg_pool(const Layer& l, const Tensor& in, std::int32_t in_zero_point, Rounding rounding) {
  return pool(l, in, [&](int y_lo, int y_hi, int x_lo, int x_hi, int c) {
    std::int64_t sum = 0;
    for (int y = y_lo; y < y_hi; ++y)
      for (int x = x_lo; x < x_hi; ++x) sum += in.at(y, x, c);
    return pool_average(sum, std::int64_t{y_hi - y_lo} * (x_hi - x_lo), in_zero_point, rounding);
  });
}

namespace {

class AvgPoolKind : public PoolKind {
 public:
  Tensor run(const Layer& l, const LayerParams& p, const Operands& in) const override {
    return avg_pool(l, in.at(0).tensor, in.at(0).quant.zero_point, p.rounding);
  }
};

}  // namespace

const LayerKind& avgpool_layer_kind() {
  static const AvgPoolKind kind;
  return kind;
}

}  // namespace dnnvp
