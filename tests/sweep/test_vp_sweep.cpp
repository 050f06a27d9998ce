// vp_sweep end to end (docs/sweeps.md) on tiny_cnn with the fast engine: the tables hold each point's
// report.json figures, a failing point is a row and the sweep goes on, a killed sweep resumes without
// running a finished point again or leaving half rows, a bad sweep file writes nothing.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "vp_sweep" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A sweep file beside a tiny_cnn base scenario on the 4x8 array.
fs::path sweep_file(const fs::path& dir, const std::string& body) {
  std::ofstream(dir / "base.yaml") << "name: tiny\nnetwork: {zoo: tiny_cnn}\nhardware: {rows: 4, cols: 8}\n";
  std::ofstream(dir / "s.yaml") << "base: base.yaml\n" << body;
  return dir / "s.yaml";
}

dnnvp_test::ToolRun vp_sweep(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv = {DNNVP_VP_SWEEP};
  argv.insert(argv.end(), args.begin(), args.end());
  return dnnvp_test::run_tool(argv, dir);
}

// RFC 4180 rows: quoted cells may hold commas and doubled quotes.
std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  std::ifstream f(file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> row(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        row.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        row.emplace_back();
      } else {
        row.back() += c;
      }
    }
    rows.push_back(row);
  }
  return rows;
}

// The cell of `column` in `row`, by the header.
std::string cell(const std::vector<std::vector<std::string>>& csv, std::size_t row,
                 const std::string& column) {
  const auto& h = csv.at(0);
  const auto it = std::find(h.begin(), h.end(), column);
  REQUIRE(it != h.end());
  return csv.at(row).at(static_cast<std::size_t>(it - h.begin()));
}

json read_json(const fs::path& file) {
  std::ifstream f(file);
  REQUIRE(f.good());
  return json::parse(f);
}

// A CSV number as the JSON value it was written from.
void same_number(const std::string& text, const json& value) {
  INFO(text << " vs " << value.dump());
  REQUIRE(value.is_number());
  CHECK(std::stod(text) == Approx(value.get<double>()).epsilon(1e-12));
}

}  // namespace

