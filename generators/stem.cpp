#include "stem.h"

#include "error.h"

namespace dnnvp {

namespace {

int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

// The plan's view of the first layer, when it runs as the stem.
const Layer* stem_view(const NetworkPlan& plan) {
  if (plan.layers.empty() || !plan.layers.front() || !plan.layers.front()->engine_view) return nullptr;
  return &*plan.layers.front()->engine_view;
}

}  // namespace

Layer stem_engine_layer(const Layer& l) {
  Layer v = l;
  const Shape in = l.input_shapes.at(0);
  v.kernel_w = 1;
  v.stride_w = 1;
  v.padding.left = v.padding.right = 0;
  v.input_shapes.at(0) = {in.h, l.output_shape.w, l.kernel_w * in.c};
  return v;
}

std::optional<LayerPlan> plan_stem(const Scenario& s, const EngineConfig& c) {
  const auto& layers = s.network.layers;
  if (!s.mapping.stem_im2col || layers.empty()) return std::nullopt;
  const Layer& l = layers.front();
  if (l.type != LayerType::Conv || l.groups != 1 || l.input_ids != std::vector<int>{-1}) return std::nullopt;
  for (size_t i = 1; i < layers.size(); ++i)
    for (const int id : layers[i].input_ids)
      if (id < 0) return std::nullopt;
  const int cin = l.input_shapes.at(0).c;
  if (ceil_div(l.kernel_w * cin, c.rows) >= l.kernel_w * ceil_div(cin, c.rows)) return std::nullopt;
  const Layer view = stem_engine_layer(l);
  std::optional<LayerPlan> plan;
  try {
    plan = plan_layer(view, c);
  } catch (const Error&) {  // X' rows are wider than the image's: the original layer may still fit
    return std::nullopt;
  }
  // The layer must read the image at least once, not X' (which repeats each value up to kw / stride_w times).
  plan->dram.lower_bound = plan->dram.lower_bound - input_read_bytes(view, c) + input_read_bytes(l, c);
  plan->engine_view = view;
  return plan;
}

Tensor stem_im2col_input(const Tensor& x, const Layer& l, std::int32_t zero_point) {
  const Shape in = x.shape;
  Tensor out(stem_engine_layer(l).input_shapes.at(0));
  for (int y = 0; y < in.h; ++y)
    for (int ox = 0; ox < out.shape.w; ++ox)
      for (int kx = 0; kx < l.kernel_w; ++kx) {
        const int ix = ox * l.stride_w + kx - l.padding.left;
        for (int ch = 0; ch < in.c; ++ch)
          out.at(y, ox, kx * in.c + ch) = ix >= 0 && ix < in.w ? x.at(y, ix, ch) : zero_point;
      }
  return out;
}

Tensor engine_input(const Tensor& image, const QuantizedModel& m, const NetworkPlan& plan) {
  const Layer* view = stem_view(plan);
  return view ? stem_im2col_input(image, m.network.layers.front(), m.input.zero_point) : image;
}

Shape engine_input_shape(const Network& n, const NetworkPlan& plan) {
  const Layer* view = stem_view(plan);
  return view ? view->input_shapes.at(0) : n.input_shape;
}

}  // namespace dnnvp
