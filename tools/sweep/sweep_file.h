// A sweep file (docs/sweeps.md): base scenario(s), axes over scenario fields by dotted path (a grid) or an
// explicit list of points, the engine model and the parallel jobs. load_sweep() reads it strictly and
// expands it into points, each point's resolved scenario validated by the scenario reader, so a bad sweep
// file is an error naming file:line:field before anything runs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "slurm.h"

namespace dnnvp::sweep {

// The field that names the base scenario of a point when the sweep has `networks:` (its file's stem).
inline constexpr const char* kNetworkField = "network";

// One swept field's value at one point.
struct FieldValue {
  std::string path;         // the scenario field ("hardware.rows"), or kNetworkField for `networks:`
  YAML::Node value;         // as written in the sweep file (a base file's stem for kNetworkField)
  std::string sweep_field;  // where the value is in the sweep file: "axes.hardware.rows[2]",
                            // "points[1].hardware.rows"
  int line = 0;             // its line in the sweep file
};

struct Point {
  std::string id;  // "p0007": the expansion index, stable for a given sweep file
  std::size_t index = 0;
  std::size_t base = 0;            // into Sweep::bases
  std::vector<FieldValue> fields;  // in Sweep::axes order
  std::string shape_key;           // the engine shape's simulator key (engine_shape_key())
};

struct Sweep {
  std::string file;  // the sweep file as given
  std::string name;
  std::string description;
  std::vector<std::string> bases;  // base scenario files, resolved against the sweep file's directory
  std::vector<std::string> axes;   // the swept fields: kNetworkField first with `networks:`, then the axes'
  std::string engine = "fast";     // vp_run --engine
  int jobs = 0;                    // 0: one per core
  SlurmOptions slurm;              // the `slurm:` section (vp_sweep --backend slurm)
  std::vector<Point> points;
};

// Reads, expands and validates a sweep file. Throws dnnvp::Error ("file:line: field: message").
Sweep load_sweep(const std::string& path);

// The point's scenario: its base with the swept fields set and every relative file path made absolute,
// so it can be written anywhere (DIR/points/<id>/scenario.yaml).
YAML::Node point_scenario(const Sweep& sweep, const Point& point);

// A field value as JSON (numbers, booleans, strings, lists) and as one line of text (CSV cells).
nlohmann::json value_json(const YAML::Node& value);
std::string value_text(const YAML::Node& value);

// DIR/sweep.json (docs/sweeps.md): {name, base, axes, engine, points: [{id, index, fields: {path: value}}]}.
nlohmann::json sweep_json(const Sweep& sweep);

// The points of shard i of n (1-based; index % n == i - 1): every point in exactly one shard.
std::vector<const Point*> shard_points(const Sweep& sweep, int i, int n);

}  // namespace dnnvp::sweep
