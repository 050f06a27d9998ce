#include "sweep_run.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "error.h"
#include "run_options.h"

namespace dnnvp::sweep {
namespace fs = std::filesystem;
namespace ex = dnnvp::exit_status;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The signal that stopped the sweep, 0: none. The main loop, which polls, passes SIGTERM on to every
// vp_run (each in its own process group, so a terminal's Ctrl-C reaches none of them directly).
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) {
  g_signal = sig;
}

// How long a vp_run asked to stop may take before its group is killed.
constexpr std::chrono::seconds kStopGrace{10};

std::string last_line(const fs::path& file) {
  std::ifstream f(file);
  std::string line, last;
  while (std::getline(f, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

json read_json_or_null(const fs::path& file) {
  std::ifstream f(file);
  if (!f) return nullptr;
  json j = json::parse(f, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

// Starts `argv` in its own process group, stdout and stderr into `log`. A sweep killed outright (SIGKILL)
// stops its vp_runs too (they pass SIGTERM on to their step), so none writes into a point directory a
// resumed sweep starts again.
pid_t start(const std::vector<std::string>& argv, const fs::path& log) {
  return start_in_own_group(argv, {log.string(), log.string()}, /*die_with_parent=*/true);
}

// Runs `argv` to its end (SIGINT/SIGTERM to vp_sweep are passed on); its exit code.
int run_to_end(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = start(argv, log);
  bool stopped = false;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return exit_code_of(status);
    if (r < 0 && errno != EINTR) return 127;
    if (g_signal && !stopped) {
      kill(-pid, SIGTERM);
      stopped = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

fs::path point_dir(const std::string& out, const Point& p) {
  return fs::path(out) / "points" / p.id;
}

bool finished(const std::string& out, const Point& p) {
  return fs::exists(point_dir(out, p) / "status.json");
}

std::string yaml_text(const YAML::Node& doc) {
  YAML::Emitter e;
  e << doc;
  return std::string(e.c_str()) + "\n";
}

std::string duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

class Progress {
 public:
  Progress(bool on, std::size_t total, std::size_t already)
      : on_(on), tty_(isatty(2) != 0), total_(total), done_(already), already_(already) {}
  void update(std::size_t running, std::size_t failed) {
    if (!on_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const std::size_t run_here = done_ - already_;
    std::ostringstream o;
    o << "vp_sweep: " << done_ << "/" << total_ << " done, " << failed << " failed, " << running
      << " running, " << duration(elapsed) << " elapsed";
    if (run_here > 0 && done_ < total_)
      o << ", ETA "
        << duration(elapsed / static_cast<double>(run_here) * static_cast<double>(total_ - done_));
    std::cerr << (tty_ ? "\r" : "") << o.str() << (tty_ ? "\033[K" : "\n") << std::flush;
  }
  void finish_line() {
    if (on_ && tty_) std::cerr << "\n";
  }
  void point_done() { ++done_; }

 private:
  bool on_, tty_;
  std::size_t total_, done_, already_;
  Clock::time_point start_ = Clock::now();
};

struct Job {
  const Point* point;
  pid_t pid;
  Clock::time_point started;
  std::optional<Clock::time_point> stopping;
};

void write_status(const std::string& out, const Point& p, const json& status) {
  write_atomically((point_dir(out, p) / "status.json").string(), status.dump(2) + "\n");
}

}  // namespace

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.flush();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + path);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot write " + path);
  }
}

void prepare_out(const Sweep& sweep, const std::string& out, const std::string& engine) {
  json j = sweep_json(sweep);
  j["engine"] = engine;
  const fs::path file = fs::path(out) / "sweep.json";
  if (fs::exists(file)) {
    const json old = read_json_or_null(file);
    if (!old.is_object() || old.value("points", json()) != j.at("points") ||
        old.value("engine", "") != engine)
      throw Error(out +
                  ": holds another sweep (sweep.json lists other points or another engine); give "
                  "another --out or remove it");
    return;
  }
  fs::create_directories(fs::path(out) / "points");
  write_atomically(file.string(), j.dump(2) + "\n");
}

json point_status(const std::string& id, int exit_code, const json& report, const std::string& last_log_line,
                  double wall_s, const std::string& engine) {
  std::string status;
  switch (exit_code) {
    case ex::kPass:
      status = "pass";
      break;
    case ex::kFail:
      status = "mismatch";
      break;
    case ex::kBadInput:
      status = "bad_input";
      break;
    case ex::kFault:
    case ex::kMaxCycles:
    case ex::kWatchdog:
      status = "fault";
      break;
    case ex::kToolFailed:
      status = "build_error";
      break;
    default:
      status = "error";
  }
  std::string message;
  if (report.is_object()) {
    message = report.value("message", "");
    if (status == "mismatch" && report.contains("output_check")) {
      const json& oc = report.at("output_check");
      message = std::to_string(oc.value("mismatches", 0)) + " of " + std::to_string(oc.value("elements", 0)) +
                " output elements differ" + (message.empty() ? "" : "; " + message);
    }
    if (status == "fault" && message.empty()) message = report.value("end", "");
  }
  if (message.empty() && status != "pass") message = last_log_line;
  if (message.empty() && status != "pass")
    message = "vp_run ended with exit status " + std::to_string(exit_code) + " and no message";
  return {{"id", id},         {"status", status}, {"message", message}, {"exit_code", exit_code},
          {"wall_s", wall_s}, {"engine", engine}};
}

std::vector<std::pair<std::string, std::string>> build_simulators(const Sweep& sweep, const LocalRun& run) {
  std::vector<std::pair<std::string, std::string>> failed;
  if (run.engine != "rtl") return failed;
  std::map<std::string, const Point*> shapes;  // one point of each shape
  for (const Point* p : shard_points(sweep, run.shard, run.shards))
    if (!finished(run.out, *p)) shapes.emplace(p->shape_key, p);
  const fs::path dir = fs::path(run.out) / "build";
  fs::create_directories(dir);
  for (const auto& [key, p] : shapes) {
    if (g_signal) break;
    const fs::path scenario = dir / (p->id + ".yaml");
    write_atomically(scenario.string(), yaml_text(point_scenario(sweep, *p)));
    const fs::path log = dir / (p->id + ".log");
    if (run.progress)
      std::cerr << "vp_sweep: building the simulator for " << key << " (log " << log.string() << ")\n";
    const int code = run_to_end({run.vp_run, scenario.string(), "--build-only"}, log);
    if (code != 0 && !g_signal) failed.emplace_back(key, last_line(log));
  }
  return failed;
}

int run_points(const Sweep& sweep, const LocalRun& run) {
  g_signal = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const std::vector<const Point*> mine = shard_points(sweep, run.shard, run.shards);
  std::vector<const Point*> pending;
  for (const Point* p : mine)
    if (!finished(run.out, *p)) pending.push_back(p);
  Progress progress(run.progress, mine.size(), mine.size() - pending.size());
  std::size_t failed = 0;

  const auto broken = build_simulators(sweep, run);
  for (auto it = pending.begin(); it != pending.end() && !g_signal;) {
    const Point& p = **it;
    auto b =
        std::find_if(broken.begin(), broken.end(), [&](const auto& k) { return k.first == p.shape_key; });
    if (b == broken.end()) {
      ++it;
      continue;
    }
    fs::remove_all(point_dir(run.out, p));
    fs::create_directories(point_dir(run.out, p));
    write_status(run.out, p,
                 {{"id", p.id},
                  {"status", "build_error"},
                  {"message", "the simulator for engine shape " + b->first + " did not build: " + b->second},
                  {"exit_code", ex::kToolFailed},
                  {"wall_s", 0.0},
                  {"engine", run.engine}});
    ++failed;
    progress.point_done();
    it = pending.erase(it);
  }

  std::vector<Job> running;
  std::size_t next = 0;
  progress.update(0, failed);
  while (!running.empty() || (next < pending.size() && !g_signal)) {
    while (!g_signal && next < pending.size() && static_cast<int>(running.size()) < run.jobs) {
      const Point& p = *pending[next++];
      const fs::path dir = point_dir(run.out, p);
      // The point's lock, held by its vp_run and everything that inherits the descriptor: a vp_run left
      // over from a killed sweep ends before its directory is started again from nothing.
      const fs::path lock = fs::path(run.out) / "points" / (p.id + ".lock");
      const int lock_fd = open(lock.c_str(), O_CREAT | O_RDWR, 0644);
      if (lock_fd < 0) throw std::runtime_error("cannot open " + lock.string());
      while (flock(lock_fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      fs::remove_all(dir);
      fs::create_directories(dir);
      write_atomically((dir / "scenario.yaml").string(), yaml_text(point_scenario(sweep, p)));
      const pid_t pid = start(
          {run.vp_run, (dir / "scenario.yaml").string(), "--out", dir.string(), "-q", "--engine", run.engine},
          dir / "vp_run.log");
      close(lock_fd);  // the child's copy keeps the lock
      running.push_back({&p, pid, Clock::now(), {}});
    }
    bool reaped = false;
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      const pid_t r = waitpid(it->pid, &status, WNOHANG);
      if (r == 0) {
        if (g_signal && !it->stopping) {
          kill(-it->pid, SIGTERM);
          it->stopping = Clock::now();
        } else if (it->stopping && Clock::now() - *it->stopping > kStopGrace) {
          kill(-it->pid, SIGKILL);
        }
        ++it;
        continue;
      }
      if (!it->stopping) {  // a point stopped by the sweep's interruption is not finished
        const Point& p = *it->point;
        const fs::path dir = point_dir(run.out, p);
        const json st =
            point_status(p.id, r < 0 ? 127 : exit_code_of(status), read_json_or_null(dir / "report.json"),
                         last_line(dir / "vp_run.log"),
                         std::chrono::duration<double>(Clock::now() - it->started).count(), run.engine);
        write_status(run.out, p, st);
        if (st.at("status") != "pass") ++failed;
        progress.point_done();
      }
      it = running.erase(it);
      reaped = true;
    }
    if (reaped) progress.update(running.size(), failed);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  progress.finish_line();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return g_signal ? ex::interrupted(g_signal) : 0;
}

}  // namespace dnnvp::sweep
