// vp_sweep's Slurm backend: writes DIR/slurm/build.sh and DIR/slurm/array.sh, submits a build job (the RTL
// simulators every point needs, built once into the shared build directory) and a job array that starts
// after it succeeded (task i of N runs `vp_sweep --shard i/N`), then waits for both and says which tasks
// did not complete. The caller merges the points' results as for the local backend.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "yaml_fields.h"

namespace dnnvp::sweep {

// sbatch, squeue or scontrol failed; the message has the command and what it printed on stderr.
class SlurmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where and how the jobs run: the sweep file's `slurm:` section, then vp_sweep's options over it.
struct SlurmOptions {
  std::string partition;                 // sbatch --partition; empty: the cluster's default
  std::string time;                      // sbatch --time for each job; empty: the partition's default
  std::vector<std::string> sbatch_args;  // more sbatch options, one token each (--mem=4G, --account=x)
  std::size_t tasks = 0;                 // array tasks; 0: one per point
  bool wait = true;                      // false: print the job ids and return once submitted
  double poll_s = 2.0;                   // seconds between two squeue calls while waiting
};

// Reads a sweep file's `slurm:` mapping (keys partition, time, sbatch_args, tasks); errors name
// file:line:field, unknown keys are errors.
SlurmOptions read_slurm_options(const Fields& slurm);

// Why `value` cannot be the `slurm:` field `key` (partition, time or sbatch_args), or "" when it can: the
// same checks for the sweep file and for vp_sweep's --partition, --time and --sbatch-arg.
std::string slurm_value_problem(const std::string& key, const std::string& value);

// What the jobs run.
struct SlurmSweep {
  std::string vp_sweep;    // absolute path of the vp_sweep executable (the nodes share the file system)
  std::string sweep_file;  // absolute
  std::string out_dir;     // absolute; scripts and job logs go to out_dir/slurm/
  std::string name;        // in the job names: vp_sweep-build-<name>, vp_sweep-<name>
  std::size_t points = 0;
  std::vector<std::string> forwarded;  // vp_sweep options every job passes on (e.g. --engine rtl)
};

struct SlurmScripts {
  std::string build, array;  // paths
  std::size_t tasks = 0;     // the array's size
};

// Writes the two batch scripts (all options as #SBATCH lines but the dependency, so they can be
// submitted again by hand).
SlurmScripts write_slurm_scripts(const SlurmSweep& sweep, const SlurmOptions& options);

struct SlurmJobs {
  std::string build, array;  // job ids
  std::size_t tasks = 0;
};

// Writes the scripts and submits them: the array `afterok:` the build job.
SlurmJobs submit_slurm(const SlurmSweep& sweep, const SlurmOptions& options);

// How a job or array task that did not complete ended.
struct SlurmEnd {
  std::string job;    // "12" or "13_4"
  std::string state;  // FAILED, TIMEOUT, CANCELLED, ... or "unknown"
  std::string exit_code;
  std::string log;  // its output file
};

struct SlurmOutcome {
  bool build_failed = false;     // the array was cancelled: nothing ran
  bool interrupted = false;      // `stop` ended the wait; the jobs go on
  std::vector<SlurmEnd> failed;  // the build job when it failed, else the tasks that did not complete
  bool ok() const { return failed.empty() && !interrupted; }
};

// Polls squeue until both jobs have left the queue, printing a line on `progress` whenever the counts
// change; cancels the array when the build job failed. Then asks scontrol (sacct where scontrol has
// forgotten the jobs) how every task ended. `stop`, asked every tenth of a second, ends the wait early
// when it returns true (a signal arrived), leaving the jobs to Slurm.
SlurmOutcome wait_slurm(const SlurmSweep& sweep, const SlurmJobs& jobs, const SlurmOptions& options,
                        std::ostream& progress, const std::function<bool()>& stop = {});

}  // namespace dnnvp::sweep
