#pragma once
// Starting the tools' child processes (vp_run's build steps and vp_sim, vp_sweep's and vp_soak's vp_runs):
// each in a process group of its own, so that a signal passed on to the group reaches everything the child
// started (ninja, the compilers, vp_sim).

#include <sys/types.h>

#include <string>
#include <vector>

namespace dnnvp {

// Where a child's stdout and stderr go: a file each (both may name the same file), or the parent's when
// empty. The files are truncated, or appended to with `append`.
struct ChildOutput {
  std::string stdout_file;
  std::string stderr_file;
  bool append = false;
};

// Starts argv (argv[0] searched on PATH unless it holds a '/') in a new process group whose id is the
// returned pid, with SIGINT and SIGTERM at their defaults. The two signals stay blocked across the fork, so
// one arriving meanwhile is neither caught by the child's copy of the parent's handler nor lost: it stays
// pending for the child or the parent. With `die_with_parent` the child gets SIGTERM when the parent dies,
// even by SIGKILL. Throws std::runtime_error when fork fails; a child that cannot open its files or exec
// exits with status 127.
pid_t start_in_own_group(const std::vector<std::string>& argv, const ChildOutput& output = {},
                         bool die_with_parent = false);

// A waitpid status as a shell reports it: the exit status, or 128 + the signal that ended the process.
int exit_code_of(int wait_status);

// argv joined by spaces, for messages.
std::string command_text(const std::vector<std::string>& argv);

}  // namespace dnnvp