TEST_CASE(
    "a 4-point tiny_cnn sweep: one results.csv row per point and one layers.csv row per layer, as each "
    "point's report.json says, and --merge-only writes the same tables",
    "[sweep]") {
  const fs::path dir = fresh("grid");
  const fs::path out = dir / "out";
  const auto r =
      vp_sweep({sweep_file(dir, "axes:\n  hardware.rows: [4, 8]\n  hardware.cols: [8, 16]\n").string(),
                "--out", out.string(), "-j", "2", "--no-plots"},
               dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto results = read_csv(out / "results.csv");
  const auto layers = read_csv(out / "layers.csv");
  REQUIRE(results.size() == 5);
  std::size_t layer_row = 1;
  for (std::size_t i = 1; i < results.size(); ++i) {
    const std::string id = cell(results, i, "id");
    CHECK(id == "p000" + std::to_string(i - 1));
    const json rep = read_json(out / "points" / id / "report.json");
    const json status = read_json(out / "points" / id / "status.json");
    const json& t = rep.at("totals");
    CHECK(cell(results, i, "hardware.rows") == std::to_string(rep.at("hardware").at("rows").get<int>()));
    CHECK(cell(results, i, "hardware.cols") == std::to_string(rep.at("hardware").at("cols").get<int>()));
    CHECK(cell(results, i, "status") == "pass");
    CHECK(cell(results, i, "message").empty());
    CHECK(cell(results, i, "engine") == "fast");
    CHECK(rep.at("engine_model").get<std::string>().find("-fast") != std::string::npos);
    same_number(cell(results, i, "wall_s"), status.at("wall_s"));
    CHECK(cell(results, i, "bit_exact") == "true");
    same_number(cell(results, i, "pes"), rep.at("hardware").at("pes"));
    same_number(cell(results, i, "cycles"), t.at("cycles"));
    same_number(cell(results, i, "fps"), t.at("fps"));
    same_number(cell(results, i, "utilization"), t.at("pe_utilization_overall"));
    same_number(cell(results, i, "utilization_engine"), t.at("pe_utilization"));
    same_number(cell(results, i, "utilization_conv"), t.at("pe_utilization_conv"));
    same_number(cell(results, i, "utilization_bound"), t.at("pe_utilization_bound"));
    same_number(
        cell(results, i, "dram_mb"),
        (t.at("dram").at("read_bytes").get<double>() + t.at("dram").at("write_bytes").get<double>()) / 1e6);
    same_number(cell(results, i, "dram_ratio"), t.at("dram").at("ratio_to_lower_bound"));
    same_number(cell(results, i, "dram_energy_uj"), t.at("dram").at("energy_pj").get<double>() / 1e6);
    same_number(cell(results, i, "energy_uj_per_frame"), rep.at("energy").at("per_frame_uj"));
    for (const json& l : rep.at("layers")) {
      REQUIRE(layer_row < layers.size());
      CHECK(cell(layers, layer_row, "id") == id);
      CHECK(cell(layers, layer_row, "name") == l.at("name").get<std::string>());
      CHECK(cell(layers, layer_row, "where") == l.at("where").get<std::string>());
      same_number(cell(layers, layer_row, "layer"), l.at("index"));
      same_number(cell(layers, layer_row, "cycles"), l.at("cycles"));
      same_number(cell(layers, layer_row, "macs"), l.at("macs"));
      same_number(cell(layers, layer_row, "dram_read_bytes"), l.at("dram_read_bytes"));
      same_number(cell(layers, layer_row, "dram_write_bytes"), l.at("dram_write_bytes"));
      // The report's DRAM bytes per initiator add up to the layer's; its busiest window is at least the
      // layer's average and at most the DDR4-2400 peak (19.2 GB/s).
      std::uint64_t by_initiator = 0;
      for (const auto& [name, bytes] : l.at("dram_per_initiator").items()) {
        std::string column = "dram_" + name + "_bytes";
        std::replace(column.begin(), column.end(), '.', '_');
        same_number(cell(layers, layer_row, column),
                    bytes.at("read_bytes").get<double>() + bytes.at("write_bytes").get<double>());
        by_initiator +=
            bytes.at("read_bytes").get<std::uint64_t>() + bytes.at("write_bytes").get<std::uint64_t>();
      }
      CHECK(by_initiator ==
            l.at("dram_read_bytes").get<std::uint64_t>() + l.at("dram_write_bytes").get<std::uint64_t>());
      same_number(cell(layers, layer_row, "dram_peak_gbs"),
                  l.at("dram_peak_bytes_per_second").get<double>() / 1e9);
      if (l.at("cycles").get<std::uint64_t>() > 0 && by_initiator > 0) {
        const double avg = std::stod(cell(layers, layer_row, "dram_avg_gbs"));
        CHECK(avg == Approx(by_initiator * 250e6 / l.at("cycles").get<double>() / 1e9));
        CHECK(std::stod(cell(layers, layer_row, "dram_peak_gbs")) >= avg);
        CHECK(std::stod(cell(layers, layer_row, "dram_peak_gbs")) <= 19.2);
      }
      if (l.contains("engine_cycles")) {
        same_number(cell(layers, layer_row, "engine_cycles"), l.at("engine_cycles"));
        same_number(cell(layers, layer_row, "utilization"), l.at("pe_utilization"));
        same_number(cell(layers, layer_row, "stall_input"), l.at("stalls").at("input"));
        same_number(cell(layers, layer_row, "stall_weight"), l.at("stalls").at("weight"));
        same_number(cell(layers, layer_row, "stall_output"), l.at("stalls").at("output"));
      } else {
        CHECK(cell(layers, layer_row, "engine_cycles").empty());
      }
      ++layer_row;
    }
  }
  CHECK(layer_row == layers.size());
  const json all = read_json(out / "results.json");
  REQUIRE(all.at("points").size() == 4);
  CHECK(all.at("points")[3].at("fields") == json{{"hardware.rows", 8}, {"hardware.cols", 16}});

  std::ostringstream before;
  before << std::ifstream(out / "results.csv").rdbuf() << std::ifstream(out / "layers.csv").rdbuf();
  fs::remove(out / "results.csv");
  fs::remove(out / "layers.csv");
  const auto merged =
      vp_sweep({(dir / "s.yaml").string(), "--out", out.string(), "--merge-only", "--no-plots"}, dir);
  REQUIRE(merged.status == 0);
  std::ostringstream after;
  after << std::ifstream(out / "results.csv").rdbuf() << std::ifstream(out / "layers.csv").rdbuf();
  CHECK(after.str() == before.str());
}

TEST_CASE("a failing point is a row with its status and message, and the sweep goes on to the next",
          "[sweep]") {
  const fs::path dir = fresh("failing");
  const fs::path out = dir / "out";
  const auto r = vp_sweep({sweep_file(dir,
                                      "points:\n"
                                      "  - {hardware.accumulator_bits: 16, run.max_cycles: 0}\n"
                                      "  - {hardware.accumulator_bits: 32, run.max_cycles: 2000}\n")
                               .string(),
                           "--out", out.string(), "-j", "2", "--no-plots"},
                          dir);
  INFO(r.output);
  CHECK(r.status == 1);
  const auto results = read_csv(out / "results.csv");
  REQUIRE(results.size() == 3);
  CHECK(cell(results, 1, "status") == "bad_input");
  CHECK(cell(results, 1, "message").find("hardware.accumulator_bits: layer 'conv1' can need") !=
        std::string::npos);
  CHECK(cell(results, 2, "status") == "fault");
  CHECK(cell(results, 2, "message").find("2000") != std::string::npos);
  CHECK(cell(results, 2, "bit_exact") == "false");
  CHECK(r.output.find("2 of 2 points finished, 2 failed") != std::string::npos);
}

TEST_CASE("a sweep killed mid-run resumes: finished points are not run again, no row is missing or doubled",
          "[sweep]") {
  const fs::path dir = fresh("resume");
  const fs::path out = dir / "out";
  const fs::path sweep = sweep_file(dir, "axes:\n  hardware.rows: [4, 8]\n");
  const fs::path pid_file = dir / "pid";
  const std::string cmd = std::string(DNNVP_VP_SWEEP) + " '" + sweep.string() + "' --out '" + out.string() +
                          "' -j 1 --no-plots -q > '" + (dir / "first.log").string() + "' 2>&1 & echo $! > '" +
                          pid_file.string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  REQUIRE(pid > 0);
  const fs::path first_status = out / "points" / "p0000" / "status.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(first_status) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(fs::exists(first_status));
  REQUIRE(kill(pid, SIGKILL) == 0);
  while (kill(pid, 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the shell reaps it
  CHECK(!fs::exists(out / "results.csv"));  // assembled at the end only: never half a table
  struct stat before {};
  REQUIRE(stat(first_status.c_str(), &before) == 0);
  const std::string first_log =
      (std::ostringstream() << std::ifstream(out / "points/p0000/vp_run.log").rdbuf()).str();

  const auto r = vp_sweep({sweep.string(), "--out", out.string(), "-j", "2", "--no-plots"}, dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  struct stat after {};
  REQUIRE(stat(first_status.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // not written again: the point did not run again
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  const auto results = read_csv(out / "results.csv");
  REQUIRE(results.size() == 3);
  std::set<std::string> ids;
  for (std::size_t i = 1; i < results.size(); ++i) {
    ids.insert(cell(results, i, "id"));
    CHECK(cell(results, i, "status") == "pass");
  }
  CHECK(ids == std::set<std::string>{"p0000", "p0001"});
  CHECK(r.output.find("1/2 done") != std::string::npos);  // the progress counts the finished point at once
  CHECK(first_log == (std::ostringstream() << std::ifstream(out / "points/p0000/vp_run.log").rdbuf()).str());
}

TEST_CASE(
    "a bad sweep file exits 2 naming file:line:field and writes nothing, and --dry-run lists the points",
    "[sweep]") {
  const fs::path dir = fresh("bad");
  const fs::path out = dir / "out";
  const auto bad =
      vp_sweep({sweep_file(dir, "axes:\n  hardware.rows: [4, 300]\n").string(), "--out", out.string()}, dir);
  CHECK(bad.status == 2);
  CHECK(bad.output.find("s.yaml:3: axes.hardware.rows[1]: must be 1..256, got 300") != std::string::npos);
  CHECK(!fs::exists(out));

  const auto dry = vp_sweep({sweep_file(dir, "axes:\n  hardware.rows: [4, 8]\n").string(), "--out",
                             out.string(), "--dry-run", "--shard", "2/2"},
                            dir);
  INFO(dry.output);
  CHECK(dry.status == 0);
  CHECK(dry.output.find("p0001 hardware.rows=8  [r8c8") != std::string::npos);
  CHECK(dry.output.find("p0000") == std::string::npos);
  CHECK(!fs::exists(out));

  CHECK(vp_sweep({(dir / "s.yaml").string(), "--shard", "3/2"}, dir).status == 2);
  CHECK(vp_sweep({(dir / "s.yaml").string(), "--engine", "slow"}, dir).status == 2);
}

TEST_CASE(
    "vp_sweep --build-only builds each engine shape the rtl points need once, and nothing for the fast "
    "engine",
    "[sweep]") {
  const fs::path dir = fresh("build_only");
  const fs::path out = dir / "out";
  // Two points of one shape (the shipped 4x8: its build is the main build's target, current here).
  const fs::path sweep = sweep_file(dir, "axes:\n  run.stall_seed: [0, 1]\n");
  const auto rtl = vp_sweep({sweep.string(), "--out", out.string(), "--engine", "rtl", "--build-only"}, dir);
  INFO(rtl.output);
  CHECK(rtl.status == 0);
  std::size_t builds = 0;
  for (std::size_t at = 0; (at = rtl.output.find("building the simulator for r4c8", at)) != std::string::npos;
       ++at)
    ++builds;
  CHECK(builds == 1);
  CHECK(fs::exists(out / "build" / "p0000.log"));
  CHECK(!fs::exists(out / "points" / "p0000" / "status.json"));  // nothing ran

  const auto fast = vp_sweep({sweep.string(), "--out", (dir / "fast").string(), "--build-only"}, dir);
  CHECK(fast.status == 0);
  CHECK(fast.output.find("engine fast: no simulator to build") != std::string::npos);
}
