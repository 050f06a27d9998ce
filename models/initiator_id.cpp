#include "initiator_id.h"

#include <vector>

#include "stats.h"

namespace dnnvp {

namespace {

std::vector<std::string>& names() {
  static std::vector<std::string> n;
  return n;
}

}  // namespace

int InitiatorId::allocate(const std::string& name) {
  Stats::check_name(name);
  auto& n = names();
  for (std::size_t i = 0; i < n.size(); ++i)
    if (n[i] == name) return static_cast<int>(i);
  n.push_back(name);
  return static_cast<int>(n.size() - 1);
}

const std::string& InitiatorId::name_of(int id) {
  static const std::string unknown = "unknown";
  const auto& n = names();
  return id >= 0 && static_cast<std::size_t>(id) < n.size() ? n[static_cast<std::size_t>(id)] : unknown;
}

int InitiatorId::count() {
  return static_cast<int>(names().size());
}

int InitiatorId::of(const tlm::tlm_generic_payload& trans) {
  const InitiatorId* ext = trans.get_extension<InitiatorId>();
  return ext != nullptr ? ext->id() : kUnknown;
}

}  // namespace dnnvp
