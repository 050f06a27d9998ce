// vp_soak: random valid scenarios run through vp_run, in parallel; one line per failure and a final
// "soak: N passed, M failed". docs/soak.md.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "child_process.h"
#include "command_line.h"
#include "rng.h"
#include "run_options.h"
#include "soak_scenario.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;
namespace ex = dnnvp::exit_status;

namespace {

// How long a vp_run sent SIGTERM has to stop its step and write its report before its group gets SIGKILL.
constexpr std::chrono::seconds kStopGrace{5};

// The signal that interrupted vp_soak, 0: none. The main loop, which polls every 20 ms, passes it on as
// SIGTERM to every vp_run (each is in its own process group, so a terminal's Ctrl-C reaches none of them).
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int sig) {
  g_interrupted = sig;
}

struct Options {
  int count = 20;
  std::string seed = "1";
  std::string out = "out/soak";
  int jobs = 2;
  std::string shapes = "ci";
  bool keep_failures = false;
  std::string vp_run = DNNVP_VP_RUN;
  int timeout = 900;
  int pool_size = 12;
  std::string pool_seed = "1";
};

// A seed option: a decimal 0..2^64-1 (a '-' would silently wrap in the option parser).
std::uint64_t seed_value(const std::string& option, const std::string& text) {
  size_t used = 0;
  unsigned long long v = 0;
  try {
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) v = std::stoull(text, &used, 10);
  } catch (const std::out_of_range&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw std::invalid_argument(option + ": must be an integer 0..2^64-1, got '" + text + "'");
  return v;
}

struct Job {
  dnnvp::soak::RandomScenario scenario;
  fs::path dir;
  std::string key;
  pid_t pid = -1;
  Clock::time_point started;
  bool timed_out = false;
  std::optional<Clock::time_point> stopping;  // when it was sent SIGTERM
  bool killed = false;                        // its group was sent SIGKILL
};

struct Failure {
  std::uint64_t seed;
  std::string scenario;
  std::string status;  // "exit N", "signal N (name)", "timeout", "not run"
  std::string message;
  std::string summary;
};

