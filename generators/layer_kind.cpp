#include "layer_kind.h"
#include "manifest.h"

#include <array>

namespace dnnvp {

// Each generators/layers/<name>.cpp defines <name>_layer_kind(); the list names them all, so a type
// without its file does not link.
#define DNNVP_DECLARE_LAYER_KIND_(ID, Name, name, PLACE) const LayerKind& name##_layer_kind();
DNNVP_LAYER_TYPES(DNNVP_DECLARE_LAYER_KIND_)
#undef DNNVP_DECLARE_LAYER_KIND_

namespace {

struct Entry {
  LayerType type;
  const char* name;
  const LayerKind& (*kind)();
};

#define DNNVP_LAYER_ENTRY_(ID, Name, name, PLACE) Entry{LayerType::Name, #name, &name##_layer_kind},
constexpr std::array kEntries{DNNVP_LAYER_TYPES(DNNVP_LAYER_ENTRY_)};
#undef DNNVP_LAYER_ENTRY_
static_assert(kEntries.size() == DNNVP_LAYER_TYPE_COUNT);

}  // namespace

const LayerKind& layer_kind(LayerType type) {
  return kEntries.at(static_cast<size_t>(type)).kind();
}

bool layer_type_named(const std::string& name, LayerType& type) {
  for (const Entry& e : kEntries)
    if (name == e.name) {
      type = e.type;
      return true;
    }
  return false;
}

std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) names.emplace_back(e.name);
  return names;
}

Operands layer_operands(const QuantizedModel& m, const Layer& l, const Tensor& input,
                        const std::vector<Tensor>& outputs) {
  Operands in;
  for (const int id : l.input_ids)
    in.push_back({id < 0 ? input : outputs.at(static_cast<size_t>(id)), m.quant_of(id)});
  return in;
}

void parse_activation(const Fields& f, Layer& l) {
  const std::string act = f.choice("activation", "none", {"none", "relu", "leaky_relu"});
  l.activation = act == "relu"         ? Activation::Relu
                 : act == "leaky_relu" ? Activation::LeakyRelu
                                       : Activation::None;
  if (f.has("leaky_shift")) {
    if (l.activation != Activation::LeakyRelu) f.fail("leaky_shift", "only with leaky_relu");
    l.leaky_shift = static_cast<int>(f.integer("leaky_shift", 3, 1, 7));
  }
}

void parse_window(const Fields& f, Layer& l, bool is_conv) {
  l.global = !is_conv && f.boolean("global", false);
  if (l.global) return;
  const auto k = f.int_list("kernel", {1, 2}, 1, is_conv ? kMaxConvKernel : 255);
  l.kernel_h = static_cast<int>(k.front());
  l.kernel_w = static_cast<int>(k.back());
  if (f.has("stride")) {
    const auto s = f.int_list("stride", {1, 2}, 1, is_conv ? kMaxConvStride : 255);
    l.stride_h = static_cast<int>(s.front());
    l.stride_w = static_cast<int>(s.back());
  } else if (!is_conv) {
    l.stride_h = l.kernel_h;
    l.stride_w = l.kernel_w;
  }
  if (f.has("padding")) {
    const auto p = f.int_list("padding", {1, 2, 4}, 0, 10);
    if (p.size() == 4)
      l.padding = {static_cast<int>(p[0]), static_cast<int>(p[1]), static_cast<int>(p[2]),
                   static_cast<int>(p[3])};
    else
      l.padding = {static_cast<int>(p.front()), static_cast<int>(p.back()), static_cast<int>(p.front()),
                   static_cast<int>(p.back())};
  }
}

manifest::Window manifest_window(const Layer& l) {
  const auto u = [](int v) { return static_cast<std::uint64_t>(v); };
  return {{u(l.kernel_h), u(l.kernel_w)},
          {u(l.stride_h), u(l.stride_w)},
          {u(l.padding.top), u(l.padding.left), u(l.padding.bottom), u(l.padding.right)}};
}

namespace {

int window_output(int in, int before, int after, int kernel, int stride) {
  const int span = in + before + after - kernel;
  return span < 0 ? 0 : span / stride + 1;
}

}  // namespace

Shape infer_window_shape(Layer& l, int channels, const LayerFail& fail) {
  const Shape in = l.input_shapes[0];
  if (l.global) {
    l.kernel_h = in.h;
    l.kernel_w = in.w;
    l.stride_h = in.h;
    l.stride_w = in.w;
    l.padding = {};
  }
  if (l.kernel_h > in.h + l.padding.top + l.padding.bottom ||
      l.kernel_w > in.w + l.padding.left + l.padding.right)
    fail("kernel", std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) +
                       " is larger than the padded input " + in.str());
  if (l.padding.top >= l.kernel_h || l.padding.bottom >= l.kernel_h || l.padding.left >= l.kernel_w ||
      l.padding.right >= l.kernel_w)
    fail("padding", "must be smaller than the kernel");
  return {window_output(in.h, l.padding.top, l.padding.bottom, l.kernel_h, l.stride_h),
          window_output(in.w, l.padding.left, l.padding.right, l.kernel_w, l.stride_w), channels};
}

}  // namespace dnnvp
