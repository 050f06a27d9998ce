#include "child_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace dnnvp {

namespace {

// In the child: opens `file` onto `fd`, or leaves fd alone when `file` is empty.
bool redirect(int fd, const std::string& file, bool append) {
  if (file.empty()) return true;
  const int f = open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  return f >= 0 && dup2(f, fd) >= 0;
}

}  // namespace

pid_t start_in_own_group(const std::vector<std::string>& argv, const ChildOutput& output,
                         bool die_with_parent) {
  std::cout.flush();
  std::cerr.flush();
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw std::runtime_error("fork failed for " + command_text(argv) + ": " + std::strerror(error));
  }
  if (pid > 0) {
    setpgid(pid, pid);  // in both processes: whichever runs first, a signal to the group finds it
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return pid;
  }
  setpgid(0, 0);
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);  // the parent died before prctl
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  const bool shared = !output.stdout_file.empty() && output.stdout_file == output.stderr_file;
  if (!redirect(1, output.stdout_file, output.append)) _exit(127);
  if (shared ? dup2(1, 2) < 0 : !redirect(2, output.stderr_file, output.append)) _exit(127);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::perror(args[0]);
  _exit(127);
}

int exit_code_of(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace dnnvp
