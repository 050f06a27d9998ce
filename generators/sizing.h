// Sizing the engine from a budget (docs/scenarios.md "Sizing"): `hardware: {fpga: PART}` or
// `hardware: {asic: {area_mm2: A, clock_mhz: F}}` lets the generators choose the array, buffers and stream
// width that fit the budget and give the scenario's network the most frames per second by the engine plan.
// Keys the scenario sets itself stay as given ("explicit rows/cols win").
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine_shape.h"

namespace dnnvp {

struct Scenario;

// One limited resource of a budget: its name as people read it, the budget, and its unit.
struct BudgetLimit {
  std::string resource;  // "DSP", "BRAM36", "LUT", "FF", "URAM", "area"
  double budget = 0;
  std::string unit;  // "" or "mm2"
};

// What a budget allows and what an engine shape takes of it, in the limits' order.
struct SizingBudget {
  std::string description;  // "ZCU104 (xczu7ev-ffvc1156-2-e)", "2 mm2 of OSU 0.18 um at 500 MHz"
  std::vector<BudgetLimit> limits;
  std::function<std::vector<double>(const EngineShape&)> estimate;
  std::string model;  // how estimate() is made (the cost model and its calibration), for the explanation
};

// The scenario's request (hardware.fpga or hardware.asic).
struct SizingRequest {
  std::string location;           // "file:line: hardware.fpga" for errors
  std::string fpga_part;          // hardware.fpga, or empty
  double area_mm2 = 0;            // hardware.asic.area_mm2
  std::optional<double> clock_mhz;  // hardware.asic.clock_mhz
  std::set<std::string> fixed;    // hardware keys the scenario gives (kept)
};

// One resource of the chosen shape against its budget.
struct SizingUse {
  std::string resource;
  double used = 0, budget = 0;
};

struct SizingOutcome {
  std::string budget;       // SizingBudget::description
  std::string bound_by;     // the resource that stopped a larger engine, or "the network" when larger is not faster
  std::string explanation;  // what was chosen and why, one paragraph (console and hw.json)
  double fps_estimate = 0;  // by the engine plan's issue cycles
  std::uint64_t candidates = 0, fitting = 0;
  std::vector<SizingUse> use;
  std::vector<std::string> fixed;
};

// The shapes the sizer considers: each value it may choose per hardware key.
struct SizingSpace {
  std::vector<int> rows{2, 4, 8, 16, 32};
  std::vector<int> cols{4, 8, 16, 32, 64, 96, 128};
  std::vector<int> buffer_kib{64, 128, 256, 512, 1024};  // input and output buffer, each
  std::vector<int> stream_bits{64, 128, 256};
};

// Chooses s.hardware's free keys within `budget` for the most fps (candidates within 1 % of the best: the
// one taking the smallest share of its tightest resource), sets them in s.hardware and returns why.
// Throws dnnvp::Error naming request.location when no shape fits, with what the smallest one needs.
SizingOutcome size_engine(Scenario& s, const SizingRequest& request, const SizingBudget& budget,
                          const SizingSpace& space = {});

}  // namespace dnnvp
