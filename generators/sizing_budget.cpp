// The budgets the sizer works within and the cost models that estimate a shape's use of them: linear in
// a few structural features of the shape, fitted (least squares) to the tool results listed in
// generators/sizing_calibration.yaml (Yosys synth_xilinx for FPGA resources; for ASIC area, Yosys + the
// OSU 0.18 um library for the logic plus the ASIC flow's SRAM-macro model for the buffers, tools/flows/asic).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "error.h"
#include "fpga_parts.h"
#include "scenario.h"
#include "sizing.h"
#include "yaml_fields.h"

namespace dnnvp {
namespace {

// What a cost grows with: a constant, the PEs, the columns (per-column requantisers, pools, drains), the
// stream width (loaders, FIFOs) and the buffer bytes (block RAM).
std::vector<double> features(const EngineShape& s) {
  return {1.0, static_cast<double>(s.rows) * s.cols, static_cast<double>(s.cols),
          static_cast<double>(s.stream_bits),
          static_cast<double>(s.input_buffer_bytes + s.output_buffer_bytes + s.weight_buffer_bytes) / 1024.0};
}

// Least squares: the coefficients c minimising |X c - y| (normal equations, Gaussian elimination with a
// tiny ridge so a feature the points do not vary gets coefficient 0 instead of a singular system).
std::vector<double> fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  const std::size_t n = x.front().size();
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0.0));
  for (std::size_t k = 0; k < x.size(); ++k)
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) a[i][j] += x[k][i] * x[k][j];
      a[i][n] += x[k][i] * y[k];
    }
  for (std::size_t i = 0; i < n; ++i) a[i][i] += 1e-9 * (1.0 + a[i][i]);
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col || a[col][col] == 0.0) continue;
      const double f = a[r][col] / a[col][col];
      for (std::size_t j = col; j <= n; ++j) a[r][j] -= f * a[col][j];
    }
  }
  std::vector<double> c(n);
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i][i] == 0.0 ? 0.0 : a[i][n] / a[i][i];
  return c;
}

struct LinearModel {
  std::vector<double> coefficients;
  double operator()(const EngineShape& s) const {
    const std::vector<double> f = features(s);
    double v = 0;
    for (std::size_t i = 0; i < f.size(); ++i) v += coefficients[i] * f[i];
    return std::max(0.0, v);
  }
};

// One calibration point: the shape (the scenario defaults for keys it does not give) and its measures.
struct Point {
  EngineShape shape;
  std::map<std::string, double> measured;
};

std::vector<Point> read_points(const Fields& section, const std::vector<std::string>& measures) {
  std::vector<Point> points;
  for (const Fields& p : section.maps("points")) {
    Point pt;
    pt.shape.rows = static_cast<int>(p.required_integer("rows", 1, 256));
    pt.shape.cols = static_cast<int>(p.required_integer("cols", 1, 256));
    pt.shape.stream_bits = static_cast<int>(p.integer("stream_bits", pt.shape.stream_bits, 8, 1024));
    pt.shape.input_buffer_bytes =
        static_cast<int>(p.integer("input_buffer_kib", pt.shape.input_buffer_bytes / 1024, 1, 65536) * 1024);
    pt.shape.output_buffer_bytes =
        static_cast<int>(p.integer("output_buffer_kib", pt.shape.output_buffer_bytes / 1024, 1, 65536) * 1024);
    for (const std::string& m : measures) pt.measured[m] = p.number(m, 0.0, 0.0, 1e12);
    p.reject_unknown();
    points.push_back(pt);
  }
  if (points.size() < 2) section.fail("points", "needs at least 2 calibration points");
  return points;
}

constexpr std::size_t kBufferFeature = 4;  // features(): buffer KiB

// The measure's model. A feature the points do not vary cannot be fitted (it is collinear with the
// constant), nor more features than the points determine: such a feature gets coefficient 0, except the
// buffers when `per_buffer_kib` is given: then their cost is that physical slope, taken out of the data
// before the fit.
LinearModel fit_measure(const std::vector<Point>& points, const std::string& measure,
                        std::optional<double> per_buffer_kib = std::nullopt) {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (const Point& p : points) {
    x.push_back(features(p.shape));
    y.push_back(p.measured.at(measure));
  }
  const std::size_t n = x.front().size();
  std::vector<bool> varied(n, false);
  for (std::size_t j = 1; j < n; ++j)
    for (const std::vector<double>& row : x) varied[j] = varied[j] || row[j] != x.front()[j];
  // P points determine the constant and P - 1 features at most: the most telling first.
  std::size_t room = points.size() - 1;
  for (const std::size_t j : {std::size_t{1}, std::size_t{2}, kBufferFeature, std::size_t{3}}) {
    if (varied[j] && room == 0) varied[j] = false;
    if (varied[j]) --room;
  }
  const bool slope = !varied[kBufferFeature] && per_buffer_kib;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (slope) y[k] -= *per_buffer_kib * x[k][kBufferFeature];
    for (std::size_t j = 1; j < n; ++j)
      if (!varied[j]) x[k][j] = 0.0;
  }
  LinearModel m{fit(x, y)};
  if (slope) m.coefficients[kBufferFeature] = *per_buffer_kib;
  return m;
}

std::string points_text(std::size_t n, const std::string& tool) {
  return "linear in PEs, columns, stream width and buffer KiB, fitted to " + std::to_string(n) + " " + tool +
         " results (generators/sizing_calibration.yaml; what the points do not vary costs nothing, but buffers: "
         "their physical minimum).";
}

