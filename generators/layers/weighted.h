// What Conv and Dense share: both run on the engine with the same arithmetic (accumulate over
// (x - zx) * (w - zw) plus bias, then per-channel requantisation), weights and requantisation chosen
// the same way.
#pragma once

#include "layer_kind.h"

namespace dnnvp {

class WeightedKind : public LayerKind {
 public:
  Tensor quantize(const QuantizeContext& c, const Layer& l, const Operands& in, LayerParams& p,
                  LayerStats& st) const override;
  Tensor run(const Layer& l, const LayerParams& p, const Operands& in) const override;
  void table_row(const Layer& l, const LayerParams& p, const std::vector<TensorQuant>& in_quants,
                 dnnvp_layer_t& row) const override;
  void dump(const Layer& l, const LayerParams& p,
            const std::function<std::string(const char*)>& path) const override;

 protected:
  // filters (under `count_key`), bias, bn, activation.
  static void parse_weighted(const Fields& f, Layer& l, const char* count_key);
  // Shape of the weights array in a layer dump.
  virtual std::vector<std::int64_t> weight_dims(const Layer& l) const = 0;
};

}  // namespace dnnvp
