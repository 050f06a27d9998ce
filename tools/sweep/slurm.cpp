#include "slurm.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "error.h"

namespace fs = std::filesystem;

namespace dnnvp::sweep {

namespace {

// squeue may fail while slurmctld is busy or restarting; this many failures in a row end the wait.
constexpr int kSqueueRetries = 5;
// How often wait_slurm asks its `stop` while it sleeps between two polls.
constexpr double kStopCheck_s = 0.1;

struct Captured {
  int status = 0;
  std::string out, err;
};

// Runs a command (found on PATH) and returns its exit status and what it printed on stdout and stderr.
Captured run_captured(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw SlurmError("pipe failed for: " + command_text(argv));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw SlurmError("pipe failed for: " + command_text(argv));
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    const std::string why = argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(2, why.data(), why.size());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Captured c;
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw SlurmError("fork failed for: " + command_text(argv));
  }
  // Both pipes at once: a command filling one while we block on the other would never end.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&c.out, &c.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& p : fds)
    if (p.fd >= 0) close(p.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw SlurmError("waiting for " + command_text(argv) + " failed");
  c.status = exit_code_of(status);
  return c;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

[[noreturn]] void command_failed(const std::vector<std::string>& argv, const Captured& c) {
  throw SlurmError(command_text(argv) + " failed (exit status " + std::to_string(c.status) +
                   "): " + (trimmed(c.err).empty() ? trimmed(c.out) : trimmed(c.err)));
}

// 'text' for bash, whatever it holds.
std::string sh_quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool has_space(const std::string& s) {
  return s.find_first_of(" \t\r\n\v\f") != std::string::npos;
}

std::string slurm_dir(const SlurmSweep& sweep) {
  return (fs::path(sweep.out_dir) / "slurm").string();
}

std::string build_log(const SlurmSweep& sweep, const std::string& job) {
  return (fs::path(slurm_dir(sweep)) / ("build-" + job + ".out")).string();
}

std::string task_log(const SlurmSweep& sweep, const std::string& array, const std::string& task) {
  return (fs::path(slurm_dir(sweep)) / ("task-" + array + "_" + task + ".out")).string();
}

void write_script(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f.flush()) throw SlurmError("cannot write " + tmp);
  }
  fs::rename(tmp, path);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

std::string sbatch_header(const SlurmOptions& o, const std::string& job_name, const std::string& output) {
  std::string h = "#!/bin/bash\n";
  h += "#SBATCH --job-name=" + job_name + "\n";
  h += "#SBATCH --output=" + output + "\n";
  if (!o.partition.empty()) h += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.time.empty()) h += "#SBATCH --time=" + o.time + "\n";
  for (const std::string& a : o.sbatch_args) h += "#SBATCH " + a + "\n";
  return h;
}

std::string vp_sweep_command(const SlurmSweep& sweep) {
  return "exec " + sh_quoted(sweep.vp_sweep) + " " + sh_quoted(sweep.sweep_file) + " --out " +
         sh_quoted(sweep.out_dir);
}

std::string forwarded(const SlurmSweep& sweep) {
  std::string s;
  for (const std::string& a : sweep.forwarded) s += " " + sh_quoted(a);
  return s;
}

// The job id sbatch --parsable printed ("id" or "id;cluster").
std::string parsed_job_id(const std::vector<std::string>& argv, const Captured& c) {
  const std::string id = trimmed(c.out.substr(0, c.out.find(';')));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw SlurmError(command_text(argv) + " printed no job id: " + trimmed(c.out));
  return id;
}

std::string submit(const std::vector<std::string>& argv) {
  const Captured c = run_captured(argv);
  if (c.status != 0) command_failed(argv, c);
  return parsed_job_id(argv, c);
}

// Array task numbers of a Slurm index list: "4", "1-4", "1,3-5", "1-7:2", "[3-4]".
std::vector<std::string> task_numbers(std::string list) {
  list.erase(std::remove_if(list.begin(), list.end(), [](char c) { return c == '[' || c == ']'; }),
             list.end());
  std::vector<std::string> tasks;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::smatch m;
    if (!std::regex_match(item, m, std::regex(R"((\d+)(?:-(\d+)(?::(\d+))?)?)"))) continue;
    const unsigned long first = std::stoul(m[1]);
    const unsigned long last = m[2].matched ? std::stoul(m[2]) : first;
    const unsigned long step = m[3].matched ? std::max(1ul, std::stoul(m[3])) : 1ul;
    for (unsigned long t = first; t <= last; t += step) tasks.push_back(std::to_string(t));
  }
  return tasks;
}

struct JobEnd {
  std::string state, exit_code;
};

std::string field_value(const std::string& line, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("(?:^| )" + key + "=(\\S*)"))) return "";
  return m[1];
}