SizingBudget fpga_budget(const SizingRequest& r, const Fields& fpga) {
  const flows::FpgaParts parts = flows::load_fpga_parts();
  const flows::FpgaPart* part = nullptr;
  try {
    part = &parts.part(r.fpga_part);
  } catch (const Error& e) {
    throw Error(located(r.file, r.line, r.field, e.what()));
  }
  static const std::vector<std::string> kMeasures = {"lut", "ff", "dsp", "bram36", "uram"};
  const std::vector<Point> points = read_points(fpga, kMeasures);
  SizingBudget b;
  b.description = part->name + " (" + part->part + ")";
  const double available[] = {static_cast<double>(part->lut), static_cast<double>(part->ff),
                              static_cast<double>(part->dsp), static_cast<double>(part->bram36),
                              static_cast<double>(part->uram)};
  const char* names[] = {"LUT", "FF", "DSP", "BRAM36", "URAM"};
  std::vector<LinearModel> models;
  for (std::size_t i = 0; i < kMeasures.size(); ++i) {
    // A resource the part lacks (URAM on a 7-series) is no limit; the fit puts memories elsewhere.
    if (available[i] == 0) continue;
    b.limits.push_back({names[i], available[i], ""});
    // A RAMB36 holds 4 KiB of data (32 Kb without parity): the least block RAM a KiB of buffer takes.
    models.push_back(fit_measure(points, kMeasures[i],
                                 kMeasures[i] == "bram36" ? std::optional<double>(0.25) : std::nullopt));
  }
  b.estimate = [models](const EngineShape& s) {
    std::vector<double> use;
    for (const LinearModel& m : models) use.push_back(m(s));
    return use;
  };
  b.model = points_text(points.size(), "Yosys synth_xilinx");
  return b;
}

// The factor an OSU 0.18 um area takes at node_nm: classical scaling, (node / library node)^2, as the ASIC
// flow reports it (generators/flows/asic_tech.json "scaling", whose nodes are the ones allowed).
double area_scale(const SizingRequest& r) {
  if (r.node_nm == 0) return 1.0;
  std::ifstream in(DNNVP_ASIC_TECH);
  const nlohmann::json tech = nlohmann::json::parse(in, nullptr, false);
  if (tech.is_discarded()) throw Error(std::string(DNNVP_ASIC_TECH) + ": cannot read the ASIC technology data");
  const int library = tech.at("library").at("node_nm").get<int>();
  std::vector<int> nodes = tech.at("scaling").at("nodes_nm").get<std::vector<int>>();
  nodes.insert(nodes.begin(), library);
  if (std::find(nodes.begin(), nodes.end(), r.node_nm) == nodes.end()) {
    std::string list;
    for (const int n : nodes) list += (list.empty() ? "" : ", ") + std::to_string(n);
    throw Error(located(r.file, r.line, r.field + ".node_nm",
                        "must be a node the ASIC flow scales to (" + list + "), got " + std::to_string(r.node_nm)));
  }
  const double f = static_cast<double>(r.node_nm) / library;
  return f * f;
}

SizingBudget asic_budget(const SizingRequest& r, const Fields& asic) {
  const std::vector<Point> points = read_points(asic, {"area_um2"});
  // The SRAM macros' area follows their geometry (rows, columns), not the buffer bytes alone: no physical
  // slope stands in for buffer sizes the points do not vary, so such a model would be wrong, not rough.
  const bool buffers_varied = std::any_of(points.begin(), points.end(), [&](const Point& p) {
    return features(p.shape)[kBufferFeature] != features(points.front().shape)[kBufferFeature];
  });
  if (points.size() < 3 || !buffers_varied)
    throw Error(located(r.file, r.line, r.field,
                        "the ASIC area model is not calibrated yet: " + std::string(DNNVP_SIZING_CALIBRATION) +
                            " asic.points has " + std::to_string(points.size()) +
                            " point(s); it needs at least 3, with different buffer sizes "
                            "(tools/flows/asic/asic_flow.py measures one)"));
  const LinearModel area = fit_measure(points, "area_um2");
  const double scale = area_scale(r);
  SizingBudget b;
  std::ostringstream d;
  d << r.area_mm2 << " mm2";
  if (r.clock_mhz) d << " at " << *r.clock_mhz << " MHz";
  if (r.node_nm != 0)
    d << " (" << r.node_nm << " nm: OSU 0.18 um areas by classical scaling, an estimate)";
  else
    d << " (OSU 0.18 um)";
  b.description = d.str();
  b.limits.push_back({"area", r.area_mm2, "mm2"});
  b.estimate = [area, scale](const EngineShape& s) { return std::vector<double>{area(s) * scale / 1e6}; };
  b.model = "area (standard cells + SRAM macros) " +
            points_text(points.size(), "OSU 0.18 um (Yosys, the ASIC flow's SRAM model; docs/asic.md)") +
            " Timing is not part of the choice: tools/flows/asic/asic_flow.py gives the chosen shape's fmax.";
  return b;
}

}  // namespace

SizingBudget sizing_budget(const SizingRequest& request, const Scenario&) {
  const std::string file = DNNVP_SIZING_CALIBRATION;
  const Fields root(load_yaml_file(file), file, "");
  const Fields fpga = root.map("fpga"), asic = root.map("asic");
  root.reject_unknown();
  return request.fpga_part.empty() ? asic_budget(request, asic) : fpga_budget(request, fpga);
}

}  // namespace dnnvp
