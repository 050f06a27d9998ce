// A sweep's tables (docs/sweeps.md, "Reading the results"): results.csv (one row per finished point),
// layers.csv (one row per finished point and layer) and results.json (both, per point), assembled from
// DIR/sweep.json and every point's status.json and report.json, each written through a temporary file.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace dnnvp::sweep {

// A point's results.json entry: {id, index, fields, status, message, engine, wall_s, metrics, layers};
// `report` may be null (vp_run wrote none).
nlohmann::json point_result(const nlohmann::json& point, const nlohmann::json& status,
                            const nlohmann::json& report);

// The CSV text of results.csv and layers.csv from results.json's object.
std::string results_csv(const nlohmann::json& results);
std::string layers_csv(const nlohmann::json& results);

struct MergeCount {
  std::size_t finished = 0, total = 0, failed = 0;
};
// Reads DIR/sweep.json and the finished points, writes DIR/results.json, results.csv and layers.csv.
// Throws dnnvp::Error when DIR holds no sweep.json.
MergeCount merge_results(const std::string& out);

}  // namespace dnnvp::sweep
