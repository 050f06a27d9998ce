#include "engine_shape.h"

#include <cctype>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace dnnvp {

std::string cmake_name(const EngineParameter& parameter) {
  std::string s = parameter.name;
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

namespace {

std::string bound_text(const EngineParameter& p) {
  return p.minimum == 1 ? "a positive integer" : "an integer >= " + std::to_string(p.minimum);
}

}  // namespace

std::string engine_shape_key(const EngineShape& shape) {
  std::string key;
  const EngineShape defaults;
  for (const EngineParameter& p : kEngineParameters)
    if (p.keyed_at_default || shape.*p.member != defaults.*p.member)
      key += p.key_prefix + std::to_string(shape.*p.member);
  if (shape.trace) key += "-trace";
  if (shape.assertions) key += "-assert";
  return key;
}

nlohmann::json engine_shape_json(const EngineShape& shape) {
  nlohmann::json j = nlohmann::json::object();
  for (const EngineParameter& p : kEngineParameters) j[p.json_key] = shape.*p.member;
  return j;
}

EngineShape engine_shape_from_json(const nlohmann::json& j, const std::string& source,
                                   const EngineShape& base) {
  if (!j.is_object()) throw std::invalid_argument(source + ": expected an object of engine parameters");
  EngineShape shape = base;
  for (const auto& [key, value] : j.items()) {
    const EngineParameter* param = nullptr;
    for (const EngineParameter& p : kEngineParameters)
      if (key == p.json_key) param = &p;
    if (param == nullptr) throw std::invalid_argument(source + ": " + key + ": not an engine parameter");
    if (!value.is_number_integer() || value.get<long long>() < param->minimum ||
        value.get<long long>() > std::numeric_limits<int>::max())
      throw std::invalid_argument(source + ": " + key + ": expected " + bound_text(*param) + ", got " +
                                  value.dump());
    shape.*param->member = value.get<int>();
  }
  return shape;
}

void check_engine_shape(const EngineShape& shape, const std::string& source) {
  for (const EngineParameter& p : kEngineParameters)
    if (shape.*p.member < p.minimum)
      throw std::invalid_argument(source + ": " + p.json_key + " must be " + bound_text(p) + ", got " +
                                  std::to_string(shape.*p.member));
  if (shape.stream_bits % 8 != 0)
    throw std::invalid_argument(source + ": stream_bits must be a multiple of 8, got " +
                                std::to_string(shape.stream_bits));
  if (shape.fold_max > kMaxFoldMax || (shape.fold_max & (shape.fold_max - 1)) != 0)
    throw std::invalid_argument(source + ": fold_max must be a power of two up to " +
                                std::to_string(kMaxFoldMax) + ", got " + std::to_string(shape.fold_max));
}

namespace {

bool flag(const nlohmann::json& entry, const char* key, const std::string& source) {
  const auto it = entry.find(key);
  if (it == entry.end()) return false;
  if (!it->is_boolean()) throw std::invalid_argument(source + ": " + key + ": expected true or false");
  return it->get<bool>();
}

}  // namespace

std::vector<NamedEngineShape> read_engine_shapes(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(file + ": cannot read");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(file + ": not valid JSON (" + e.what() + ")");
  }
  const auto shapes = doc.find("shapes");
  if (!doc.is_object() || shapes == doc.end() || !shapes->is_object())
    throw std::invalid_argument(file + ": expected an object with an object \"shapes\"");
  std::vector<NamedEngineShape> out;
  for (const auto& [name, entry] : shapes->items()) {
    const std::string source = file + ": shapes." + name;
    if (!entry.is_object()) throw std::invalid_argument(source + ": expected an object");
    NamedEngineShape s;
    s.name = name;
    s.shipped = flag(entry, "shipped", source);
    s.shipped_trace = flag(entry, "shipped_trace", source);
    s.lint = flag(entry, "lint", source);
    nlohmann::json params = entry;
    for (const char* k : {"about", "shipped", "shipped_trace", "lint"}) params.erase(k);
    s.shape = engine_shape_from_json(params, source);
    check_engine_shape(s.shape, source);
    out.push_back(std::move(s));
  }
  return out;
}

EngineShape named_engine_shape(const std::string& name, const std::string& file) {
  std::string names;
  for (const NamedEngineShape& s : read_engine_shapes(file)) {
    if (s.name == name) return s.shape;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument(file + ": no engine shape '" + name + "' (shapes: " + names + ")");
}

}  // namespace dnnvp
