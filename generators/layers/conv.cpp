// conv: 2-D convolution on the engine (docs/scenarios.md, "Layers"; docs/numerics.md).
#include "manifest.h"
#include "weighted.h"

namespace dnnvp {

namespace {

class ConvKind : public WeightedKind {
 public:
  void parse(const Fields& f, Layer& l) const override {
    parse_weighted(f, l, "filters");
    parse_window(f, l, true);
    l.groups = static_cast<int>(f.integer("groups", 1, 1, kMaxDim));
  }
  Shape infer_shape(Layer& l, const LayerFail& fail) const override {
    const int cin = l.input_shapes.at(0).c;
    if (cin % l.groups != 0 || l.filters % l.groups != 0)
      fail("groups", std::to_string(l.groups) + " must divide the input channels (" + std::to_string(cin) +
                         ") and filters (" + std::to_string(l.filters) + ")");
    return infer_window_shape(l, l.filters, fail);
  }
  // Each filter reads only its group's Cin / groups input channels.
  std::int64_t reduction_length(const Layer& l) const override {
    return std::int64_t{l.kernel_h} * l.kernel_w * (l.input_shapes.at(0).c / l.groups);
  }
  void manifest_fields(const Layer& l, const LayerParams&, manifest::LayerEntry& e) const override {
    e.window = manifest_window(l);
  }

 protected:
  std::vector<std::int64_t> weight_dims(const Layer& l) const override {
    return {l.filters, l.kernel_h, l.kernel_w, l.input_shapes.at(0).c / l.groups};
  }
};

}  // namespace

const LayerKind& conv_layer_kind() {
  static const ConvKind kind;
  return kind;
}

}  // namespace dnnvp
