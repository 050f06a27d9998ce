// Strict reading of YAML mappings: every error names file, line and the dotted field path, and
// keys nobody asked for are errors rather than silently ignored.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dnnvp {

class Fields {
 public:
  // `path` is the dotted name of this mapping ("" for the document root).
  Fields(YAML::Node node, std::string file, std::string path);

  bool has(const std::string& key) const;
  YAML::Node node(const std::string& key) const;  // marks the key used; throws if missing
  Fields map(const std::string& key) const;       // a nested mapping (empty when absent)
  int line(const std::string& key) const;         // 1-based line of the key's value (or the map)
  int own_line() const;

  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const;
  std::int64_t required_integer(const std::string& key, std::int64_t lo, std::int64_t hi) const;
  double number(const std::string& key, double fallback, double lo, double hi) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  std::string required_string(const std::string& key) const;
  // A string that must be valid UTF-8 (free text copied into JSON files).
  std::string text(const std::string& key, const std::string& fallback) const;
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed) const;
  // An integer or a list of `sizes` integers (e.g. kernel: 3 or [3, 5]); each in lo..hi.
  std::vector<std::int64_t> int_list(const std::string& key, const std::vector<size_t>& sizes,
                                     std::int64_t lo, std::int64_t hi) const;

  // A list of mappings (e.g. registers: [{name: A}, {name: B}]): one Fields per item, its path
  // "key[i]"; marks the key used. Empty when the key is absent; throws when the value is not a list or
  // an item is not a mapping.
  std::vector<Fields> maps(const std::string& key) const;

  // Throws naming the first key that was never read.
  void reject_unknown() const;
  // The same with another message than "unknown key" (e.g. "unknown field").
  void reject_unknown(const std::string& message) const;

  // How a value reads in "got ..." messages: nothing, a list, a mapping, or the quoted scalar.
  static std::string describe(const YAML::Node& n);

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  std::string field(const std::string& key) const;  // dotted path of key
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  std::int64_t to_integer(const YAML::Node& n, const std::string& key, std::int64_t lo,
                          std::int64_t hi) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  mutable std::set<std::string> used_;
};

// Loads a YAML file, turning parser errors into dnnvp::Error with file and line.
YAML::Node load_yaml_file(const std::string& path);

}  // namespace dnnvp
