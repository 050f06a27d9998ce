#include "network_yaml.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "error.h"

namespace dnnvp {

std::string read_name(const Fields& f, const std::string& key) {
  std::string name = f.required_string(key);
  if (const std::string problem = name_problem(name); !problem.empty()) f.fail(key, problem);
  return name;
}

namespace {

Layer parse_layer(const Fields& f) {
  Layer l;
  l.source_line = f.own_line();
  l.name = read_name(f, "name");
  f.node("type");  // required: a missing type says so rather than "got ''"
  const std::string type = f.choice("type", "", {"conv", "dense", "maxpool", "avgpool", "flatten", "add"});
  const bool windowed = type == "conv" || type == "maxpool" || type == "avgpool";
  const bool weighted = type == "conv" || type == "dense";
  if (type == "conv") l.type = LayerType::Conv;
  if (type == "dense") l.type = LayerType::Dense;
  if (type == "maxpool") l.type = LayerType::MaxPool;
  if (type == "avgpool") l.type = LayerType::AvgPool;
  if (type == "flatten") l.type = LayerType::Flatten;
  if (type == "add") l.type = LayerType::Add;

  if (type == "add") {
    const YAML::Node in = f.node("inputs");
    if (!in.IsSequence() || in.size() != 2) f.fail("inputs", "must be a list of two layer names");
    for (const auto& n : in) {
      if (!n.IsScalar() || n.Scalar().empty()) f.fail("inputs", "must be a list of two layer names");
      l.inputs.push_back(n.Scalar());
    }
  } else if (f.has("input")) {
    l.inputs.push_back(f.required_string("input"));
  }

  if (weighted) {
    l.filters = static_cast<int>(f.required_integer(type == "conv" ? "filters" : "units", 1, kMaxDim));
    l.bias = f.boolean("bias", false);
    l.batchnorm_folded = f.boolean("bn", false);
  }
  if (weighted || type == "add") {
    const std::string act = f.choice("activation", "none", {"none", "relu", "leaky_relu"});
    l.activation = act == "relu"         ? Activation::Relu
                   : act == "leaky_relu" ? Activation::LeakyRelu
                                         : Activation::None;
    if (f.has("leaky_shift")) {
      if (l.activation != Activation::LeakyRelu) f.fail("leaky_shift", "only with leaky_relu");
      l.leaky_shift = static_cast<int>(f.integer("leaky_shift", 3, 1, 7));
    }
  }
  if (windowed) {
    l.global = type != "conv" && f.boolean("global", false);
    if (!l.global) {
      const auto k = f.int_list("kernel", {1, 2}, 1, type == "conv" ? 11 : 255);
      l.kernel_h = static_cast<int>(k.front());
      l.kernel_w = static_cast<int>(k.back());
      if (f.has("stride")) {
        const auto s = f.int_list("stride", {1, 2}, 1, type == "conv" ? 4 : 255);
        l.stride_h = static_cast<int>(s.front());
        l.stride_w = static_cast<int>(s.back());
      } else if (type != "conv") {
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
  }
  f.reject_unknown();
  return l;
}

}  // namespace

void parse_layers(const Fields& f, Network& net) {
  const YAML::Node list = f.node("layers");
  net.layers_field = f.field("layers");
  if (!list.IsSequence() || list.size() == 0) f.fail("layers", "must be a non-empty list of layers");
  for (size_t i = 0; i < list.size(); ++i)
    net.layers.push_back(
        parse_layer(Fields(list[i], f.file(), f.field("layers") + "[" + std::to_string(i) + "]")));
}

Network load_network_file(const std::string& path) {
  const Fields f(load_yaml_file(path), path, "");
  Network net;
  net.source_file = path;
  net.name = read_name(f, "name");
  net.description = f.text("description", "");
  const auto in = f.int_list("input", {3}, 1, kMaxDim);
  net.input_shape = {static_cast<int>(in[0]), static_cast<int>(in[1]), static_cast<int>(in[2])};
  const Fields ref = f.map("reference");
  net.reference.params = ref.integer("params", 0, 0, INT64_MAX);
  net.reference.params_unfolded = ref.integer("params_unfolded", 0, 0, INT64_MAX);
  net.reference.macs = ref.integer("macs", 0, 0, INT64_MAX);
  net.reference.source = ref.text("source", "");
  ref.reject_unknown();
  parse_layers(f, net);
  f.reject_unknown();
  net.infer_shapes();
  return net;
}

std::string zoo_directory() {
  if (const char* env = std::getenv("DNNVP_ZOO_DIR")) return env;
  return DNNVP_DEFAULT_ZOO_DIR;
}

Network load_zoo_network(const std::string& name, const std::string& file, int line,
                         const std::string& field) {
  namespace fs = std::filesystem;
  const fs::path dir = zoo_directory();
  const fs::path path = dir / (name + ".yaml");
  std::error_code ec;  // a name the file system cannot take (too long, say) is just not in the zoo
  if (!name_problem(name).empty() || !fs::is_regular_file(path, ec)) {
    std::vector<std::string> known;
    if (fs::is_directory(dir, ec))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".yaml") known.push_back(e.path().stem().string());
    std::sort(known.begin(), known.end());
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(located(file, line, field, "unknown zoo network " + quoted(name) + " (known: " + list + ")"));
  }
  return load_network_file(path.string());
}

}  // namespace dnnvp
