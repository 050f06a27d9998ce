// Sweep files (tools/sweep/sweep_file.h, docs/sweeps.md): how axes and lists expand into points, how a
// point's fields reach its scenario, the shards, and the file:line:field errors of bad sweep files; and
// the tables' rows (tools/sweep/sweep_results.h) and a point's status from vp_run's exit (sweep_run.h).
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "error.h"
#include "run_options.h"
#include "scenario.h"
#include "sweep_file.h"
#include "sweep_results.h"
#include "sweep_run.h"

namespace fs = std::filesystem;
namespace sw = dnnvp::sweep;
using nlohmann::json;

namespace {

// A fresh directory under the test's build directory holding `files` (name -> text).
fs::path files(const std::string& name, const std::vector<std::pair<std::string, std::string>>& contents) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "sweep_file" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [file, text] : contents) {
    fs::create_directories((dir / file).parent_path());
    std::ofstream(dir / file) << text;
  }
  return dir;
}

const char* const kBase = "name: tiny\nnetwork: {zoo: tiny_cnn}\nhardware:\n  rows: 4\n  cols: 8\n";

std::string fields_of(const sw::Point& p) {
  std::string s;
  for (const sw::FieldValue& f : p.fields)
    s += (s.empty() ? "" : " ") + f.path + "=" + sw::value_text(f.value);
  return s;
}

// The error load_sweep() throws for a sweep file `text` beside kBase (as base.yaml), the directory cut.
std::string error_of(const std::string& name, const std::string& text) {
  const fs::path dir = files(name, {{"base.yaml", kBase}, {"s.yaml", text}});
  try {
    sw::load_sweep((dir / "s.yaml").string());
  } catch (const dnnvp::Error& e) {
    std::string m = e.what();
    for (std::size_t at; (at = m.find(dir.string() + "/")) != std::string::npos;)
      m.erase(at, dir.string().size() + 1);
    return m;
  }
  return "no error";
}

}  // namespace

