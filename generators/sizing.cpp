#include "sizing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "emit.h"
#include "engine_plan.h"
#include "error.h"
#include "scenario.h"

namespace dnnvp {
namespace {

// A candidate within this fraction of the best fps counts as as fast: the cheapest of those is chosen.
constexpr double kFpsTolerance = 0.01;

struct Candidate {
  HardwareConfig hardware;
  std::vector<double> use;  // in the budget's limits' order
  double share = 0;         // the largest use / budget
  double fps = 0;
};

EngineShape shape_of(const HardwareConfig& h) {
  return engine_shape_from_json(engine_shape_json(h), "sizing candidate");
}

// The values a key may take: the scenario's own if it fixes the key, else the space's.
std::vector<int> values(const SizingRequest& r, const char* key, int given, const std::vector<int>& space) {
  return r.fixed.count(key) != 0 ? std::vector<int>{given} : space;
}

std::string number(double v) {
  char b[32];
  if (v >= 100 || v == std::floor(v))
    std::snprintf(b, sizeof b, "%.0f", v);
  else
    std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string describe(const HardwareConfig& h) {
  std::ostringstream o;
  o << h.rows << "x" << h.cols << " PEs, " << h.input_buffer_kib << "/" << h.output_buffer_kib
    << " KiB input/output buffers, " << h.stream_bits << "-bit streams";
  return o.str();
}

std::string use_text(const SizingBudget& b, const std::vector<double>& use) {
  std::ostringstream o;
  for (std::size_t i = 0; i < use.size(); ++i) {
    if (i) o << ", ";
    o << number(use[i]) << (b.limits[i].unit.empty() ? " " : " " + b.limits[i].unit + " ") << b.limits[i].resource
      << " of " << number(b.limits[i].budget);
  }
  return o.str();
}

// The first limit `use` exceeds, or -1.
int exceeded(const SizingBudget& b, const std::vector<double>& use) {
  for (std::size_t i = 0; i < use.size(); ++i)
    if (use[i] > b.limits[i].budget) return static_cast<int>(i);
  return -1;
}

double share(const SizingBudget& b, const std::vector<double>& use) {
  double s = 0;
  for (std::size_t i = 0; i < use.size(); ++i) s = std::max(s, use[i] / b.limits[i].budget);
  return s;
}

// Frames per second by the engine plan, or nullopt when the plan refuses the shape (buffers too small).
std::optional<double> plan_fps(const Scenario& base, const HardwareConfig& h) {
  Scenario s = base;
  s.hardware = h;
  try {
    const NetworkPlan plan = plan_network(s);
    if (plan.issue_cycles <= 0) return std::nullopt;
    return h.clock_mhz * 1e6 / static_cast<double>(plan.issue_cycles);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

SizingOutcome size_engine(Scenario& s, const SizingRequest& request, const SizingBudget& budget,
                          const SizingSpace& space) {
  HardwareConfig base = s.hardware;
  if (request.clock_mhz) base.clock_mhz = *request.clock_mhz;
  SizingOutcome out;
  out.budget = budget.description;
  out.fixed.assign(request.fixed.begin(), request.fixed.end());

  std::vector<Candidate> fitting;
  std::optional<Candidate> smallest;  // the cheapest shape the plan accepts, fitting or not
  for (const int rows : values(request, "rows", base.rows, space.rows))
    for (const int cols : values(request, "cols", base.cols, space.cols))
      for (const int in_kib : values(request, "input_buffer_kib", base.input_buffer_kib, space.buffer_kib))
        for (const int out_kib : values(request, "output_buffer_kib", base.output_buffer_kib, space.buffer_kib))
          for (const int stream : values(request, "stream_bits", base.stream_bits, space.stream_bits)) {
            Candidate c{base, {}, 0, 0};
            c.hardware.rows = rows, c.hardware.cols = cols, c.hardware.stream_bits = stream;
            c.hardware.input_buffer_kib = in_kib, c.hardware.output_buffer_kib = out_kib;
            ++out.candidates;
            c.use = budget.estimate(shape_of(c.hardware));
            c.share = share(budget, c.use);
            const bool fits = exceeded(budget, c.use) < 0;
            if (!fits && smallest && smallest->share <= c.share) continue;
            const std::optional<double> fps = plan_fps(s, c.hardware);
            if (!fps) continue;
            c.fps = *fps;
            if (!smallest || c.share < smallest->share) smallest = c;
            if (fits) fitting.push_back(c);
          }
  out.fitting = fitting.size();
  if (fitting.empty()) {
    std::string need = "no shape of the sizing space suits the network";
    if (smallest)
      need = "the smallest engine that runs the network (" + describe(smallest->hardware) + ") needs " +
             use_text(budget, smallest->use);
    throw Error(located(request.file, request.line, request.field, budget.description + " is too small: " + need));
  }

  double best_fps = 0;
  for (const Candidate& c : fitting) best_fps = std::max(best_fps, c.fps);
  const Candidate* chosen = nullptr;
  for (const Candidate& c : fitting)
    if (c.fps >= best_fps * (1 - kFpsTolerance) && (!chosen || c.share < chosen->share)) chosen = &c;

  // What stopped a larger array: if one fits, nothing but the network (it was not faster); else the
  // limit the nearest larger one exceeds.
  int binding = -1;
  bool larger_fits = false, any_larger = false;
  double nearest = 0;
  for (const int rows : values(request, "rows", base.rows, space.rows))
    for (const int cols : values(request, "cols", base.cols, space.cols)) {
      if (rows * cols <= chosen->hardware.rows * chosen->hardware.cols) continue;
      any_larger = true;
      HardwareConfig h = chosen->hardware;
      h.rows = rows, h.cols = cols;
      const std::vector<double> use = budget.estimate(shape_of(h));
      const int over = exceeded(budget, use);
      if (over < 0) {
        larger_fits = true;
        continue;
      }
      const double by = share(budget, use);
      if (binding < 0 || by < nearest) binding = over, nearest = by;
    }
  if (larger_fits) binding = -1;
  out.bound_by = binding >= 0 ? budget.limits[static_cast<std::size_t>(binding)].resource : "the network";
  out.fps_estimate = chosen->fps;
  for (std::size_t i = 0; i < budget.limits.size(); ++i)
    out.use.push_back({budget.limits[i].resource, chosen->use[i], budget.limits[i].budget});

  std::ostringstream why;
  why << budget.description << ": " << describe(chosen->hardware) << " at " << number(chosen->hardware.clock_mhz)
      << " MHz, " << number(chosen->fps) << " fps by the engine plan (" << out.fitting << " of " << out.candidates
      << " shapes fit; estimated " << use_text(budget, chosen->use) << "). ";
  if (binding >= 0)
    why << "A larger array does not fit: " << out.bound_by << " binds first.";
  else if (any_larger)
    why << "A larger array fits but is not " << number(100 * kFpsTolerance)
        << " % faster for this network, so the cheapest of the fastest is kept.";
  else
    why << "It is the largest array the sizing space holds.";
  if (!request.fixed.empty()) {
    why << " Kept as the scenario gives them:";
    for (const std::string& k : request.fixed) why << " " << k;
    why << ".";
  }
  why << " Cost model: " << budget.model;
  out.explanation = why.str();
  s.hardware = chosen->hardware;
  return out;
}

}  // namespace dnnvp
