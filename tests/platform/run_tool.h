// Running dnn-vp's tools from the platform tests: a command line (each argument quoted) with its stdout and
// stderr captured in DIR/command.log, and vp_run on a scenario written by the test.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace dnnvp_test {

struct ToolRun {
  int status = -1;     // exit status, -1 if the tool did not exit normally
  std::string output;  // stdout and stderr
};

inline ToolRun run_tool(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::filesystem::path log = dir / "command.log";
  std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1";
  for (const std::string& a : argv) cmd += " '" + a + "'";
  cmd += " > '" + log.string() + "' 2>&1";
  const int raw = std::system(cmd.c_str());
  ToolRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ostringstream text;
  text << std::ifstream(log).rdbuf();
  r.output = text.str();
  return r;
}

// A simulator (vp_sim) on a generated directory with a firmware of the test's choosing, its report in
// OUT/report.json, and `extra` options.
inline ToolRun vp_sim_firmware(const std::string& vp_sim, const std::string& dir, const std::string& firmware,
                               const std::filesystem::path& out, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      vp_sim, "--dir", dir, "--firmware", firmware, "--report", (out / "report.json").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_tool(argv, out);
}

// Writes `scenario_text` to DIR/NAME.yaml, runs `vp_run` on it into DIR/out with -q, requires exit 0 and
// returns the report (the command and its output are shown when a check fails).
inline nlohmann::json vp_run_passing(const std::string& vp_run, const std::filesystem::path& dir,
                                     const std::string& name, const std::string& scenario_text) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::filesystem::path scenario = dir / (name + ".yaml");
  std::ofstream(scenario) << scenario_text;
  const std::filesystem::path out = dir / "out";
  const ToolRun r = run_tool({vp_run, scenario.string(), "--out", out.string(), "-q"}, dir);
  INFO(vp_run << " " << scenario.string() << "\n" << r.output);
  REQUIRE(r.status == 0);
  std::ifstream f(out / "report.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

}  // namespace dnnvp_test
