// flatten: HxWxC to 1x1x(HWC); HWC order already is the flattened order, so its output aliases its
// input (generators/layout.cpp) and the firmware only checks that.
#include <limits>

#include "layer_kind.h"

namespace dnnvp {

Tensor flatten(const Tensor& in) {
  Tensor out;
  out.shape = {1, 1, static_cast<int>(in.shape.elements())};
  out.data = in.data;
  return out;
}

namespace {

class FlattenKind : public LayerKind {
 public:
  void parse(const Fields&, Layer&) const override {}
  bool output_aliases_input() const override { return true; }
  Shape infer_shape(Layer& l, const LayerFail& fail) const override {
    const Shape in = l.input_shapes[0];
    if (in.elements() > std::numeric_limits<int>::max())
      fail("input", in.str() + " has more elements than any DRAM holds");
    return {1, 1, static_cast<int>(in.elements())};
  }
  Tensor quantize(const QuantizeContext&, const Layer& l, const Operands& in, LayerParams& p,
                  LayerStats&) const override {
    return keep_input_quant(l, in, p);
  }
  Tensor run(const Layer&, const LayerParams&, const Operands& in) const override {
    return flatten(in.at(0).tensor);
  }
};

}  // namespace

const LayerKind& flatten_layer_kind() {
  static const FlattenKind kind;
  return kind;
}

}  // namespace dnnvp
