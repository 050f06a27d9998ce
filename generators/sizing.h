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
#include "sizing_outcome.h"

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

// The hardware keys the sizer chooses (unless the scenario gives them).
inline constexpr const char* kSizedHardwareKeys[] = {"rows", "cols", "input_buffer_kib", "output_buffer_kib",
                                                     "stream_bits"};

// The scenario's request (hardware.fpga or hardware.asic).
struct SizingRequest {
  std::string file;  // where it is, for errors: file:line: field
  int line = 0;
  std::string field;                // hardware.fpga or hardware.asic
  std::string fpga_part;          // hardware.fpga, or empty
  double area_mm2 = 0;            // hardware.asic.area_mm2
  std::optional<double> clock_mhz;  // hardware.asic.clock_mhz
  int node_nm = 0;                  // hardware.asic.node_nm: scale the OSU 0.18 um area to it (0: no scaling)
  std::set<std::string> fixed;    // hardware keys the scenario gives (kept)
};

// What the sizer chose and why: hw.json's "sizing" (its one definition is the manifest schema's).
using SizingOutcome = manifest::Sizing;

// The shapes the sizer considers: each value it may choose per hardware key.
struct SizingSpace {
  std::vector<int> rows{2, 4, 8, 16, 32};
  std::vector<int> cols{4, 8, 16, 32, 64, 96, 128};
  std::vector<int> buffer_kib{16, 32, 64, 128, 256, 512, 1024};  // input and output buffer, each
  std::vector<int> stream_bits{64, 128, 256};
};

// Chooses s.hardware's free keys within `budget` for the most fps (candidates within 1 % of the best: the
// one taking the smallest share of its tightest resource), sets them in s.hardware and returns why.
// Throws dnnvp::Error naming the request's file, line and field when no shape fits, with what the smallest
// one needs.
SizingOutcome size_engine(Scenario& s, const SizingRequest& request, const SizingBudget& budget,
                          const SizingSpace& space = {});

// The budget of a request: the FPGA part's resources (generators/flows/fpga_parts.yaml) or the ASIC area,
// with the cost model that estimates a shape's use (generators/sizing_budget.cpp). Throws dnnvp::Error
// naming the request's field for an unknown part.
SizingBudget sizing_budget(const SizingRequest& request, const Scenario& s);

}  // namespace dnnvp
