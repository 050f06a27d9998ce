#include "yaml_fields.h"

#include <algorithm>
#include <fstream>
#include <limits>

#include "error.h"

namespace dnnvp {

namespace {

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "'" + n.Scalar() + "'";
  }
}

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates or values past U+10FFFF.
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(extra)) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

}  // namespace

Fields::Fields(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (node_ && !node_.IsMap() && !node_.IsNull())
    throw Error(located(file_, own_line(), path_.empty() ? "(document)" : path_,
                        "must be a mapping, got " + describe(node_)));
  // yaml-cpp keeps the first of two equal keys; a strict reader refuses them.
  std::set<std::string> keys;
  if (node_ && node_.IsMap())
    for (const auto& kv : node_)
      if (!keys.insert(kv.first.Scalar()).second)
        throw Error(located(file_, kv.first.Mark().line + 1, field(kv.first.Scalar()), "duplicate key"));
}

int Fields::own_line() const {
  return node_ ? node_.Mark().line + 1 : 0;
}

std::string Fields::field(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void Fields::fail(const std::string& key, const std::string& message) const {
  throw Error(located(file_, line(key), field(key), message));
}

bool Fields::has(const std::string& key) const {
  return node_ && node_.IsMap() && node_[key].IsDefined();
}

int Fields::line(const std::string& key) const {
  if (has(key)) {
    const auto mark = node_[key].Mark();
    if (mark.line >= 0) return mark.line + 1;
  }
  return own_line();
}

YAML::Node Fields::node(const std::string& key) const {
  if (!has(key)) fail(key, "required field is missing");
  used_.insert(key);
  return node_[key];
}

Fields Fields::map(const std::string& key) const {
  if (!has(key)) return Fields(YAML::Node(), file_, field(key));
  return Fields(node(key), file_, field(key));
}

std::int64_t Fields::to_integer(const YAML::Node& n, const std::string& key, std::int64_t lo,
                                std::int64_t hi) const {
  std::int64_t v = 0;
  if (!n.IsScalar() || !YAML::convert<std::int64_t>::decode(n, v))
    fail(key, "must be an integer, got " + describe(n));
  if (v < lo || v > hi)
    fail(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

std::int64_t Fields::integer(const std::string& key, std::int64_t fallback, std::int64_t lo,
                             std::int64_t hi) const {
  return has(key) ? to_integer(node(key), key, lo, hi) : fallback;
}

std::int64_t Fields::required_integer(const std::string& key, std::int64_t lo, std::int64_t hi) const {
  return to_integer(node(key), key, lo, hi);
}

double Fields::number(const std::string& key, double fallback, double lo, double hi) const {
  if (!has(key)) return fallback;
  const YAML::Node n = node(key);
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v))
    fail(key, "must be a number, got " + describe(n));
  if (!(v >= lo && v <= hi))
    fail(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + n.Scalar());
  return v;
}

bool Fields::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const YAML::Node n = node(key);
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
    fail(key, "must be true or false, got " + describe(n));
  return v;
}

std::string Fields::string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  const YAML::Node n = node(key);
  if (!n.IsScalar()) fail(key, "must be a string, got " + describe(n));
  return n.Scalar();
}

std::string Fields::text(const std::string& key, const std::string& fallback) const {
  const std::string v = string(key, fallback);
  if (!valid_utf8(v)) fail(key, "must be UTF-8 text");
  return v;
}

std::string Fields::required_string(const std::string& key) const {
  node(key);
  return string(key, "");
}

std::string Fields::choice(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& allowed) const {
  const std::string v = string(key, fallback);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(key, "must be one of " + list + ", got '" + v + "'");
}

std::vector<std::int64_t> Fields::int_list(const std::string& key, const std::vector<size_t>& sizes,
                                           std::int64_t lo, std::int64_t hi) const {
  const YAML::Node n = node(key);
  const bool scalar_allowed = std::find(sizes.begin(), sizes.end(), size_t{1}) != sizes.end();
  if (n.IsScalar() && scalar_allowed) return {to_integer(n, key, lo, hi)};
  std::string want;
  for (size_t s : sizes) want += (want.empty() ? "" : " or ") + std::to_string(s);
  if (!n.IsSequence() && !scalar_allowed)
    fail(key, "must be a list of " + want + " integers, got " + describe(n));
  if (!n.IsSequence()) fail(key, "must be an integer or a list of " + want + ", got " + describe(n));
  bool size_ok = false;
  for (size_t s : sizes) size_ok = size_ok || n.size() == s;
  if (!size_ok) fail(key, "must be a list of " + want + " integers, got " + std::to_string(n.size()));
  std::vector<std::int64_t> out;
  for (const auto& item : n) out.push_back(to_integer(item, key, lo, hi));
  return out;
}

std::vector<Fields> Fields::maps(const std::string& key) const {
  std::vector<Fields> out;
  if (!has(key)) return out;
  const YAML::Node list = node(key);
  if (!list.IsSequence()) fail(key, "must be a list, got " + describe(list));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string item_path = field(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap())
      throw Error(
          located(file_, item.Mark().line + 1, item_path, "must be a mapping, got " + describe(item)));
    out.emplace_back(item, file_, item_path);
  }
  return out;
}

void Fields::reject_unknown() const {
  reject_unknown("unknown key");
}

void Fields::reject_unknown(const std::string& message) const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (!used_.count(key)) throw Error(located(file_, kv.first.Mark().line + 1, field(key), message));
  }
}

std::string Fields::describe(const YAML::Node& n) {
  return dnnvp::describe(n);
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open file");
  try {
    return YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw Error(located(path, e.mark.line + 1, "", "YAML syntax error: " + e.msg));
  }
}

}  // namespace dnnvp
