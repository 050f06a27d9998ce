// dense: fully connected layer on the engine, a 1x1xC input (docs/scenarios.md, "Layers").
#include "weighted.h"

namespace dnnvp {

namespace {

class DenseKind : public WeightedKind {
 public:
  void parse(const Fields& f, Layer& l) const override { parse_weighted(f, l, "units"); }
  Shape infer_shape(Layer& l, const LayerFail& fail) const override {
    const Shape in = l.input_shapes[0];
    if (in.h != 1 || in.w != 1) fail("input", "dense needs a 1x1xC input (add a flatten), got " + in.str());
    return {1, 1, l.filters};
  }
  std::int64_t reduction_length(const Layer& l) const override { return l.input_shapes.at(0).c; }

 protected:
  std::vector<std::int64_t> weight_dims(const Layer& l) const override {
    return {l.filters, l.input_shapes.at(0).c};
  }
};

}  // namespace

const LayerKind& dense_layer_kind() {
  static const DenseKind kind;
  return kind;
}

}  // namespace dnnvp
