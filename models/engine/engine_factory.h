// Engines by name: what SocConfig::engine and the tests choose from.
//
//   | name  | engine                                                                               |
//   |-------|--------------------------------------------------------------------------------------|
//   | "rtl" | the Verilated engine of the shape linked into the executable (models/engine/rtl/)   |
//   | "fast"| the C++ model of any shape (EngineOptions::shape): outputs bit-exact, cycles from a  |
//   |       | cycle model of the units (models/engine_fast/)                                       |
//
// The table is explicit (engine_factory.cpp), so no registration can be dropped by the linker; an
// executable that uses it links one engine shape (dnnvp_engine_model(), cmake/DnnvpEngineModel.cmake).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace dnnvp {

struct EngineKind {
  const char* name;
  // The shape its build implements ("rtl": the one the linked model was verilated with); nullptr for an
  // engine of any shape ("fast": EngineOptions::shape).
  EngineShape (*fixed_shape)();
  // Throws std::invalid_argument as the engine's constructor does.
  std::unique_ptr<Engine> (*create)(const sc_core::sc_module_name& name, AxisChannel& x, AxisChannel& w,
                                    AxisChannel& r, AxisChannel& y, const EngineOptions& options,
                                    Stats* stats);
  // The shape it implements when `wanted` is asked for.
  EngineShape shape(const EngineShape& wanted = {}) const { return fixed_shape ? fixed_shape() : wanted; }
};

// The engine called `name`; throws std::invalid_argument naming it and listing the known ones.
const EngineKind& engine_kind(std::string_view name);
std::vector<std::string> engine_names();

// engine_kind(kind).create(...).
std::unique_ptr<Engine> make_engine(std::string_view kind, const sc_core::sc_module_name& name,
                                    AxisChannel& x, AxisChannel& w, AxisChannel& r, AxisChannel& y,
                                    const EngineOptions& options, Stats* stats = nullptr);

}  // namespace dnnvp
