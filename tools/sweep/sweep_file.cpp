#include "sweep_file.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

#include "emit.h"
#include "engine_shape.h"
#include "error.h"
#include "manifest.h"
#include "network_yaml.h"
#include "scenario.h"
#include "yaml_fields.h"

namespace dnnvp::sweep {
namespace fs = std::filesystem;

namespace {

// The scenario fields that hold file paths (generators/scenario.cpp reads them relative to the scenario's
// directory): a point's scenario.yaml, written elsewhere, gets them absolute.
const char* const kPathFields[] = {"network.file", "network.onnx", "input.file", "input.labels",
                                   "input.reference"};

// One step of a dotted field path: a mapping key, then list indices ("layers[2]" -> "layers", {2}).
struct Step {
  std::string key;
  std::vector<std::size_t> indices;
};

// "hardware.rows", "network.layers[0].filters"; empty when `path` is not such a path.
std::vector<Step> parse_path(const std::string& path) {
  std::vector<Step> steps;
  std::size_t i = 0;
  while (i <= path.size()) {
    Step s;
    while (i < path.size() && (std::isalnum(static_cast<unsigned char>(path[i])) || path[i] == '_'))
      s.key += path[i++];
    if (s.key.empty()) return {};
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) return {};
      const std::string digits = path.substr(i + 1, close - i - 1);
      for (const char c : digits)
        if (!std::isdigit(static_cast<unsigned char>(c))) return {};
      s.indices.push_back(std::stoul(digits));
      i = close + 1;
    }
    steps.push_back(std::move(s));
    if (i == path.size()) return steps;
    if (path[i] != '.') return {};
    ++i;
  }
  return {};
}

// The node at `path` in `doc`, mappings created on the way; throws (message only) when the way goes
// through a value that is not a mapping, or an index past a list's end. yaml-cpp's Node::operator= writes
// through to the node referred to, so walking uses reset().
YAML::Node field_node(YAML::Node doc, const std::string& path) {
  YAML::Node at;
  at.reset(doc);
  std::string walked;
  for (const Step& s : parse_path(path)) {
    if (!at.IsMap()) throw std::invalid_argument("'" + walked + "' is not a mapping in the base scenario");
    if (!at[s.key] || at[s.key].IsNull()) at[s.key] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = at[s.key];
    at.reset(next);
    walked += (walked.empty() ? "" : ".") + s.key;
    for (const std::size_t k : s.indices) {
      if (!at.IsSequence() || k >= at.size())
        throw std::invalid_argument("'" + walked + "' has no item " + std::to_string(k) +
                                    " in the base scenario");
      YAML::Node item = at[k];
      at.reset(item);
      walked += "[" + std::to_string(k) + "]";
    }
  }
  return at;
}

void set_field(YAML::Node doc, const std::string& path, const YAML::Node& value) {
  YAML::Node n = field_node(doc, path);
  n = YAML::Clone(value);
}

// A relative path given in the sweep file: relative to the sweep file's directory.
std::string beside(const std::string& file, const std::string& path) {
  const fs::path p(path);
  return p.is_relative() ? (fs::path(file).parent_path() / p).lexically_normal().string() : path;
}

bool is_path_field(const std::string& path) {
  for (const char* f : kPathFields)
    if (path == f) return true;
  return false;
}

// The base scenario with the point's fields set: swept file paths resolved against the sweep file, the
// base's own against its directory (the scenario reader's rule) once `absolute` is asked for.
YAML::Node resolved(const Sweep& sweep, const Point& p, bool absolute) {
  const std::string& base = sweep.bases[p.base];
  YAML::Node doc = load_yaml_file(base);
  if (!doc || doc.IsNull()) doc = YAML::Node(YAML::NodeType::Map);
  if (absolute && doc.IsMap())
    for (const char* f : kPathFields) {
      const std::string path = f;
      const std::string section = path.substr(0, path.find('.')), key = path.substr(path.find('.') + 1);
      if (!doc[section].IsMap() || !doc[section][key].IsScalar()) continue;
      const fs::path v(doc[section][key].Scalar());
      if (v.is_relative()) doc[section][key] = (fs::path(base).parent_path() / v).lexically_normal().string();
    }
  for (const FieldValue& f : p.fields) {
    if (f.path == kNetworkField) continue;
    try {
      if (is_path_field(f.path) && f.value.IsScalar())
        set_field(doc, f.path, YAML::Node(beside(sweep.file, f.value.Scalar())));
      else
        set_field(doc, f.path, f.value);
    } catch (const std::invalid_argument& e) {
      throw Error(located(sweep.file, f.line, f.sweep_field, e.what()));
    }
  }
  return doc;
}

std::string describe_point(const Point& p) {
  std::string s;
  for (const FieldValue& f : p.fields) s += (s.empty() ? "" : ", ") + f.path + "=" + value_text(f.value);
  return "point " + p.id + (s.empty() ? "" : " (" + s + ")");
}

