// vp_sweep's Slurm backend against stand-in sbatch/squeue/scontrol/sacct/scancel scripts on PATH: what it
// submits, how it reads job states, how it reports failures. The real cluster: test_slurm_sweep.py.
#define CATCH_CONFIG_MAIN
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "error.h"
#include "slurm.h"

namespace fs = std::filesystem;
using dnnvp::sweep::SlurmError;
using dnnvp::sweep::SlurmOptions;
using dnnvp::sweep::SlurmSweep;

namespace {

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A directory of stand-in Slurm commands first on PATH for the test's lifetime.
class FakeSlurm {
 public:
  explicit FakeSlurm(const std::string& test) : dir_(fs::path(DNNVP_TEST_OUT) / test) {
    fs::remove_all(dir_);
    fs::create_directories(bin());
    old_path_ = getenv("PATH");
    setenv("PATH", (bin().string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeSlurm() { setenv("PATH", old_path_.c_str(), 1); }
  FakeSlurm(const FakeSlurm&) = delete;
  FakeSlurm& operator=(const FakeSlurm&) = delete;

  // `body` runs under bash with the command's arguments; every call is also appended to calls.log.
  void command(const std::string& name, const std::string& body) const {
    const fs::path p = bin() / name;
    std::ofstream(p) << "#!/bin/bash\necho \"" << name << " $*\" >> '" << calls().string() << "'\n"
                     << body << "\n";
    fs::permissions(p, fs::perms::owner_all);
  }
  // Waits, quickly polling, for build job 12 and array job 13 of `tasks` tasks; the progress lines go to
  // `progress`.
  dnnvp::sweep::SlurmOutcome wait(std::size_t tasks, std::ostream& progress) const {
    SlurmOptions o;
    o.poll_s = 0.01;
    return dnnvp::sweep::wait_slurm(sweep(tasks), {"12", "13", tasks}, o, progress);
  }
  fs::path bin() const { return dir_ / "bin"; }
  fs::path calls() const { return dir_ / "calls.log"; }
  SlurmSweep sweep(std::size_t points) const {
    return SlurmSweep{"/opt/dnn vp/vp_sweep", "/sweeps/s.yaml", (dir_ / "out").string(), "s", points,
                      {"--engine", "fast"}};
  }

 private:
  fs::path dir_;
  std::string old_path_;
};

dnnvp::Fields slurm_fields(const std::string& yaml) {
  return dnnvp::Fields(YAML::Load(yaml)["slurm"], "s.yaml", "slurm");
}

}  // namespace

TEST_CASE("the array script runs shard i of N with the sweep's options and the build script builds only") {
  FakeSlurm fake("scripts");
  SlurmOptions o;
  o.partition = "gpu";
  o.time = "0:30:00";
  o.sbatch_args = {"--mem=4G", "--cpus-per-task=2"};
  const auto s = dnnvp::sweep::write_slurm_scripts(fake.sweep(5), o);
  const std::string out = fake.sweep(5).out_dir;
  CHECK(s.tasks == 5);
  CHECK(read(s.array) ==
        "#!/bin/bash\n"
        "#SBATCH --job-name=vp_sweep-s\n"
        "#SBATCH --output=" +
            out +
            "/slurm/task-%A_%a.out\n"
            "#SBATCH --partition=gpu\n"
            "#SBATCH --time=0:30:00\n"
            "#SBATCH --mem=4G\n"
            "#SBATCH --cpus-per-task=2\n"
            "#SBATCH --array=1-5\n"
            "# Written by vp_sweep --backend slurm: task i of 5 runs shard i of the sweep, as many points at "
            "once as\n"
            "# it was given CPUs; vp_sweep --merge-only assembles the results.\n"
            "exec '/opt/dnn vp/vp_sweep' '/sweeps/s.yaml' --out '" +
            out +
            "' --shard \"${SLURM_ARRAY_TASK_ID}/5\" "
            "--no-plots --jobs \"${SLURM_CPUS_PER_TASK:-1}\" '--engine' 'fast'\n");
  CHECK(read(s.build) ==
        "#!/bin/bash\n"
        "#SBATCH --job-name=vp_sweep-build-s\n"
        "#SBATCH --output=" +
            out +
            "/slurm/build-%j.out\n"
            "#SBATCH --partition=gpu\n"
            "#SBATCH --time=0:30:00\n"
            "#SBATCH --mem=4G\n"
            "#SBATCH --cpus-per-task=2\n"
            "# Written by vp_sweep --backend slurm: builds every RTL simulator the points need, once,\n"
            "# into the shared build directory, before the array's tasks run them.\n"
            "exec '/opt/dnn vp/vp_sweep' '/sweeps/s.yaml' --out '" +
            out + "' --build-only '--engine' 'fast'\n");
}

TEST_CASE("the sweep file's slurm tasks caps the array, never above one task per point") {
  FakeSlurm fake("tasks");
  SlurmOptions o;
  o.tasks = 2;
  CHECK(dnnvp::sweep::write_slurm_scripts(fake.sweep(5), o).tasks == 2);
  o.tasks = 9;
  CHECK(dnnvp::sweep::write_slurm_scripts(fake.sweep(5), o).tasks == 5);
  CHECK_THROWS_WITH(dnnvp::sweep::write_slurm_scripts(fake.sweep(0), o), "the sweep has no points to submit");
}

TEST_CASE("the array job is submitted afterok on the build job's id") {
  FakeSlurm fake("submit");
  fake.command("sbatch", "case \"$*\" in *array.sh) echo '13;cluster' ;; *) echo 12 ;; esac");
  const auto jobs = dnnvp::sweep::submit_slurm(fake.sweep(4), SlurmOptions{});
  CHECK(jobs.build == "12");
  CHECK(jobs.array == "13");
  CHECK(jobs.tasks == 4);
  const std::string dir = fake.sweep(4).out_dir + "/slurm/";
  CHECK(read(fake.calls()) == "sbatch --parsable " + dir + "build.sh\n" +
                                  "sbatch --parsable --dependency=afterok:12 " + dir + "array.sh\n");
}

TEST_CASE("an sbatch failure names the command and what sbatch printed on stderr") {
  FakeSlurm fake("sbatch_error");
  fake.command("sbatch", "echo 'sbatch: error: invalid partition specified: nope' >&2; exit 1");
  const std::string dir = fake.sweep(4).out_dir + "/slurm/";
  CHECK_THROWS_MATCHES(dnnvp::sweep::submit_slurm(fake.sweep(4), SlurmOptions{}), SlurmError,
                       Catch::Message("sbatch --parsable " + dir +
                                      "build.sh failed (exit status 1): sbatch: error: invalid partition "
                                      "specified: nope"));
}

TEST_CASE("a failed build job cancels the waiting array and names the build log") {
  FakeSlurm fake("build_failed");
  fake.command("squeue",
               "echo '13_1|PENDING|DependencyNeverSatisfied'; echo '13_2|PENDING|DependencyNeverSatisfied'");
  fake.command(
      "scontrol",
      "[ \"$4\" = 12 ] && echo 'JobId=12 JobName=b JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0'");
  fake.command("scancel", "");
  std::ostringstream progress;
  const auto outcome = fake.wait(2, progress);
  CHECK(outcome.build_failed);
  REQUIRE(outcome.failed.size() == 1);
  CHECK(outcome.failed[0].job == "12");
  CHECK(outcome.failed[0].state == "FAILED");
  CHECK(outcome.failed[0].exit_code == "3:0");
  CHECK(outcome.failed[0].log == fake.sweep(2).out_dir + "/slurm/build-12.out");
  CHECK(read(fake.calls()).find("scancel 13\n") != std::string::npos);
}

TEST_CASE("waiting prints the counts as they change and lists the tasks that did not complete") {
  FakeSlurm fake("tasks_failed");
  // Three squeue answers: task 3 pending, then running, then nothing left.
  fake.command("squeue", "n=$(grep -c '^squeue' '" + fake.calls().string() +
                             "')\n"
                             "[ $n -eq 1 ] && printf '13_2|RUNNING|None\\n13_3|PENDING|Resources\\n'\n"
                             "[ $n -eq 2 ] && printf '13_3|RUNNING|None\\n'\n"
                             "exit 0");
  fake.command(
      "scontrol",
      "case $4 in\n"
      "12) echo 'JobId=12 JobState=COMPLETED Reason=None ExitCode=0:0' ;;\n"
      "13) echo 'JobId=14 ArrayJobId=13 ArrayTaskId=1 JobState=COMPLETED Reason=None ExitCode=0:0'\n"
      "    echo 'JobId=15 ArrayJobId=13 ArrayTaskId=2 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15'\n"
      "    echo 'JobId=13 ArrayJobId=13 ArrayTaskId=3 JobState=COMPLETED Reason=None ExitCode=0:0' ;;\n"
      "esac");
  std::ostringstream progress;
  const auto outcome = fake.wait(3, progress);
  CHECK(progress.str() ==
        "slurm: build job 12 done; array job 13: 1 of 3 tasks ended, 1 running, 1 pending\n"
        "slurm: build job 12 done; array job 13: 2 of 3 tasks ended, 1 running, 0 pending\n");
  CHECK_FALSE(outcome.build_failed);
  REQUIRE(outcome.failed.size() == 1);
  CHECK(outcome.failed[0].job == "13_2");
  CHECK(outcome.failed[0].state == "TIMEOUT");
  CHECK(outcome.failed[0].log == fake.sweep(3).out_dir + "/slurm/task-13_2.out");
}

TEST_CASE("a stop request ends the wait and leaves the jobs to Slurm") {
  FakeSlurm fake("stop");
  fake.command("squeue", "echo '13_1|PENDING|Resources'");
  fake.command("scancel", "");
  SlurmOptions o;
  o.poll_s = 0.01;
  int asked = 0;
  std::ostringstream progress;
  const auto outcome =
      dnnvp::sweep::wait_slurm(fake.sweep(1), {"12", "13", 1}, o, progress, [&] { return ++asked > 3; });
  CHECK(outcome.interrupted);
  CHECK_FALSE(outcome.ok());
  CHECK(outcome.failed.empty());
  CHECK(read(fake.calls()).find("scancel") == std::string::npos);
}

TEST_CASE("sacct tells how the tasks ended once scontrol has forgotten the jobs") {
  FakeSlurm fake("sacct");
  fake.command("squeue", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1");
  fake.command("scontrol", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1");
  fake.command("sacct",
               "case $5 in\n"
               "12) echo '12|COMPLETED|0:0' ;;\n"
               "13) echo '13_1|COMPLETED|0:0'; echo '13_[2-3]|CANCELLED by 0|0:0' ;;\n"
               "esac");
  std::ostringstream progress;
  const auto outcome = fake.wait(3, progress);
  REQUIRE(outcome.failed.size() == 2);
  CHECK(outcome.failed[0].job == "13_2");
  CHECK(outcome.failed[0].state == "CANCELLED");
  CHECK(outcome.failed[1].job == "13_3");
}

TEST_CASE("squeue failing again and again ends the wait with its command and stderr") {
  FakeSlurm fake("squeue_down");
  fake.command("squeue", "echo 'squeue: error: Unable to contact slurm controller' >&2; exit 1");
  std::ostringstream progress;
  CHECK_THROWS_MATCHES(
      fake.wait(3, progress), SlurmError,
      Catch::Message("squeue -h -r -j 12,13 -o %i|%T|%r failed (exit status 1): squeue: error: "
                     "Unable to contact slurm controller"));
}

TEST_CASE("the slurm section of a sweep file gives partition, time, sbatch_args and tasks") {
  const SlurmOptions o = dnnvp::sweep::read_slurm_options(slurm_fields(
      "slurm:\n  partition: short\n  time: 1-00:00\n  sbatch_args: [--mem=2G, --qos=low]\n  tasks: 8\n"));
  CHECK(o.partition == "short");
  CHECK(o.time == "1-00:00");
  CHECK(o.sbatch_args == std::vector<std::string>{"--mem=2G", "--qos=low"});
  CHECK(o.tasks == 8);
}

TEST_CASE("bad slurm sections are errors naming file, line and field") {
  using Catch::Message;
  CHECK_THROWS_MATCHES(
      dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  time: 2h\n")), dnnvp::Error,
      Message("s.yaml:2: slurm.time: must be a Slurm time limit (minutes, hours:minutes:seconds "
              "or days-hours[:minutes[:seconds]]), got '2h'"));
  CHECK_THROWS_MATCHES(dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  sbatch_args: [--mem 2G]\n")),
                       dnnvp::Error,
                       Message("s.yaml:2: slurm.sbatch_args: must be one sbatch option without spaces, e.g. "
                               "--mem=4G or --account=NAME, got '--mem 2G'"));
  CHECK_THROWS_MATCHES(
      dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  sbatch_args: --mem=2G\n")), dnnvp::Error,
      Message("s.yaml:2: slurm.sbatch_args: must be a list of sbatch options, got '--mem=2G'"));
  CHECK_THROWS_MATCHES(dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  partition: a b\n")),
                       dnnvp::Error,
                       Message("s.yaml:2: slurm.partition: must be one partition name (no spaces or commas), "
                               "got 'a b'"));
  CHECK_THROWS_MATCHES(dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  tasks: 0\n")), dnnvp::Error,
                       Message("s.yaml:2: slurm.tasks: must be 1..1000000, got 0"));
  CHECK_THROWS_WITH(dnnvp::sweep::read_slurm_options(slurm_fields("slurm:\n  queue: x\n")),
                    Catch::Contains("slurm.queue"));
}

// The cases below need a real cluster, so they are hidden ([.]): ctest runs them by their tag under
// tests/slurm/one_node_slurm.sh (SLURM_CONF set).
namespace {

// A stand-in vp_sweep for the cluster: records each call (job id, arguments, when) in DIR/calls/, and fails
// its --build-only call when asked to.
SlurmSweep cluster_sweep(const std::string& test, std::size_t points, bool build_fails) {
  const fs::path dir = fs::path(DNNVP_TEST_OUT) / test;
  fs::remove_all(dir);
  fs::create_directories(dir / "calls");
  const fs::path exe = dir / "vp_sweep";
  std::ofstream(exe) << "#!/bin/bash\n"
                     << "echo \"$(date +%s.%N) $*\" > '" << (dir / "calls").string()
                     << "'/\"${SLURM_ARRAY_TASK_ID:-build}\"\n"
                     << (build_fails
                             ? "case \"$*\" in *--build-only*) echo 'no simulator' >&2; exit 3 ;; esac\n"
                             : "");
  fs::permissions(exe, fs::perms::owner_all);
  return SlurmSweep{exe.string(), "/sweeps/s.yaml", (dir / "out").string(), test, points, {}};
}

// Submits the stand-in sweep to the cluster and waits for it, as vp_sweep does.
dnnvp::sweep::SlurmOutcome submit_and_wait(const SlurmSweep& sweep) {
  REQUIRE(getenv("SLURM_CONF") != nullptr);
  SlurmOptions o;
  o.poll_s = 0.2;
  const auto jobs = dnnvp::sweep::submit_slurm(sweep, o);
  std::ostringstream progress;
  const auto outcome = dnnvp::sweep::wait_slurm(sweep, jobs, o, progress);
  UNSCOPED_INFO(progress.str());
  return outcome;
}

fs::path calls(const SlurmSweep& sweep) {
  return fs::path(sweep.out_dir).parent_path() / "calls";
}

double started(const std::string& call) {
  return std::stod(call.substr(0, call.find(' ')));
}

}  // namespace

TEST_CASE("on a one-node cluster each array task runs its shard once, after the build job", "[.][cluster]") {
  const SlurmSweep sweep = cluster_sweep("cluster_ok", 3, false);
  CHECK(submit_and_wait(sweep).ok());
  const std::string build = read(calls(sweep) / "build");
  CHECK(build.substr(build.find(' ') + 1) == "/sweeps/s.yaml --out " + sweep.out_dir + " --build-only\n");
  for (int i = 1; i <= 3; ++i) {
    const std::string task = read(calls(sweep) / std::to_string(i));
    CHECK(task.substr(task.find(' ') + 1) == "/sweeps/s.yaml --out " + sweep.out_dir + " --shard " +
                                                 std::to_string(i) + "/3 --no-plots --jobs 1\n");
    CHECK(started(task) > started(build));
  }
}

TEST_CASE("on a one-node cluster a failed build job runs no task and names the build log", "[.][cluster]") {
  const SlurmSweep sweep = cluster_sweep("cluster_build_fails", 2, true);
  const auto outcome = submit_and_wait(sweep);
  CHECK(outcome.build_failed);
  REQUIRE(outcome.failed.size() == 1);
  CHECK(outcome.failed[0].state == "FAILED");
  CHECK(outcome.failed[0].exit_code == "3:0");
  CHECK(read(outcome.failed[0].log) == "no simulator\n");
  CHECK_FALSE(fs::exists(calls(sweep) / "1"));
  CHECK_FALSE(fs::exists(calls(sweep) / "2"));
}
