// What MaxPool and AvgPool share: a window over each channel, on the CPU, keeping the input's type.
#pragma once

#include <algorithm>

#include "layer_kind.h"
#include "manifest.h"

namespace dnnvp {

class PoolKind : public LayerKind {
 public:
  void parse(const Fields& f, Layer& l) const override { parse_window(f, l, false); }
  Shape infer_shape(Layer& l, const LayerFail& fail) const override {
    return infer_window_shape(l, l.input_shapes[0].c, fail);
  }
  Tensor quantize(const QuantizeContext&, const Layer& l, const Operands& in, LayerParams& p,
                  LayerStats&) const override {
    return keep_input_quant(l, in, p);
  }
  void manifest_fields(const Layer& l, const LayerParams&, manifest::LayerEntry& e) const override {
    e.window = manifest_window(l);
  }
};

// Visits the in-bounds input positions of every pooling window; padding is skipped.
template <typename Reduce>
Tensor pool(const Layer& l, const Tensor& in, const Reduce& reduce) {
  Tensor out(l.output_shape);
  for (int oy = 0; oy < out.shape.h; ++oy)
    for (int ox = 0; ox < out.shape.w; ++ox) {
      const int y0 = oy * l.stride_h - l.padding.top;
      const int x0 = ox * l.stride_w - l.padding.left;
      const int y_lo = std::max(y0, 0);
      const int y_hi = std::min(y0 + l.kernel_h, in.shape.h);
      const int x_lo = std::max(x0, 0);
      const int x_hi = std::min(x0 + l.kernel_w, in.shape.w);
      for (int c = 0; c < out.shape.c; ++c) out.at(oy, ox, c) = reduce(y_lo, y_hi, x_lo, x_hi, c);
    }
  return out;
}

}  // namespace dnnvp