std::string last_line(const fs::path& file) {
  std::ifstream f(file);
  std::string line, last;
  while (std::getline(f, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

std::string first_line(const fs::path& file) {
  std::ifstream f(file);
  std::string line;
  std::getline(f, line);
  return line;
}

// Starts vp_run on the job's scenario in its own process group (vp_soak signals it alone; vp_run passes
// SIGTERM on to the group of the step it runs), stdout and stderr into files in the job's directory.
pid_t start(const Options& o, const Job& job) {
  return dnnvp::start_in_own_group(
      {o.vp_run, (job.dir / "scenario.yaml").string(), "--out", (job.dir / "run").string(), "-q"},
      {(job.dir / "vp_run.out").string(), (job.dir / "vp_run.err").string()});
}

class Soak {
 public:
  explicit Soak(Options o)
      : o_(std::move(o)),
        seed_(seed_value("--seed", o_.seed)),
        pool_seed_(seed_value("--pool-seed", o_.pool_seed)) {}

  int run() {
    const std::vector<dnnvp::soak::EngineShape> shapes =
        o_.shapes == "ci" ? dnnvp::soak::prebuilt_shapes(DNNVP_SOURCE_DIR)
                          : dnnvp::soak::random_shapes(pool_seed_, o_.pool_size);
    for (int i = 0; i < o_.count; ++i) {
      const std::uint64_t seed = seed_ + static_cast<std::uint64_t>(i);
      const auto& shape = shapes[dnnvp::Rng::derive(seed, 1) % shapes.size()];
      Job job;
      job.scenario = dnnvp::soak::random_scenario(seed, shape);
      job.dir = fs::path(o_.out) / std::to_string(seed);
      job.key = dnnvp::soak::shape_key(shape);
      fs::remove_all(job.dir);
      fs::create_directories(job.dir);
      std::ofstream(job.dir / "scenario.yaml") << job.scenario.yaml;
      pending_.push_back(std::move(job));
    }
    results_.open(fs::path(o_.out) / "results.txt");
    std::cout << "vp_soak: " << o_.count << " scenarios from seed " << seed_ << " on " << shapes.size()
              << " engine shape" << (shapes.size() == 1 ? "" : "s") << " (--shapes " << o_.shapes << "), "
              << o_.jobs << " jobs, in " << o_.out << std::endl;

    // Interrupted: no new runs; the running ones are stopped and waited for, so that none of their
    // simulators or builds outlives vp_soak.
    while (!running_.empty() || (!pending_.empty() && !g_interrupted)) {
      if (g_interrupted)
        for (Job& j : running_) stop(j);
      else
        launch();
      reap();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int sig = g_interrupted;
    if (sig)
      std::cout << "vp_soak: interrupted after " << passed_ + failures_.size() << " of " << o_.count
                << " scenarios\n";
    report();
    if (sig) return ex::interrupted(sig);
    return failures_.empty() ? 0 : 1;
  }

 private:
  // Starts pending jobs while slots are free. A shape that has not run yet may still have to be built
  // by vp_run, which must not happen twice at once: one job per such shape until it has run. A job
  // stopped while building stays in running_ until its vp_run has exited, so its build has ended too.
  void launch() {
    for (auto it = pending_.begin(); it != pending_.end() && static_cast<int>(running_.size()) < o_.jobs;) {
      if (broken_.count(it->key)) {
        fail(*it, "not run",
             "the simulator for this engine shape did not build (see seed " +
                 std::to_string(broken_.at(it->key)) + ")");
        it = pending_.erase(it);
        continue;
      }
      bool building = false;
      if (!ready_.count(it->key))
        for (const Job& r : running_) building = building || r.key == it->key;
      if (building) {
        ++it;
        continue;
      }
      it->pid = start(o_, *it);
      it->started = Clock::now();
      running_.push_back(std::move(*it));
      it = pending_.erase(it);
    }
  }

  void reap() {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      const pid_t r = waitpid(it->pid, &status, WNOHANG);
      if (r == 0) {
        if (!it->stopping && Clock::now() - it->started > std::chrono::seconds(o_.timeout)) {
          it->timed_out = true;
          stop(*it);
        }
        if (it->stopping && !it->killed && Clock::now() - *it->stopping > kStopGrace) {
          kill(-it->pid, SIGKILL);
          it->killed = true;
        }
        ++it;
        continue;
      }
      if (!(g_interrupted && it->stopping && !it->timed_out)) finish(*it, status);  // else not counted
      it = running_.erase(it);
      ++done_;
      if (o_.count >= 100 && done_ % (o_.count / 10) == 0)
        std::cerr << "vp_soak: " << done_ << " of " << o_.count << " run, " << failures_.size()
                  << " failed\n";
    }
  }

  // Asks the job's vp_run to stop: it passes SIGTERM on to the step it runs (vp_sim, a build), writes an
  // "interrupted" report and exits 143; reap() sends SIGKILL if it has not within kStopGrace.
  static void stop(Job& job) {
    if (job.stopping) return;
    kill(-job.pid, SIGTERM);
    job.stopping = Clock::now();
  }

  // Wall seconds the job has run (0 for one never started).
  static long seconds(const Job& job) {
    return job.pid < 0
               ? 0
               : static_cast<long>(
                     std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - job.started).count());
  }

  void finish(const Job& job, int status) {
    if (job.timed_out) {
      fail(job, "timeout",
           "no result after " + std::to_string(o_.timeout) + " s; " +
               (job.killed ? "killed" : "stopped with SIGTERM"));
      return;
    }
    if (WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      const std::string message = last_line(job.dir / "vp_run.err");
      fail(job, "signal " + std::to_string(sig) + " (" + strsignal(sig) + ")",
           message.empty() ? "vp_run died without a message" : message);
      return;
    }
    const int code = WEXITSTATUS(status);
    std::string message = last_line(job.dir / "vp_run.err");
    if (message.empty()) message = first_line(job.dir / "vp_run.out");
    // A scenario rejected before the simulator step (bad input) says nothing about the shape's build.
    if (code == ex::kToolFailed && failed_step(job) == dnnvp::kSimulatorBuildStep)
      broken_.emplace(job.key, job.scenario.seed);
    else if (code != ex::kBadInput)
      ready_.insert(job.key);
    if (code == 0) {
      ++passed_;
      results_ << job.scenario.seed << " pass (" << seconds(job) << " s) [" << job.scenario.summary << "]"
               << std::endl;
      fs::remove_all(job.dir);
      return;
    }
    fail(job, "exit " + std::to_string(code), message);
  }

  // The step vp_run's report says failed ("" if it wrote none): read before fail() removes the run.
  static std::string failed_step(const Job& job) {
    std::ifstream f(job.dir / "run" / "report.json");
    const nlohmann::json rep = nlohmann::json::parse(f, nullptr, false);
    if (!rep.is_object() || rep.value("status", "") != "error") return "";
    return rep.value("step", "");
  }

  // Prints the failure at once and keeps what reproduces it: the scenario and vp_run's output (the run
  // directory too with --keep-failures).
  void fail(const Job& job, const std::string& status, const std::string& message) {
    if (!o_.keep_failures) fs::remove_all(job.dir / "run");
    Failure f{job.scenario.seed, (job.dir / "scenario.yaml").string(), status, message, job.scenario.summary};
    std::cout << "FAIL seed " << f.seed << ": " << f.scenario << ": " << f.status << ": " << f.message
              << "\n     [" << f.summary << "]" << std::endl;
    results_ << f.seed << " " << f.status << ": " << f.message << " (" << seconds(job) << " s) [" << f.summary
             << "]" << std::endl;
    failures_.push_back(std::move(f));
  }

  void report() const {
    std::map<std::string, std::vector<std::uint64_t>> by_status;
    for (const Failure& f : failures_) by_status[f.status].push_back(f.seed);
    for (const auto& [status, seeds] : by_status) {
      std::cout << "  " << status << ": " << seeds.size() << " (seeds";
      for (std::uint64_t s : seeds) std::cout << " " << s;
      std::cout << ")\n";
    }
    std::cout << "soak: " << passed_ << " passed, " << failures_.size() << " failed" << std::endl;
  }

  Options o_;
  std::uint64_t seed_;
  std::uint64_t pool_seed_;
  std::deque<Job> pending_;
  std::vector<Job> running_;
  std::set<std::string> ready_;                  // shapes whose simulator exists
  std::map<std::string, std::uint64_t> broken_;  // shapes whose simulator failed to build: the seed
  std::vector<Failure> failures_;
  std::ofstream results_;  // DIR/results.txt: every scenario's outcome and summary, for classifying
  int passed_ = 0;
  int done_ = 0;
};

int parse(int argc, char** argv, Options& o) {
  po::options_description visible(
      "Usage: vp_soak [options]\n\n"
      "Draws random valid scenarios (every layer type, bit widths 2..8, signedness, shapes, engine\n"
      "shapes, buffers, stalls), runs each through vp_run and prints one line per failure and\n"
      "'soak: N passed, M failed'. Scenario i has seed SEED+i; a failure's files stay in DIR/<seed>/.\n"
      "Exit status 0 only if every scenario passed bit-exact. See docs/soak.md.\n\nOptions");
  visible.add_options()("count,n", po::value(&o.count)->default_value(o.count), "scenarios to run")(
      "seed,s", po::value(&o.seed)->default_value(o.seed), "seed of the first scenario")(
      "out,o", po::value(&o.out)->default_value(o.out), "output directory")(
      "jobs,j", po::value(&o.jobs)->default_value(o.jobs), "vp_run processes at once")(
      "shapes", po::value(&o.shapes)->default_value(o.shapes),
      "engine shapes: ci (the two the main build has) or any (a pool of random shapes, each built once)")(
      "pool-size", po::value(&o.pool_size)->default_value(o.pool_size), "random shapes in the pool (any)")(
      "pool-seed", po::value(&o.pool_seed)->default_value(o.pool_seed), "seed of the shape pool (any)")(
      "keep-failures", po::bool_switch(&o.keep_failures), "keep a failed scenario's whole run directory")(
      "timeout", po::value(&o.timeout)->default_value(o.timeout),
      "seconds one vp_run may take (a shape's first run builds its simulator)")(
      "vp-run", po::value(&o.vp_run)->default_value(o.vp_run), "the vp_run to run");
  po::variables_map vm;
  try {
    if (!dnnvp::read_command_line("vp_soak", argc, argv, visible, vm)) return 0;
    if (o.count < 1) throw std::invalid_argument("--count: must be at least 1");
    if (o.jobs < 1) throw std::invalid_argument("--jobs: must be at least 1");
    if (o.timeout < 1) throw std::invalid_argument("--timeout: must be at least 1");
    if (o.pool_size < 1) throw std::invalid_argument("--pool-size: must be at least 1");
    seed_value("--seed", o.seed);
    seed_value("--pool-seed", o.pool_seed);
    if (o.shapes != "ci" && o.shapes != "any")
      throw std::invalid_argument("--shapes: must be ci or any, got '" + o.shapes + "'");
    if (access(o.vp_run.c_str(), X_OK) != 0)
      throw std::invalid_argument("--vp-run: " + o.vp_run + " is not an executable");
  } catch (const std::exception& e) {
    std::cerr << "vp_soak: " << e.what() << "\n";
    return ex::kBadInput;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const int status = parse(argc, argv, o); status >= 0) return status;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    return Soak(o).run();
  } catch (const std::exception& e) {
    std::cerr << "vp_soak: error: " << e.what() << "\n";
    return 1;
  }
}
