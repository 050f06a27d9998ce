#include "network.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "error.h"
#include "layer_kind.h"

namespace dnnvp {

const char* to_string(LayerType type) {
  return dnnvp_layer_type_name(static_cast<std::uint32_t>(type));
}

// model.h writes activations as their numbers.
static_assert(static_cast<int>(Activation::None) == DNNVP_ACT_NONE &&
              static_cast<int>(Activation::Relu) == DNNVP_ACT_RELU &&
              static_cast<int>(Activation::LeakyRelu) == DNNVP_ACT_LEAKY_RELU);

const char* to_string(Activation act) {
  switch (act) {
    case Activation::None:
      return "none";
    case Activation::Relu:
      return "relu";
    case Activation::LeakyRelu:
      return "leaky_relu";
  }
  return "?";
}

std::string name_problem(const std::string& name) {
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  const bool ok = !name.empty() && name.size() <= kMaxNameLength && name[0] != '.' && name[0] != '-' &&
                  std::all_of(name.begin(), name.end(), allowed);
  if (ok) return "";
  return "must be 1.." + std::to_string(kMaxNameLength) +
         " characters of A-Z a-z 0-9 _ . - not starting with . or -, got " + quoted(name);
}

std::string Shape::str() const {
  return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c);
}

std::int64_t Layer::reduction_length() const {
  return layer_kind(type).reduction_length(*this);
}

std::int64_t Layer::weight_count() const {
  return has_weights() ? reduction_length() * filters : 0;
}

std::int64_t Layer::param_count() const {
  return weight_count() + (has_bias() ? filters : 0);
}

std::int64_t Layer::param_count_unfolded() const {
  return weight_count() + (bias ? filters : 0) + (batchnorm_folded ? 2 * filters : 0);
}

std::int64_t Layer::macs() const {
  return weight_count() * output_shape.h * output_shape.w;
}

int Network::find_layer(const std::string& layer_name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == layer_name) return static_cast<int>(i);
  return -1;
}

void Network::infer_shapes() {
  std::set<std::string> seen;
  for (size_t i = 0; i < layers.size(); ++i) {
    Layer& l = layers[i];
    auto fail = [&](const std::string& field, const std::string& msg) {
      throw Error(located(
          source_file, l.source_line,
          layers_field + "[" + std::to_string(i) + "] (" + l.name + ")" + (field.empty() ? "" : "." + field),
          msg));
    };
    if (l.name == kNetworkInput) fail("name", "'input' is reserved for the network input");
    if (!seen.insert(l.name).second) fail("name", "duplicate layer name " + quoted(l.name));
    if (l.inputs.empty()) l.inputs.push_back(i == 0 ? kNetworkInput : layers[i - 1].name);
    const LayerKind& kind = layer_kind(l.type);
    const size_t want_inputs = kind.inputs();
    if (l.inputs.size() != want_inputs)
      fail("inputs",
           "expects " + std::to_string(want_inputs) + " input(s), got " + std::to_string(l.inputs.size()));
    l.input_ids.clear();
    l.input_shapes.clear();
    for (const auto& in : l.inputs) {
      if (in == kNetworkInput) {
        l.input_ids.push_back(-1);
        l.input_shapes.push_back(input_shape);
        continue;
      }
      const int id = find_layer(in);
      if (id < 0 || id >= static_cast<int>(i))
        fail(want_inputs > 1 ? "inputs" : "input", quoted(in) + " is not an earlier layer");
      l.input_ids.push_back(id);
      l.input_shapes.push_back(layers[id].output_shape);
    }
    const Shape in = l.input_shapes[0];
    if (l.has_weights() && in.c > kMaxDim)
      fail("input", std::to_string(in.c) + " input channels; the engine takes at most " +
                        std::to_string(kMaxDim) + " (its channel fields are 16 bits)");
    l.output_shape = kind.infer_shape(l, fail);
    if (l.output_shape.elements() <= 0) fail("", "empty output " + l.output_shape.str());
  }
}

std::int64_t Network::param_count() const {
  return std::accumulate(layers.begin(), layers.end(), std::int64_t{0},
                         [](std::int64_t s, const Layer& l) { return s + l.param_count(); });
}

std::int64_t Network::param_count_unfolded() const {
  return std::accumulate(layers.begin(), layers.end(), std::int64_t{0},
                         [](std::int64_t s, const Layer& l) { return s + l.param_count_unfolded(); });
}

std::int64_t Network::macs() const {
  return std::accumulate(layers.begin(), layers.end(), std::int64_t{0},
                         [](std::int64_t s, const Layer& l) { return s + l.macs(); });
}

}  // namespace dnnvp
