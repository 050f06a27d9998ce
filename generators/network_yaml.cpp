#include "network_yaml.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "error.h"
#include "layer_kind.h"

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
  layer_type_named(f.choice("type", "", layer_type_names()), l.type);
  const LayerKind& kind = layer_kind(l.type);
  if (kind.inputs() > 1) {
    const std::string want = "must be a list of " + std::to_string(kind.inputs()) + " layer names";
    const YAML::Node in = f.node("inputs");
    if (!in.IsSequence() || in.size() != kind.inputs()) f.fail("inputs", want);
    for (const auto& n : in) {
      if (!n.IsScalar() || n.Scalar().empty()) f.fail("inputs", want);
      l.inputs.push_back(n.Scalar());
    }
  } else if (f.has("input")) {
    l.inputs.push_back(f.required_string("input"));
  }
  kind.parse(f, l);
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
