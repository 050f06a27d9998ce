// vp_sweep: a sweep file's points through vp_run, several at once, into one table (docs/sweeps.md).
//   vp_sweep SWEEP.yaml [--out DIR] [--jobs N] [--shard i/N] [--engine fast|rtl] [--merge-only]
//            [--build-only] [--dry-run] [--no-plots] [-q]
//            [--backend slurm [--partition P] [--time T] [--sbatch-arg ARG]... [--no-wait]]
// Exit status: 0 every point of the run passed, 1 some point did not (its row says why), 2 bad input (the
// sweep file or the command line; nothing written), 5 --build-only: a simulator did not build, or (--backend
// slurm) sbatch/squeue failed or a Slurm job did not complete (its log is named),
// 128 + signal: interrupted (finished points stay finished; run again to resume).
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/program_options.hpp>

#include "command_line.h"
#include "error.h"
#include "run_options.h"
#include "slurm.h"
#include "sweep_file.h"
#include "sweep_results.h"
#include "sweep_run.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
namespace ex = dnnvp::exit_status;
namespace sw = dnnvp::sweep;

namespace {

struct Options {
  std::string sweep, out, shard, engine, backend = "local";
  int jobs = 0;
  bool merge_only = false, build_only = false, dry_run = false, no_plots = false, quiet = false;
  std::string partition, time;  // --backend slurm: over the sweep file's slurm: section
  std::vector<std::string> sbatch_args;
  bool no_wait = false;
};

// "i/N", 1 <= i <= N.
std::pair<int, int> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  try {
    std::size_t a = 0, b = 0;
    if (slash != std::string::npos) {
      const int i = std::stoi(text.substr(0, slash), &a), n = std::stoi(text.substr(slash + 1), &b);
      if (a == slash && b == text.size() - slash - 1 && n >= 1 && i >= 1 && i <= n) return {i, n};
    }
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--shard: must be i/N with 1 <= i <= N, got '" + text + "'");
}

// The plots (tools/sweep/plot_sweep.py, Debian's Python: DNNVP_PYTHON): a failure is a warning, the tables
// stand.
void plot(const std::string& out, bool quiet) {
  const fs::path script = fs::path(DNNVP_SOURCE_DIR) / "tools" / "sweep" / "plot_sweep.py";
  if (!fs::exists(script)) return;
  const std::string log = (fs::path(out) / "plots.log").string();
  const std::string cmd =
      std::string(DNNVP_PYTHON) + " '" + script.string() + "' '" + out + "' > '" + log + "' 2>&1";
  const int status = std::system(cmd.c_str());
  if (status != 0)
    std::cerr << "vp_sweep: warning: the plots failed (log: " << log << "); the tables are complete\n";
  else if (!quiet)
    std::cout << "vp_sweep: plots in " << (fs::path(out) / "plots").string() << ", index "
              << (fs::path(out) / "index.html").string() << "\n";
}

volatile std::sig_atomic_t g_slurm_signal = 0;
extern "C" void on_slurm_signal(int sig) {
  g_slurm_signal = sig;
}

// --backend slurm (tools/sweep/slurm.h): a build job, then a job array of shards; waits and merges here.
int run_on_slurm(const Options& o, const sw::Sweep& sweep, const std::string& out,
                 const std::string& engine) {
  sw::SlurmOptions so = sweep.slurm;
  if (!o.partition.empty()) so.partition = o.partition;
  if (!o.time.empty()) so.time = o.time;
  so.sbatch_args.insert(so.sbatch_args.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  so.wait = !o.no_wait;
  sw::prepare_out(sweep, out, engine);  // sweep.json before any task, which only check it
  const sw::SlurmSweep job{fs::canonical("/proc/self/exe").string(),
                           fs::absolute(o.sweep).string(),
                           fs::absolute(out).string(),
                           sweep.name,
                           sweep.points.size(),
                           {"--engine", engine}};
  const sw::SlurmJobs jobs = sw::submit_slurm(job, so);
  if (!o.no_wait) {
    // From now on Ctrl-C ends the wait, not the jobs (they are Slurm's): say how to cancel or gather them.
    std::signal(SIGINT, on_slurm_signal);
    std::signal(SIGTERM, on_slurm_signal);
  }
  if (!o.quiet || o.no_wait)
    std::cout << "vp_sweep: " << sweep.name << ": build job " << jobs.build << ", array job " << jobs.array
              << " (" << jobs.tasks << " tasks); scripts and logs in " << (fs::path(out) / "slurm").string()
              << std::endl;
  if (o.no_wait) {
    std::cout << "vp_sweep: when they have ended: vp_sweep " << o.sweep << " --out " << out
              << " --merge-only\n";
    return 0;
  }
  std::ofstream none;  // -q: no progress lines
  const sw::SlurmOutcome outcome =
      sw::wait_slurm(job, jobs, so, o.quiet ? none : std::cout, [] { return g_slurm_signal != 0; });
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (outcome.interrupted) {
    std::cerr << "vp_sweep: stopped waiting; the jobs go on: `scancel " << jobs.build << " " << jobs.array
              << "` cancels them, `vp_sweep " << o.sweep << " --out " << out
              << " --merge-only` gathers what they have finished\n";
    return 128 + g_slurm_signal;
  }
  for (const sw::SlurmEnd& f : outcome.failed)
    std::cerr << "vp_sweep: slurm job " << f.job << " ended " << f.state
              << (f.exit_code.empty() ? "" : " (exit code " + f.exit_code + ")") << "; log: " << f.log
              << "\n";
  if (outcome.build_failed) return ex::kToolFailed;
  const sw::MergeCount c = sw::merge_results(out);
  if (!o.quiet)
    std::cout << "vp_sweep: " << c.finished << " of " << c.total << " points finished, " << c.failed
              << " failed; " << (fs::path(out) / "results.csv").string() << "\n";
  if (!o.no_plots) plot(out, o.quiet);
  if (!outcome.ok()) return ex::kToolFailed;
  return c.failed == 0 && c.finished == c.total ? 0 : ex::kFail;
}

int run(const Options& o) {
  const sw::Sweep sweep = sw::load_sweep(o.sweep);
  const std::string engine = o.engine.empty() ? sweep.engine : o.engine;
  const std::string out = o.out.empty() ? "out/sweeps/" + sweep.name : o.out;
  const auto [shard, shards] = o.shard.empty() ? std::pair{1, 1} : parse_shard(o.shard);
  const int jobs = o.jobs > 0       ? o.jobs
                   : sweep.jobs > 0 ? sweep.jobs
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.dry_run) {
    std::cout << "vp_sweep: " << sweep.name << ": " << sweep.points.size() << " points, engine " << engine
              << (shards > 1 ? ", shard " + std::to_string(shard) + "/" + std::to_string(shards) : "")
              << "\n";
    for (const sw::Point* p : sw::shard_points(sweep, shard, shards)) {
      std::cout << p->id;
      for (const sw::FieldValue& f : p->fields) std::cout << " " << f.path << "=" << sw::value_text(f.value);
      std::cout << "  [" << p->shape_key << "]\n";
    }
    return 0;
  }
  if (o.merge_only) {
    const sw::MergeCount c = sw::merge_results(out);
    if (!o.quiet)
      std::cout << "vp_sweep: " << c.finished << " of " << c.total << " points finished (" << c.failed
                << " failed); tables in " << out << "\n";
    if (!o.no_plots) plot(out, o.quiet);
    return 0;
  }
  if (o.backend == "slurm") return run_on_slurm(o, sweep, out, engine);
  sw::prepare_out(sweep, out, engine);
  sw::LocalRun local{out, DNNVP_VP_RUN, engine, jobs, shard, shards, !o.quiet};
  if (o.build_only) {
    if (engine != "rtl") {
      if (!o.quiet) std::cout << "vp_sweep: engine " << engine << ": no simulator to build\n";
      return 0;
    }
    const auto failed = sw::build_simulators(sweep, local);
    for (const auto& [key, message] : failed)
      std::cerr << "vp_sweep: the simulator for " << key << " did not build: " << message << "\n";
    return failed.empty() ? 0 : ex::kToolFailed;
  }
  if (!o.quiet)
    std::cout << "vp_sweep: " << sweep.name << ": " << sw::shard_points(sweep, shard, shards).size()
              << " points"
              << (shards > 1 ? " (shard " + std::to_string(shard) + "/" + std::to_string(shards) + ")" : "")
              << ", engine " << engine << ", " << jobs << " jobs, in " << out << std::endl;
  const int status = sw::run_points(sweep, local);
  const sw::MergeCount c = sw::merge_results(out);
  if (!o.quiet)
    std::cout << "vp_sweep: " << c.finished << " of " << c.total << " points finished, " << c.failed
              << " failed; " << (fs::path(out) / "results.csv").string() << "\n";
  if (status != 0) return status;
  if (!o.no_plots && shards == 1) plot(out, o.quiet);
  return c.failed == 0 ? 0 : ex::kFail;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description visible(
      "Usage: vp_sweep SWEEP.yaml [--out DIR] [options]\n\n"
      "Runs every point of a sweep file (axes over scenario fields) through vp_run, several at once, and\n"
      "writes DIR/results.csv, layers.csv and results.json. Finished points are kept: run again to\n"
      "resume. Exit status 0 every point passed, 1 some did not, 2 bad input, 130/143 interrupted.\n"
      "See docs/sweeps.md.\n\nOptions");
  visible.add_options()("out,o", po::value<std::string>(&o.out),
                        "output directory (default: out/sweeps/<name>)")(
      "jobs,j", po::value<int>(&o.jobs),
      "vp_runs at once (default: the sweep file's jobs, else one per core)")(
      "shard", po::value<std::string>(&o.shard), "run slice i of N (1-based: points with index % N == i-1)")(
      "engine", po::value<std::string>(&o.engine),
      "fast or rtl (default: the sweep file's engine, else fast)")(
      "backend", po::value<std::string>(&o.backend),
      "where the points run: local, or slurm (a job array; waits and merges)")(
      "partition", po::value<std::string>(&o.partition), "slurm: the partition (over the sweep file's)")(
      "time", po::value<std::string>(&o.time), "slurm: each job's time limit (over the sweep file's)")(
      "sbatch-arg", po::value<std::vector<std::string>>(&o.sbatch_args),
      "slurm: one more sbatch option, e.g. --sbatch-arg=--mem=4G (repeatable)")(
      "no-wait", po::bool_switch(&o.no_wait), "slurm: print the job ids and return once submitted")(
      "merge-only", po::bool_switch(&o.merge_only), "only assemble the tables from the finished points")(
      "build-only", po::bool_switch(&o.build_only),
      "only build the simulator of every shape the rtl points need")("dry-run", po::bool_switch(&o.dry_run),
                                                                     "list the points and write nothing")(
      "no-plots", po::bool_switch(&o.no_plots), "do not draw the plots")("quiet,q", po::bool_switch(&o.quiet),
                                                                         "no progress, errors only");
  po::variables_map vm;
  try {
    if (!dnnvp::read_command_line("vp_sweep", argc, argv, visible, vm, "sweep", &o.sweep)) return 0;
    if (o.sweep.empty()) throw std::invalid_argument("need a SWEEP file (see --help)");
    if (!o.engine.empty() && o.engine != "fast" && o.engine != "rtl")
      throw std::invalid_argument("--engine: must be fast or rtl, got '" + o.engine + "'");
    if (vm.count("jobs") && o.jobs < 1) throw std::invalid_argument("--jobs: must be at least 1");
    if (int{o.merge_only} + int{o.build_only} + int{o.dry_run} > 1)
      throw std::invalid_argument("give at most one of --merge-only, --build-only, --dry-run");
    if (!o.shard.empty()) parse_shard(o.shard);
    if (o.backend != "local" && o.backend != "slurm")
      throw std::invalid_argument("--backend: must be local or slurm, got '" + o.backend + "'");
    const bool slurm_options = !o.partition.empty() || !o.time.empty() || !o.sbatch_args.empty() || o.no_wait;
    if (o.backend != "slurm" && slurm_options)
      throw std::invalid_argument("--partition, --time, --sbatch-arg and --no-wait need --backend slurm");
    if (o.backend == "slurm" && !o.shard.empty())
      throw std::invalid_argument("--backend slurm makes the shards itself: drop --shard");
    if (o.backend == "slurm" && o.build_only)
      throw std::invalid_argument(
          "--build-only builds here (the Slurm build job runs it): drop --backend slurm");
    for (const auto& [key, option, values] :
         {std::tuple{"partition", "--partition", std::vector<std::string>{o.partition}},
          std::tuple{"time", "--time", std::vector<std::string>{o.time}},
          std::tuple{"sbatch_args", "--sbatch-arg", o.sbatch_args}})
      for (const std::string& v : values)
        if (const std::string problem = sw::slurm_value_problem(key, v); !v.empty() && !problem.empty())
          throw std::invalid_argument(std::string(option) + ": " + problem + ", got '" + v + "'");
  } catch (const std::exception& e) {
    std::cerr << "vp_sweep: " << e.what() << "\n";
    return ex::kBadInput;
  }
  try {
    return run(o);
  } catch (const dnnvp::Error& e) {
    std::cerr << "vp_sweep: error: " << e.what() << "\n";
    return ex::kBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << "vp_sweep: " << e.what() << "\n";
    return ex::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "vp_sweep: error: " << e.what() << "\n";
    return ex::kToolFailed;
  }
}