// How a job (or each task of an array job, keyed by task number) ended: scontrol while slurmctld keeps the
// job (MinJobAge), else sacct. Empty when neither knows.
std::map<std::string, JobEnd> job_ends(const std::string& job) {
  std::map<std::string, JobEnd> ends;
  const Captured s = run_captured({"scontrol", "-o", "show", "job", job});
  if (s.status == 0) {
    std::stringstream lines(s.out);
    std::string line;
    while (std::getline(lines, line)) {
      const JobEnd end{field_value(line, "JobState"), field_value(line, "ExitCode")};
      const std::string tasks = field_value(line, "ArrayTaskId");
      if (tasks.empty()) ends[""] = end;
      for (const std::string& t : task_numbers(tasks)) ends[t] = end;
    }
    if (!ends.empty()) return ends;
  }
  const Captured a = run_captured({"sacct", "-n", "-X", "-P", "-j", job, "-o", "JobID,State,ExitCode"});
  if (a.status != 0) return ends;
  std::stringstream lines(a.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::stringstream cols(line);
    std::string id, state, exit_code;
    if (!std::getline(cols, id, '|') || !std::getline(cols, state, '|')) continue;
    std::getline(cols, exit_code, '|');
    const JobEnd end{state.substr(0, state.find(' ')), exit_code};  // "CANCELLED by 0"
    const auto underscore = id.find('_');
    if (underscore == std::string::npos)
      ends[""] = end;
    else
      for (const std::string& t : task_numbers(id.substr(underscore + 1))) ends[t] = end;
  }
  return ends;
}

struct QueueLine {
  std::string id, state, reason;
};

}  // namespace

std::string slurm_value_problem(const std::string& key, const std::string& value) {
  if (key == "partition") {
    if (value.empty() || has_space(value) || value.find(',') != std::string::npos)
      return "must be one partition name (no spaces or commas)";
  } else if (key == "time") {
    // sbatch's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, and UNLIMITED/INFINITE.
    static const std::regex time_re(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|UNLIMITED|INFINITE)");
    if (!std::regex_match(value, time_re))
      return "must be a Slurm time limit (minutes, hours:minutes:seconds or days-hours[:minutes[:seconds]])";
  } else if (key == "sbatch_args") {
    if (value.size() < 2 || value[0] != '-' || has_space(value))
      return "must be one sbatch option without spaces, e.g. --mem=4G or --account=NAME";
  }
  return "";
}

SlurmOptions read_slurm_options(const Fields& slurm) {
  SlurmOptions o;
  const auto checked = [&](const std::string& key, const std::string& value) {
    const std::string problem = slurm_value_problem(key, value);
    if (!problem.empty()) slurm.fail(key, problem + ", got " + quoted(value));
    return value;
  };
  if (slurm.has("partition")) o.partition = checked("partition", slurm.required_string("partition"));
  if (slurm.has("time")) o.time = checked("time", slurm.required_string("time"));
  o.tasks = static_cast<std::size_t>(slurm.integer("tasks", 0, 1, 1000000));
  if (slurm.has("sbatch_args")) {
    const YAML::Node args = slurm.node("sbatch_args");
    if (!args.IsSequence())
      slurm.fail("sbatch_args", "must be a list of sbatch options, got " + Fields::describe(args));
    for (const YAML::Node& a : args) {
      if (!a.IsScalar())
        slurm.fail("sbatch_args", "each item must be one sbatch option, got " + Fields::describe(a));
      o.sbatch_args.push_back(checked("sbatch_args", a.Scalar()));
    }
  }
  slurm.reject_unknown();
  return o;
}

SlurmScripts write_slurm_scripts(const SlurmSweep& sweep, const SlurmOptions& options) {
  if (sweep.points == 0) throw SlurmError("the sweep has no points to submit");
  SlurmScripts s;
  s.tasks = options.tasks == 0 ? sweep.points : std::min(options.tasks, sweep.points);
  const std::string dir = slurm_dir(sweep);
  fs::create_directories(dir);
  s.build = (fs::path(dir) / "build.sh").string();
  s.array = (fs::path(dir) / "array.sh").string();
  const std::string n = std::to_string(s.tasks);
  write_script(
      s.build,
      sbatch_header(options, "vp_sweep-build-" + sweep.name, (fs::path(dir) / "build-%j.out").string()) +
          "# Written by vp_sweep --backend slurm: builds every RTL simulator the points need, once,\n"
          "# into the shared build directory, before the array's tasks run them.\n" +
          vp_sweep_command(sweep) + " --build-only" + forwarded(sweep) + "\n");
  write_script(s.array,
               sbatch_header(options, "vp_sweep-" + sweep.name, (fs::path(dir) / "task-%A_%a.out").string()) +
                   "#SBATCH --array=1-" + n +
                   "\n"
                   "# Written by vp_sweep --backend slurm: task i of " +
                   n +
                   " runs shard i of the sweep, as many points at once as\n"
                   "# it was given CPUs; vp_sweep --merge-only assembles the results.\n" +
                   vp_sweep_command(sweep) + " --shard \"${SLURM_ARRAY_TASK_ID}/" + n +
                   "\" --no-plots --jobs \"${SLURM_CPUS_PER_TASK:-1}\"" + forwarded(sweep) + "\n");
  return s;
}

