#include "stats.h"

#include <fstream>
#include <ostream>
#include <stdexcept>

namespace dnnvp {

void Stats::check_name(const std::string& name) {
  bool segment_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_empty) break;
      segment_empty = true;
      continue;
    }
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok)
      throw std::invalid_argument("stats: bad character '" + std::string(1, c) + "' in name '" + name + "'");
    segment_empty = false;
  }
  if (segment_empty) throw std::invalid_argument("stats: empty segment in name '" + name + "'");
}

void Stats::insert(const std::string& name, Entry e) {
  check_name(name);
  if (entries_.count(name)) throw std::invalid_argument("stats: '" + name + "' is registered twice");
  // A value cannot also be a group: no registered name may be a dotted prefix of this one ...
  for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    const std::string prefix = name.substr(0, dot);
    if (entries_.count(prefix))
      throw std::invalid_argument(std::string("stats: '")
                                      .append(name)
                                      .append("' would put a group inside the value '")
                                      .append(prefix)
                                      .append("'"));
  }
  // ... nor have this one as its prefix.
  const auto below = entries_.lower_bound(name + ".");
  if (below != entries_.end() && below->first.compare(0, name.size() + 1, name + ".") == 0)
    throw std::invalid_argument("stats: '" + name + "' is already a group (it holds '" + below->first + "')");
  entries_.emplace(name, std::move(e));
}

void Stats::add(const std::string& name, const std::uint64_t& counter) {
  Entry e;
  e.u64 = &counter;
  insert(name, std::move(e));
}

void Stats::add(const std::string& name, const double& value) {
  Entry e;
  e.f64 = &value;
  insert(name, std::move(e));
}

void Stats::add(const std::string& name, std::function<nlohmann::json()> value) {
  if (!value) throw std::invalid_argument("stats: '" + name + "' registered with an empty function");
  Entry e;
  e.fn = std::move(value);
  insert(name, std::move(e));
}

std::uint64_t& Stats::counter(const std::string& name) {
  owned_.push_back(0);
  try {
    add(name, owned_.back());
  } catch (...) {
    owned_.pop_back();
    throw;
  }
  return owned_.back();
}

nlohmann::json Stats::read(const Entry& e) {
  if (e.u64) return *e.u64;
  if (e.f64) return *e.f64;
  return e.fn();
}

nlohmann::json Stats::value(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw std::out_of_range("stats: no value named '" + name + "'");
  return read(it->second);
}

nlohmann::json Stats::to_json() const {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& [name, entry] : entries_) {
    nlohmann::json* node = &root;
    std::size_t start = 0;
    for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
      node = &(*node)[name.substr(start, dot - start)];
      start = dot + 1;
    }
    (*node)[name.substr(start)] = read(entry);
  }
  return root;
}

void Stats::write(std::ostream& os, int indent) const {
  os << to_json().dump(indent) << "\n";
}

void Stats::write(const std::string& path, int indent) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot write the statistics");
  write(out, indent);
  if (!out) throw std::runtime_error(path + ": cannot write the statistics");
}

}  // namespace dnnvp