// An error of a point's scenario in the sweep file's terms: at the value of the swept field it names, or
// (a base file's own field, a check across fields) with the point's id and fields.
Error point_error(const Sweep& sweep, const Point& p, const std::string& what) {
  const std::string& base = sweep.bases[p.base];
  if (what.compare(0, base.size() + 1, base + ":") == 0) {
    std::size_t at = base.size() + 1;
    while (at < what.size() && std::isdigit(static_cast<unsigned char>(what[at]))) ++at;
    if (what.compare(at, 2, ": ") == 0 || what.compare(at, 1, " ") == 0) {
      at = what.find(' ', at) + 1;
      const std::size_t end = what.find(": ", at);
      if (end != std::string::npos) {
        const std::string field = what.substr(at, end - at);
        for (const FieldValue& f : p.fields) {
          if (f.path == kNetworkField) continue;
          const bool inside = field == f.path || field.compare(0, f.path.size() + 1, f.path + ".") == 0 ||
                              field.compare(0, f.path.size() + 1, f.path + "[") == 0;
          if (inside)
            return Error(located(sweep.file, f.line, f.sweep_field,
                                 (field == f.path ? "" : field + ": ") + what.substr(end + 2)));
        }
      }
    }
  }
  return Error(located(sweep.file, 0, describe_point(p), what));
}

struct AxisSpec {
  std::string path;
  std::vector<FieldValue> values;
};

std::string checked_path(const Fields& f, const std::string& key, int line) {
  if (parse_path(key).empty())
    throw Error(located(f.file(), line, f.field(key),
                        "not a scenario field path (dotted keys, e.g. hardware.rows or network.zoo)"));
  if (key == kNetworkField)
    throw Error(located(f.file(), line, f.field(key),
                        "a whole network is swept with `networks:` (a list of scenario files) or over "
                        "network.zoo"));
  return key;
}

std::vector<AxisSpec> read_axes(const Fields& root) {
  std::vector<AxisSpec> axes;
  const Fields a = root.map("axes");
  if (!root.has("axes")) return axes;
  const YAML::Node node = root.node("axes");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const int line = kv.first.Mark().line + 1;
    AxisSpec axis{checked_path(a, key, line), {}};
    const YAML::Node list = a.node(key);
    if (!list.IsSequence() || list.size() == 0)
      a.fail(key, "must be a non-empty list of values, got " +
                      (list.IsSequence() ? std::string("an empty list") : Fields::describe(list)));
    for (std::size_t i = 0; i < list.size(); ++i)
      axis.values.push_back(
          {key, list[i], a.field(key) + "[" + std::to_string(i) + "]", list[i].Mark().line + 1});
    axes.push_back(std::move(axis));
  }
  if (axes.empty()) root.fail("axes", "must name at least one field");
  return axes;
}

// `points:`: a list of mappings {field: value}; every point names the same fields.
std::vector<std::vector<FieldValue>> read_list(const Fields& root, std::vector<std::string>& paths) {
  std::vector<std::vector<FieldValue>> list;
  const std::vector<Fields> items = root.maps("points");
  if (root.has("points") && items.empty()) root.fail("points", "must be a non-empty list of mappings");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Fields& item = items[i];
    const YAML::Node node = root.node("points")[i];
    std::vector<FieldValue> fields;
    std::vector<std::string> keys;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      checked_path(item, key, kv.first.Mark().line + 1);
      fields.push_back({key, item.node(key), item.field(key), item.line(key)});
      keys.push_back(key);
    }
    if (i == 0) paths = keys;
    if (keys != paths) {
      std::string want;
      for (const std::string& k : paths) want += (want.empty() ? "" : ", ") + k;
      throw Error(located(item.file(), item.own_line(), item.path(),
                          "must set the same fields as points[0] (" + want + ")"));
    }
    list.push_back(std::move(fields));
  }
  return list;
}

}  // namespace

nlohmann::json value_json(const YAML::Node& v) {
  if (v.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& item : v) a.push_back(value_json(item));
    return a;
  }
  if (v.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : v) o[kv.first.Scalar()] = value_json(kv.second);
    return o;
  }
  if (!v.IsScalar()) return nullptr;
  if (v.Tag() == "!") return v.Scalar();  // quoted in the YAML: a string whatever it reads like
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  if (YAML::convert<std::int64_t>::decode(v, i)) return i;
  if (YAML::convert<double>::decode(v, d)) return d;
  if (YAML::convert<bool>::decode(v, b)) return b;
  return v.Scalar();
}

std::string value_text(const YAML::Node& v) {
  if (v.IsScalar()) return v.Scalar();
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << v;
  return e.c_str();
}