SlurmJobs submit_slurm(const SlurmSweep& sweep, const SlurmOptions& options) {
  const SlurmScripts s = write_slurm_scripts(sweep, options);
  SlurmJobs jobs;
  jobs.tasks = s.tasks;
  jobs.build = submit({"sbatch", "--parsable", s.build});
  jobs.array = submit({"sbatch", "--parsable", "--dependency=afterok:" + jobs.build, s.array});
  return jobs;
}

SlurmOutcome wait_slurm(const SlurmSweep& sweep, const SlurmJobs& jobs, const SlurmOptions& options,
                        std::ostream& progress, const std::function<bool()>& stop) {
  const auto stopped = [&] { return stop && stop(); };
  const std::vector<std::string> squeue = {"squeue", "-h",      "-r", "-j", jobs.build + "," + jobs.array,
                                           "-o",     "%i|%T|%r"};
  int failures = 0;
  bool never = false;
  std::string last_summary;
  for (;;) {
    const Captured q = run_captured(squeue);
    std::vector<QueueLine> queue;
    if (q.status != 0 && q.err.find("Invalid job id") == std::string::npos) {
      // Both jobs gone from slurmctld answers "Invalid job id"; anything else may pass.
      if (++failures >= kSqueueRetries) command_failed(squeue, q);
    } else {
      failures = 0;
      std::stringstream lines(q.status == 0 ? q.out : "");
      std::string line;
      while (std::getline(lines, line)) {
        std::stringstream cols(line);
        QueueLine l;
        if (std::getline(cols, l.id, '|') && std::getline(cols, l.state, '|')) {
          std::getline(cols, l.reason);
          queue.push_back(l);
        }
      }
      if (queue.empty()) break;
      std::size_t running = 0, pending = 0;
      std::string build_state = "done";
      for (const QueueLine& l : queue) {
        if (l.reason == "DependencyNeverSatisfied") never = true;
        if (l.id == jobs.build)
          build_state = l.state;
        else if (l.state == "RUNNING" || l.state == "COMPLETING")
          ++running;
        else
          ++pending;
      }
      if (never) break;
      const std::size_t in_queue = running + pending;
      std::ostringstream summary;
      summary << "slurm: build job " << jobs.build << " " << build_state << "; array job " << jobs.array
              << ": " << (jobs.tasks > in_queue ? jobs.tasks - in_queue : 0) << " of " << jobs.tasks
              << " tasks ended, " << running << " running, " << pending << " pending";
      if (summary.str() != last_summary) {
        progress << summary.str() << std::endl;
        last_summary = summary.str();
      }
    }
    for (double slept = 0; !stopped() && slept < options.poll_s; slept += kStopCheck_s)
      std::this_thread::sleep_for(std::chrono::duration<double>(std::min(kStopCheck_s, options.poll_s)));
    if (stopped()) {
      SlurmOutcome outcome;
      outcome.interrupted = true;
      return outcome;
    }
  }

  SlurmOutcome outcome;
  const auto build_ends = job_ends(jobs.build);
  const JobEnd build = build_ends.count("") ? build_ends.at("") : JobEnd{"unknown", ""};
  if (never || (build.state != "COMPLETED" && build.state != "unknown")) {
    if (never) {
      const std::vector<std::string> scancel = {"scancel", jobs.array};
      const Captured c = run_captured(scancel);
      if (c.status != 0) command_failed(scancel, c);
    }
    outcome.build_failed = true;
    outcome.failed.push_back({jobs.build, build.state, build.exit_code, build_log(sweep, jobs.build)});
    return outcome;
  }
  const auto ends = job_ends(jobs.array);
  for (std::size_t t = 1; t <= jobs.tasks; ++t) {
    const std::string task = std::to_string(t);
    const auto it = ends.find(task);
    const JobEnd end = it == ends.end() ? JobEnd{"unknown", ""} : it->second;
    if (end.state != "COMPLETED")
      outcome.failed.push_back(
          {jobs.array + "_" + task, end.state, end.exit_code, task_log(sweep, jobs.array, task)});
  }
  return outcome;
}

}  // namespace dnnvp::sweep
