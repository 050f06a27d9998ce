// hw.json's "sizing" record: what the sizer (generators/sizing.h) chose for hardware.fpga / hardware.asic
// and why. Plain structs with their keys, so the manifest schema (manifest.h) and the sizer share one
// definition without the sizer's users pulling in JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnnvp::manifest {

// One resource of a sized engine against its budget.
struct SizingUse {
  std::string resource;  // "DSP", "BRAM36", "area", ...
  double used = 0, budget = 0;
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("resource", s.resource), v("used", s.used), v("budget", s.budget);
  }
};

// hw.json's "sizing": what the sizer chose for hardware.fpga / hardware.asic and why (generators/sizing.h).
struct Sizing {
  std::string budget;       // "zcu104 (xczu7ev-ffvc1156-2-e)", "2 mm2 at 500 MHz (OSU 0.18 um)"
  std::string bound_by;     // the resource that stopped a larger array, or "the network"
  std::string explanation;  // what was chosen and why (vp_gen prints it)
  double fps_estimate = 0;  // by the engine plan's issue cycles
  std::uint64_t candidates = 0, fitting = 0;
  std::vector<SizingUse> use;       // the chosen shape's estimated use, per limit
  std::vector<std::string> fixed;  // hardware keys the scenario gave, kept
  template <class S, class V>
  static void keys(S& s, V&& v) {
    v("budget", s.budget), v("bound_by", s.bound_by), v("explanation", s.explanation),
        v("fps_estimate", s.fps_estimate), v("candidates", s.candidates), v("fitting", s.fitting), v("use", s.use),
        v("fixed", s.fixed);
  }
};

}  // namespace dnnvp::manifest