Sweep load_sweep(const std::string& path) {
  Sweep s;
  s.file = path;
  const Fields root(load_yaml_file(path), path, "");
  s.name = root.has("name") ? read_name(root, "name") : fs::path(path).stem().string();
  if (!root.has("name"))
    if (const std::string problem = name_problem(s.name); !problem.empty())
      throw Error(
          located(path, 0, "name", "not given, so the file name without .yaml is used; it " + problem));
  s.description = root.text("description", "");
  if (int{root.has("base")} + int{root.has("networks")} != 1)
    throw Error(located(path, root.own_line(), "",
                        "give exactly one of base (a scenario file) or networks "
                        "(a list of scenario files)"));
  std::vector<FieldValue> networks;
  std::vector<int> base_lines;
  const auto add_base = [&](const std::string& file, const std::string& field, int line) {
    const std::string p = beside(path, file);
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw Error(located(path, line, field, "no such file '" + p + "'"));
    s.bases.push_back(p);
    base_lines.push_back(line);
  };
  if (root.has("base")) {
    add_base(root.required_string("base"), "base", root.line("base"));
  } else {
    const YAML::Node list = root.node("networks");
    if (!list.IsSequence() || list.size() == 0)
      root.fail("networks", "must be a non-empty list of scenario files, got " + Fields::describe(list));
    std::set<std::string> stems;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string field = "networks[" + std::to_string(i) + "]";
      const int line = list[i].Mark().line + 1;
      if (!list[i].IsScalar())
        throw Error(located(path, line, field, "must be a scenario file, got " + Fields::describe(list[i])));
      add_base(list[i].Scalar(), field, line);
      const std::string stem = fs::path(s.bases.back()).stem().string();
      if (!stems.insert(stem).second)
        throw Error(located(path, line, field, "another network file is named '" + stem + ".yaml' too"));
      networks.push_back({kNetworkField, YAML::Node(stem), field, line});
    }
    s.axes.push_back(kNetworkField);
  }
  s.engine = root.choice("engine", s.engine, {"fast", "rtl"});
  s.jobs = static_cast<int>(root.integer("jobs", 0, 1, 1024));
  s.slurm = read_slurm_options(root.map("slurm"));
  if (root.has("axes") && root.has("points"))
    throw Error(located(path, root.line("points"), "points", "give either axes (a grid) or points (a list)"));
  const std::vector<AxisSpec> axes = read_axes(root);
  std::vector<std::string> list_paths;
  const std::vector<std::vector<FieldValue>> list = read_list(root, list_paths);
  root.reject_unknown();
  for (const AxisSpec& a : axes) s.axes.push_back(a.path);
  for (const std::string& p : list_paths) s.axes.push_back(p);

  // Networks outermost, then the grid with its last axis fastest (or the list in order).
  std::vector<std::vector<FieldValue>> combos;
  if (!list.empty()) {
    combos = list;
  } else {
    combos.emplace_back();
    for (const AxisSpec& a : axes) {
      std::vector<std::vector<FieldValue>> next;
      for (const auto& c : combos)
        for (const FieldValue& v : a.values) {
          next.push_back(c);
          next.back().push_back(v);
        }
      combos = std::move(next);
    }
  }
  for (std::size_t b = 0; b < s.bases.size(); ++b)
    for (const auto& c : combos) {
      Point p;
      p.index = s.points.size();
      char id[16];
      std::snprintf(id, sizeof id, "p%04zu", p.index);
      p.id = id;
      p.base = b;
      if (!networks.empty()) p.fields.push_back(networks[b]);
      p.fields.insert(p.fields.end(), c.begin(), c.end());
      s.points.push_back(std::move(p));
    }

  for (Point& p : s.points) {
    const YAML::Node doc = resolved(s, p, false);
    Scenario scenario;
    try {
      scenario = load_scenario(s.bases[p.base], doc);
    } catch (const Error& e) {
      throw point_error(s, p, e.what());
    }
    const auto shape = checked<manifest::EngineShape>(engine_shape_json(scenario.hardware), "engine shape");
    p.shape_key = engine_shape_key(shape);
  }
  return s;
}

YAML::Node point_scenario(const Sweep& sweep, const Point& point) {
  return resolved(sweep, point, true);
}

nlohmann::json sweep_json(const Sweep& s) {
  nlohmann::json points = nlohmann::json::array();
  for (const Point& p : s.points) {
    nlohmann::json fields = nlohmann::json::object();
    for (const FieldValue& f : p.fields) fields[f.path] = value_json(f.value);
    points.push_back({{"id", p.id}, {"index", p.index}, {"fields", fields}});
  }
  return {{"name", s.name}, {"file", s.file},     {"base", s.bases},
          {"axes", s.axes}, {"engine", s.engine}, {"points", points}};
}

std::vector<const Point*> shard_points(const Sweep& s, int i, int n) {
  std::vector<const Point*> out;
  for (const Point& p : s.points)
    if (static_cast<int>(p.index % static_cast<std::size_t>(n)) == i - 1) out.push_back(&p);
  return out;
}

}  // namespace dnnvp::sweep
