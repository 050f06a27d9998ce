// maxpool: the largest value of each window, on the CPU (firmware/runtime/ops/dnnvp_op_maxpool.c).
#include <limits>

#include "pool.h"

namespace dnnvp {

Tensor max_pool(const Layer& l, const Tensor& in) {
  return pool(l, in, [&](int y_lo, int y_hi, int x_lo, int x_hi, int c) {
    std::int32_t m = std::numeric_limits<std::int32_t>::min();
    for (int y = y_lo; y < y_hi; ++y)
      for (int x = x_lo; x < x_hi; ++x) m = std::max(m, in.at(y, x, c));
    return m;
  });
}

namespace {

class MaxPoolKind : public PoolKind {
 public:
  Tensor run(const Layer& l, const LayerParams&, const Operands& in) const override {
    return max_pool(l, in.at(0).tensor);
  }
};

}  // namespace

const LayerKind& maxpool_layer_kind() {
  static const MaxPoolKind kind;
  return kind;
}

}  // namespace dnnvp
