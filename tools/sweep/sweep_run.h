// Running a sweep's points on this machine (docs/sweeps.md): one vp_run per point into DIR/points/<id>/,
// several at once, each point's status.json written last (a point is finished iff it has one, so a run
// resumed after a kill skips exactly the finished points).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep_file.h"

namespace dnnvp::sweep {

struct LocalRun {
  std::string out;     // DIR
  std::string vp_run;  // the vp_run binary
  std::string engine;  // vp_run --engine for every point
  int jobs = 1;        // vp_runs at once
  int shard = 1, shards = 1;
  bool progress = true;  // the progress line on stderr
};

// What a point's status.json says (docs/sweeps.md): status is one of kStatuses.
inline const std::vector<std::string> kStatuses = {"pass",        "mismatch",  "fault",
                                                   "build_error", "bad_input", "error"};

// `text` to `path` through a temporary file (unique to this process) renamed into place: a reader, or a
// run killed meanwhile, never leaves half a file. Throws std::runtime_error naming the file.
void write_atomically(const std::string& path, const std::string& text);

// DIR/sweep.json for this sweep (written first, atomically), or, when DIR has one, a check that it lists
// the same points and engine (a resumed run must not mix two sweeps). Throws dnnvp::Error.
void prepare_out(const Sweep& sweep, const std::string& out, const std::string& engine);

// The status of a point whose vp_run ended with exit status `exit_code` (128 + signal when killed), from
// its report.json (null when it wrote none) and its log's last line.
nlohmann::json point_status(const std::string& id, int exit_code, const nlohmann::json& report,
                            const std::string& last_log_line, double wall_s, const std::string& engine);

// The simulator of every engine shape the shard's unfinished points need (engine rtl), built once each
// before any point runs (vp_run --build-only). Returns the shape keys whose build failed, with the message.
std::vector<std::pair<std::string, std::string>> build_simulators(const Sweep& sweep, const LocalRun& run);

// Runs the shard's unfinished points (engine rtl: builds their simulators first). Returns 0 when every
// point of the shard has finished (whatever its status), 128 + the signal when SIGINT/SIGTERM stopped it.
int run_points(const Sweep& sweep, const LocalRun& run);

}  // namespace dnnvp::sweep
