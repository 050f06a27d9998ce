#include "engine_factory.h"

#include <stdexcept>

#include "engine_fast/fast_engine.h"
#include "rtl/rtl_engine.h"

namespace dnnvp {

namespace {

std::unique_ptr<Engine> make_rtl(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w,
                                 AxisChannel& r, AxisChannel& y, const EngineOptions& options, Stats* stats) {
  return std::make_unique<rtl::RtlEngine>(name, x, w, r, y, options, stats);
}

std::unique_ptr<Engine> make_fast(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w,
                                  AxisChannel& r, AxisChannel& y, const EngineOptions& options,
                                  Stats* stats) {
  return std::make_unique<fast::FastEngine>(name, x, w, r, y, options, stats);
}

constexpr EngineKind kEngines[] = {
    {"rtl", rtl::linked_shape, make_rtl},
    {"fast", nullptr, make_fast},
};

}  // namespace

const EngineKind& engine_kind(std::string_view name) {
  for (const EngineKind& k : kEngines)
    if (name == k.name) return k;
  std::string known;
  for (const std::string& n : engine_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown engine '" + std::string(name) + "' (known engines: " + known + ")");
}

std::vector<std::string> engine_names() {
  std::vector<std::string> names;
  for (const EngineKind& k : kEngines) names.emplace_back(k.name);
  return names;
}

std::unique_ptr<Engine> make_engine(std::string_view kind, const sc_core::sc_module_name& name,
                                    AxisChannel& x, AxisChannel& w, AxisChannel& r, AxisChannel& y,
                                    const EngineOptions& options, Stats* stats) {
  return engine_kind(kind).create(name, x, w, r, y, options, stats);
}

}  // namespace dnnvp