TEST_CASE("a grid expands into the cartesian product of its axes, the last axis fastest, ids by index",
          "[sweep]") {
  const fs::path dir = files("grid", {{"base.yaml", kBase},
                                      {"s.yaml",
                                       "base: base.yaml\naxes:\n  hardware.rows: [4, 8]\n"
                                       "  hardware.cols: [8, 16, 32]\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "s.yaml").string());
  CHECK(s.name == "s");
  CHECK(s.engine == "fast");
  CHECK(s.axes == std::vector<std::string>{"hardware.rows", "hardware.cols"});
  REQUIRE(s.points.size() == 6);
  const char* const want[] = {"hardware.rows=4 hardware.cols=8",  "hardware.rows=4 hardware.cols=16",
                              "hardware.rows=4 hardware.cols=32", "hardware.rows=8 hardware.cols=8",
                              "hardware.rows=8 hardware.cols=16", "hardware.rows=8 hardware.cols=32"};
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(s.points[i].index == i);
    CHECK(s.points[i].id == "p000" + std::to_string(i));
    CHECK(fields_of(s.points[i]) == want[i]);
  }
  CHECK(s.points[5].shape_key.rfind("r8c32", 0) == 0);
  const json j = sw::sweep_json(s);
  CHECK(j.at("points")[4].at("fields") == json{{"hardware.rows", 8}, {"hardware.cols", 16}});
  CHECK(j.at("axes") == json{"hardware.rows", "hardware.cols"});
}

TEST_CASE("a list gives exactly its points, in order, with the sweep file's engine and jobs", "[sweep]") {
  const fs::path dir = files("list", {{"base.yaml", kBase},
                                      {"s.yaml",
                                       "name: short\nbase: base.yaml\nengine: rtl\njobs: 3\npoints:\n"
                                       "  - {hardware.rows: 2, dram.preset: lpddr4-3200}\n"
                                       "  - {hardware.rows: 4, dram.preset: ddr4-2400}\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "s.yaml").string());
  CHECK(s.name == "short");
  CHECK(s.engine == "rtl");
  CHECK(s.jobs == 3);
  REQUIRE(s.points.size() == 2);
  CHECK(fields_of(s.points[0]) == "hardware.rows=2 dram.preset=lpddr4-3200");
  CHECK(fields_of(s.points[1]) == "hardware.rows=4 dram.preset=ddr4-2400");
  CHECK(s.points[1].fields[0].sweep_field == "points[1].hardware.rows");
}

TEST_CASE("a dotted path sets a nested field, creating the sections the base lacks, and reaches list items",
          "[sweep]") {
  const fs::path dir =
      files("dotted",
            {{"base.yaml",
              "name: inline\ninput: {shape: [8, 8, 3]}\nnetwork:\n  layers:\n"
              "    - {name: c1, type: conv, filters: 8, kernel: 3}\n    - {name: g, type: avgpool, global: "
              "true}\n"},
             {"s.yaml",
              "base: base.yaml\naxes:\n  network.layers[0].filters: [4, 16]\n  dram.preset: [lpddr4-3200]\n"
              "  input.shape: [[6, 6, 3]]\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "s.yaml").string());
  REQUIRE(s.points.size() == 2);
  const YAML::Node doc = sw::point_scenario(s, s.points[1]);
  CHECK(doc["network"]["layers"][0]["filters"].as<int>() == 16);
  CHECK(doc["network"]["layers"][1]["name"].as<std::string>() == "g");
  CHECK(doc["dram"]["preset"].as<std::string>() == "lpddr4-3200");
  CHECK(doc["input"]["shape"][0].as<int>() == 6);
  const dnnvp::Scenario sc = dnnvp::load_scenario("point.yaml", doc);
  CHECK(sc.network.layers[0].filters == 16);
  CHECK(sc.dram.preset == "lpddr4-3200");
  CHECK(sc.network.input_shape.h == 6);
  CHECK(sw::value_text(s.points[0].fields[2].value) == "[6, 6, 3]");
  CHECK(sw::value_json(s.points[0].fields[2].value) == json{6, 6, 3});
}

TEST_CASE("networks: a first axis named after each scenario file, the files beside the sweep file",
          "[sweep]") {
  const fs::path dir = files("networks", {{"nets/a.yaml", kBase},
                                          {"nets/b.yaml", "network: {zoo: jettagger}\n"},
                                          {"sweeps/s.yaml",
                                           "networks: [../nets/a.yaml, ../nets/b.yaml]\n"
                                           "axes: {hardware.cols: [8, 16]}\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "sweeps/s.yaml").string());
  CHECK(s.axes == std::vector<std::string>{"network", "hardware.cols"});
  REQUIRE(s.points.size() == 4);
  CHECK(fields_of(s.points[0]) == "network=a hardware.cols=8");
  CHECK(fields_of(s.points[3]) == "network=b hardware.cols=16");
  CHECK(sw::point_scenario(s, s.points[3])["network"]["zoo"].as<std::string>() == "jettagger");
}

TEST_CASE(
    "a point's scenario holds absolute file paths: the base's against its directory, swept ones against "
    "the sweep file's",
    "[sweep]") {
  const std::string net =
      "name: n\ninput: [8, 8, 3]\nlayers:\n  - {name: c1, type: conv, filters: 4, kernel: 3}\n";
  const fs::path dir =
      files("paths", {{"scen/base.yaml", "network: {file: net.yaml}\n"},
                      {"scen/net.yaml", net},
                      {"sw/other.yaml", net},
                      {"sw/s.yaml", "base: ../scen/base.yaml\naxes: {network.file: [other.yaml]}\n"},
                      {"sw/t.yaml", "base: ../scen/base.yaml\naxes: {hardware.rows: [2]}\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "sw/s.yaml").string());
  CHECK(sw::point_scenario(s, s.points[0])["network"]["file"].as<std::string>() ==
        (dir / "sw/other.yaml").string());
  const sw::Sweep t = sw::load_sweep((dir / "sw/t.yaml").string());
  CHECK(sw::point_scenario(t, t.points[0])["network"]["file"].as<std::string>() ==
        (dir / "scen/net.yaml").string());
}

TEST_CASE("a bad sweep file is an error naming file:line:field", "[sweep]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"base: base.yaml\naxes:\n  hardware.rows: [4,\n    0]\n",
       "s.yaml:4: axes.hardware.rows[1]: must be 1..256, got 0"},
      {"base: base.yaml\naxes:\n  hardware.colums: [8]\n", "s.yaml:3: axes.hardware.colums[0]: unknown key"},
      {"base: base.yaml\npoints:\n  - {dram.preset: ddr4-2400}\n  - {dram.preset: ddr5}\n",
       "s.yaml:4: points[1].dram.preset: must be one of ddr4-2400, lpddr4-3200, got 'ddr5'"},
      {"base: base.yaml\nengin: fast\n", "s.yaml:2: engin: unknown key"},
      {"base: base.yaml\nengine: slow\n", "s.yaml:2: engine: must be one of fast, rtl, got 'slow'"},
      {"base: nothere.yaml\n", "s.yaml:1: base: no such file 'nothere.yaml'"},
      {"base: base.yaml\nnetworks: [base.yaml]\n",
       "s.yaml:1: give exactly one of base (a scenario file) or networks (a list of scenario files)"},
      {"base: base.yaml\naxes: {hardware.rows: [4]}\npoints: [{hardware.rows: 4}]\n",
       "s.yaml:3: points: give either axes (a grid) or points (a list)"},
      {"base: base.yaml\npoints:\n  - {hardware.rows: 4}\n  - {hardware.cols: 4}\n",
       "s.yaml:4: points[1]: must set the same fields as points[0] (hardware.rows)"},
      {"base: base.yaml\naxes:\n  hardware.rows: []\n",
       "s.yaml:3: axes.hardware.rows: must be a non-empty list of values, got an empty list"},
      {"base: base.yaml\naxes:\n  hardware..rows: [4]\n",
       "s.yaml:3: axes.hardware..rows: not a scenario field path (dotted keys, e.g. hardware.rows or "
       "network.zoo)"},
      {"base: base.yaml\naxes:\n  network.zoo: [tiny_cnn, nonet]\n",
       "s.yaml:3: axes.network.zoo[1]: unknown zoo network 'nonet' (known: alexnet, jettagger, mobilenet_v2, "
       "resnet18, resnet50, tiny_cnn, vgg16)"},
      {"base: base.yaml\naxes:\n  hardware.rows.x: [4]\n",
       "s.yaml:3: axes.hardware.rows.x[0]: 'hardware.rows' is not a mapping in the base scenario"},
      {"base: base.yaml\njobs: 0\n", "s.yaml:2: jobs: must be 1..1024, got 0"},
      {"base: base.yaml\naxes: [1, 2\n", "s.yaml:3: YAML syntax error: end of sequence flow not found"},
      // A field the sweep sets, checked against another: at the swept value.
      {"base: base.yaml\naxes:\n  quantization.weight_bits: [4, 8]\n  hardware.weight_bits: [4]\n",
       "s.yaml:4: axes.hardware.weight_bits[0]: must be at least quantization.weight_bits (8), got 4"},
  };
  int i = 0;
  for (const auto& [text, want] : cases) {
    INFO(text);
    CHECK(error_of("bad" + std::to_string(i++), text) == want);
  }
  // An error in a file the sweep does not write (here the zoo network's, too big for the swept input):
  // the point that meets it, then the error as the scenario reader gives it.
  const std::string zoo =
      error_of("zoo", "base: base.yaml\naxes:\n  input.shape: [[16, 16, 3], [2, 2, 3]]\n");
  CHECK(zoo.rfind("s.yaml: point p0001 (input.shape=[2, 2, 3]): ", 0) == 0);
  CHECK(zoo.find("scenarios/zoo/tiny_cnn.yaml:") != std::string::npos);
}

TEST_CASE("the shards of a sweep hold every point exactly once", "[sweep]") {
  const fs::path dir = files(
      "shards",
      {{"base.yaml", kBase}, {"s.yaml", "base: base.yaml\naxes: {hardware.rows: [1, 2, 3, 4, 5, 6, 7]}\n"}});
  const sw::Sweep s = sw::load_sweep((dir / "s.yaml").string());
  for (int n = 1; n <= 9; ++n) {
    std::multiset<std::string> seen;
    for (int i = 1; i <= n; ++i)
      for (const sw::Point* p : sw::shard_points(s, i, n)) seen.insert(p->id);
    CHECK(seen.size() == s.points.size());
    for (const sw::Point& p : s.points) CHECK(seen.count(p.id) == 1);
  }
}

TEST_CASE("a point's status follows vp_run's exit status and says why it failed", "[sweep]") {
  const json mismatch = {{"message", ""}, {"output_check", {{"mismatches", 3}, {"elements", 10}}}};
  const json fault = {{"message", "DMA error at 0x0"}, {"end", "fault"}};
  struct Case {
    int exit_code;
    json report;
    std::string log, status, message;
  };
  const std::vector<Case> cases = {
      {0, json::object(), "", "pass", ""},
      {1, mismatch, "", "mismatch", "3 of 10 output elements differ"},
      {2,
       {{"message", "x.yaml: hardware.input_buffer_kib: too small"}},
       "",
       "bad_input",
       "x.yaml: hardware.input_buffer_kib: too small"},
      {3, fault, "", "fault", "DMA error at 0x0"},
      {4, {{"end", "max_cycles"}}, "", "fault", "max_cycles"},
      {124, {{"message", "watchdog"}}, "", "fault", "watchdog"},
      {5, {{"message", "building the simulator failed"}}, "", "build_error", "building the simulator failed"},
      {139, nullptr, "Segmentation fault", "error", "Segmentation fault"},
      {127, nullptr, "", "error", "vp_run ended with exit status 127 and no message"},
  };
  for (const Case& c : cases) {
    const json st = sw::point_status("p0001", c.exit_code, c.report, c.log, 1.5, "fast");
    INFO(c.exit_code);
    CHECK(st.at("status") == c.status);
    CHECK(st.at("message") == c.message);
    CHECK(st.at("exit_code") == c.exit_code);
    CHECK(st.at("engine") == "fast");
    CHECK(std::count(sw::kStatuses.begin(), sw::kStatuses.end(), st.at("status").get<std::string>()) == 1);
  }
}

TEST_CASE(
    "the tables: one CSV row per point and per layer, cells quoted, other flows' columns only when present",
    "[sweep]") {
  const json point = {{"id", "p0000"}, {"index", 0}, {"fields", {{"hardware.rows", 4}, {"network", "a,b"}}}};
  const json layer = {{"index", 0},
                      {"name", "c1"},
                      {"type", "conv"},
                      {"where", "engine"},
                      {"cycles", 500},
                      {"engine_cycles", 400},
                      {"macs", 6400},
                      {"pe_utilization", 0.5},
                      {"pe_utilization_bound", 1.0},
                      {"stalls", {{"input", 1}, {"weight", 2}, {"output", 3}}},
                      {"dram_read_bytes", 1500},
                      {"dram_write_bytes", 500},
                      {"dram_lower_bound_bytes", 1800},
                      {"dram_per_initiator",
                       {{"cpu", {{"read_bytes", 100}, {"write_bytes", 0}}},
                        {"dma0.mm2s", {{"read_bytes", 1400}, {"write_bytes", 0}}}}},
                      {"dram_peak_bytes_per_second", 4e9}};
  const json dram = {
      {"read_bytes", 3000000}, {"write_bytes", 1000000}, {"ratio_to_lower_bound", 1.5}, {"energy_pj", 2e6}};
  const json totals = {{"cycles", 1000},
                       {"fps", 250000.0},
                       {"pe_utilization_overall", 0.25},
                       {"pe_utilization", 0.5},
                       {"pe_utilization_conv", 0.75},
                       {"pe_utilization_bound", 0.9},
                       {"dram", dram}};
  const json report = {{"bit_exact", true},
                       {"hardware", {{"pes", 32}, {"clock_mhz", 250.0}}},
                       {"totals", totals},
                       {"resources", {{"lut", 1234}}},
                       {"layers", json::array({layer})}};
  const json status = {
      {"status", "fault"}, {"message", "stopped: \"x\"\nsecond line"}, {"engine", "fast"}, {"wall_s", 2.5}};
  const json r = sw::point_result(point, status, report);
  CHECK(r.at("metrics").at("dram_mb") == 4.0);
  CHECK(r.at("metrics").at("dram_energy_uj") == 2.0);
  CHECK(r.at("metrics").at("lut") == 1234);
  CHECK(!r.at("metrics").contains("area_mm2"));
  const json& l = r.at("layers")[0];
  CHECK(l.at("stall_weight") == 2);
  CHECK(l.at("dram_dma0_mm2s_bytes") == 1400);
  CHECK(l.at("dram_avg_gbs") == Approx(2000.0 * 250e6 / 500 / 1e9));
  CHECK(l.at("dram_peak_gbs") == 4.0);

  const json results = {{"sweep", "s"}, {"axes", {"hardware.rows", "network"}}, {"points", {r}}};
  const std::string csv = sw::results_csv(results);
  CHECK(csv ==
        "id,hardware.rows,network,status,message,engine,wall_s,bit_exact,pes,cycles,fps,utilization,"
        "utilization_engine,utilization_conv,utilization_bound,dram_mb,dram_ratio,dram_energy_uj,lut\n"
        "p0000,4,\"a,b\",fault,\"stopped: \"\"x\"\" second "
        "line\",fast,2.5,true,32,1000,250000.0,0.25,0.5,0.75,0.9,"
        "4.0,1.5,2.0,1234\n");
  const std::string layers = sw::layers_csv(results);
  CHECK(layers.substr(0, layers.find('\n')) ==
        "id,hardware.rows,network,layer,name,type,where,cycles,engine_cycles,macs,utilization,utilization_"
        "bound,"
        "stall_input,stall_weight,stall_output,dram_read_bytes,dram_write_bytes,dram_lower_bound_bytes,"
        "dram_cpu_bytes,dram_dma0_mm2s_bytes,dram_avg_gbs,dram_peak_gbs");
  CHECK(layers.substr(layers.find('\n') + 1) ==
        "p0000,4,\"a,b\",0,c1,conv,engine,500,400,6400,0.5,1.0,1,2,3,1500,500,1800,100,1400,1.0,4.0\n");

  const json no_report = sw::point_result(point, {{"status", "bad_input"}, {"message", "m"}}, nullptr);
  CHECK(no_report.at("metrics").at("bit_exact") == false);
  CHECK(no_report.at("metrics").at("cycles").is_null());
  CHECK(no_report.at("layers").empty());
}
