// gdb on the platform (docs/debugging.md): Debian's gdb-multiarch in batch mode against vp_run --gdb on
// tiny_cnn, and a raw protocol client for what batch mode cannot do (Ctrl-C). Each run must end as a
// run without gdb does: bit-exact, with the same cycles. Without gdb-multiarch the batch-mode cases are
// skipped (exit status 77).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "dnnvp_memory_map.h"
#include "elf_loader.h"
#include "gdb_client.h"
#include "hex.h"
#include "run_tool.h"

namespace fs = std::filesystem;
using dnnvp_test::GdbClient;
using dnnvp_test::run_tool;
using dnnvp_test::ToolRun;

extern char** environ;

namespace {

const fs::path kDir = fs::path(DNNVP_TEST_TMP) / "gdb";
constexpr int kSkip = 77;

void require_gdb() {
  if (std::string(DNNVP_GDB_MULTIARCH).empty()) {
    std::cerr << "SKIPPED: gdb-multiarch is not installed (tools/install-deps.sh installs it)\n";
    std::exit(kSkip);
  }
}

// A TCP port nobody listens on now.
std::uint16_t free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// tiny_cnn once without gdb (in this process's own directory: ctest runs the cases in parallel): its
// report (cycles, bit-exactness) and a copy of its firmware, which the gdb run loads (a run rebuilding it
// while gdb reads it would race).
struct Baseline {
  nlohmann::json report;
  fs::path elf;
};
const Baseline& baseline() {
  static const Baseline b = [] {
    const fs::path dir = kDir / ("baseline-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const ToolRun r = run_tool(
        {DNNVP_VP_RUN, DNNVP_SOURCE_DIR "/scenarios/tiny_cnn.yaml", "--out", (dir / "out").string(), "-q"},
        dir);
    INFO(r.output);
    REQUIRE(r.status == 0);
    Baseline out;
    out.report = nlohmann::json::parse(std::ifstream(dir / "out" / "report.json"));
    out.elf = dir / "tiny_cnn.elf";
    fs::copy_file(dir / "out" / "firmware.elf", out.elf, fs::copy_options::overwrite_existing);
    return out;
  }();
  return b;
}

// vp_run in the background (its output in DIR/vp_run.log), waited for with a deadline.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const fs::path& dir) : log_(dir / "vp_run.log") {
    fs::create_directories(dir);
    std::string cmd = "exec";
    for (const std::string& a : argv) cmd += " '" + a + "'";
    cmd += " > '" + log_.string() + "' 2>&1";
    const char* args[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    REQUIRE(posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(args), environ) == 0);
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit status, or -1 after `seconds` (the process is then terminated).
  int wait(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string log() const {
    std::ostringstream s;
    s << std::ifstream(log_).rdbuf();
    return s.str();
  }

 private:
  pid_t pid_ = -1;
  fs::path log_;
};

nlohmann::json report_of(const fs::path& out) {
  return nlohmann::json::parse(std::ifstream(out / "report.json"));
}

// The run after gdb left: as without gdb.
void check_like_baseline(const fs::path& out) {
  const nlohmann::json r = report_of(out);
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  CHECK(r.at("totals").at("cycles") == baseline().report.at("totals").at("cycles"));
  CHECK(r.at("totals").at("cpu").at("instructions") ==
        baseline().report.at("totals").at("cpu").at("instructions"));
}

// vp_run on tiny_cnn into DIR/out with the given firmware, serving gdb on `port` and waiting for it.
std::vector<std::string> vp_run_gdb(const fs::path& dir, const std::string& elf, std::uint16_t port,
                                    bool quiet = true) {
  std::vector<std::string> argv = {DNNVP_VP_RUN, DNNVP_SOURCE_DIR "/scenarios/tiny_cnn.yaml",
                                   "--out",      (dir / "out").string(),
                                   "--firmware", elf,
                                   "--gdb",      std::to_string(port),
                                   "--gdb-wait"};
  if (quiet) argv.push_back("-q");
  return argv;
}

// gdb-multiarch in batch mode: connects to vp_run on tiny_cnn (the baseline's firmware), runs `commands`,
// and vp_run is waited for.
struct GdbBatch {
  std::string output;  // gdb's
  int status = -1;     // vp_run's
  std::string vp_log;
};
GdbBatch gdb_batch(const fs::path& dir, const std::vector<std::string>& commands) {
  const std::string elf = baseline().elf.string();
  fs::remove_all(dir);
  const std::uint16_t port = free_port();
  Background vp(vp_run_gdb(dir, elf, port), dir);
  std::vector<std::string> argv = {DNNVP_GDB_MULTIARCH, "-nx", "-batch"};
  for (const std::string& c :
       {std::string("set pagination off"), std::string("set confirm off"),
        std::string("set tcp connect-timeout 120"), "file " + elf, "target remote :" + std::to_string(port)})
    argv.insert(argv.end(), {"-ex", c});
  for (const std::string& c : commands) argv.insert(argv.end(), {"-ex", c});
  GdbBatch b;
  b.output = run_tool(argv, dir / "gdb").output;
  b.status = vp.wait(300);
  b.vp_log = vp.log();
  return b;
}

fs::path fresh_dir(const std::string& name) {
  fs::remove_all(kDir / name);
  return kDir / name;
}

// vp_run waiting for gdb in kDir / NAME with the firmware ELF, and a raw client attached to it, which has
// checked the first stop (before the first instruction).
struct Attached {
  Attached(const std::string& name, const std::string& elf)
      : dir(fresh_dir(name)), port(free_port()), vp(vp_run_gdb(dir, elf, port), dir), client(port) {
    CHECK(client.ask("?") == "T05thread:1;");
  }
  fs::path dir;
  std::uint16_t port;
  Background vp;
  GdbClient client;
};

}  // namespace

TEST_CASE(
    "gdb-multiarch breaks in the runtime, prints a variable, watches the engine's CTRL, steps over a DMA "
    "start and detaches, and the run ends bit-exact with the cycles of a run without gdb",
    "[gdb]") {
  require_gdb();
  const std::string ctrl = dnnvp::hex(DNNVP_ENGINE_BASE + DNNVP_ENGINE_CTRL_OFFSET);
  const fs::path dir = kDir / "batch";
  const GdbBatch g = gdb_batch(
      dir, {"break run_rows", "continue", "print first", "delete", "watch *(volatile unsigned int *)" + ctrl,
            "continue", "monitor engine", "delete", "break axi_dma_start", "continue", "finish",
            "monitor dma 0", "next", "monitor time", "monitor time", "monitor layer", "delete", "detach"});
  INFO("gdb:\n" << g.output << "\nvp_run:\n" << g.vp_log);
  REQUIRE(g.status == 0);
  // The breakpoint in a runtime function, and a variable of it.
  CHECK(g.output.find(", run_rows (") != std::string::npos);  // "Breakpoint 1, run_rows (...)"
  CHECK(g.output.find("$1 = 0\n") != std::string::npos);
  // The watchpoint stops after the firmware's first CTRL write, the layer start's clear (the value from
  // the register spec), before any other instruction.
  const unsigned clear = DNNVP_ENGINE_CTRL_CLEAR_COUNTERS_MASK | DNNVP_ENGINE_CTRL_CLEAR_ERROR_MASK;
  CHECK(g.output.find("Hardware watchpoint 2: *(volatile unsigned int *)" + ctrl) != std::string::npos);
  CHECK(g.output.find("New value = " + std::to_string(clear) + "\n") != std::string::npos);
  CHECK(g.output.find("CTRL " + dnnvp::hex(clear) + " PUSH=0 CLEAR_COUNTERS=1 CLEAR_ERROR=1  (written at ") !=
        std::string::npos);
  // finish runs the DMA start to its end; the channel then runs (not halted) with the length programmed.
  CHECK(g.output.find("Value returned is $2 = AXI_DMA_OK") != std::string::npos);
  const std::size_t dmasr = g.output.find("S2MM_DMASR ");
  REQUIRE(dmasr != std::string::npos);
  CHECK(g.output.substr(dmasr, g.output.find('\n', dmasr) - dmasr).find("HALTED=0 IDLE=0") !=
        std::string::npos);
  // Simulated time stands still while stopped: two `monitor time` in a row say the same.
  const std::size_t t1 = g.output.find("simulated time ");
  REQUIRE(t1 != std::string::npos);
  const std::size_t t2 = g.output.find("simulated time ", t1 + 1);
  REQUIRE(t2 != std::string::npos);
  CHECK(g.output.substr(t1, g.output.find('\n', t1) - t1) ==
        g.output.substr(t2, g.output.find('\n', t2) - t2));
  CHECK(g.output.find("layer 0 (conv1), started at ") != std::string::npos);
  CHECK(g.output.find("[Inferior 1 (Remote target) detached]") != std::string::npos);
  check_like_baseline(dir / "out");
}

TEST_CASE(
    "gdb-multiarch's hbreak, a watchpoint on a DRAM variable, a read watchpoint on the engine's STATUS and "
    "an "
    "access watchpoint on a DMA's DMASR stop where they should, and the firmware's exit reaches gdb",
    "[gdb]") {
  require_gdb();
  const std::string status_reg = dnnvp::hex(DNNVP_ENGINE_BASE + DNNVP_ENGINE_STATUS_OFFSET);
  const std::string dmasr = dnnvp::hex(DNNVP_DMA0_BASE + DNNVP_DMA0_S2MM_DMASR_OFFSET);
  const fs::path dir = kDir / "watch";
  const GdbBatch g =
      gdb_batch(dir, {"hbreak main", "continue", "delete", "watch stats[0].tiles", "continue", "delete",
                      "rwatch *(volatile unsigned int *)" + status_reg, "continue", "delete",
                      "awatch *(volatile unsigned int *)" + dmasr, "continue", "delete", "continue"});
  INFO("gdb:\n" << g.output << "\nvp_run:\n" << g.vp_log);
  REQUIRE(g.status == 0);
  CHECK(g.output.find("Hardware assisted breakpoint 1 at ") != std::string::npos);
  CHECK(g.output.find("Breakpoint 1, main () at ") != std::string::npos);
  // The firmware's layer report: the first layer's tile count, as the report of the run says.
  const std::string tiles = std::to_string(baseline().report.at("layers").at(0).at("tiles").get<int>());
  CHECK(g.output.find("Old value = 0\nNew value = " + tiles + "\n") != std::string::npos);
  // The engine's STATUS is read by the driver's hal_read32; DMASR likewise.
  const std::size_t rwatch =
      g.output.find("Hardware read watchpoint 3: *(volatile unsigned int *)" + status_reg);
  REQUIRE(rwatch != std::string::npos);
  CHECK(g.output.find("Value = ", rwatch) != std::string::npos);
  CHECK(g.output.find("in hal_read32 (", rwatch) != std::string::npos);
  const std::size_t awatch =
      g.output.find("Hardware access (read/write) watchpoint 4: *(volatile unsigned int *)" + dmasr);
  REQUIRE(awatch != std::string::npos);
  CHECK(g.output.find("in hal_read32 (", awatch) != std::string::npos);
  CHECK(g.output.find("[Inferior 1 (Remote target) exited normally]") != std::string::npos);
  check_like_baseline(dir / "out");
}

TEST_CASE(
    "gdb's Ctrl-C stops the running firmware, time stands still while it is stopped, and "
    "the run finishes normally after detach",
    "[gdb]") {
  const Baseline& base = baseline();
  Attached a("interrupt", base.elf.string());
  GdbClient& c = a.client;
  // The first instruction has not run: the pc is the ELF's entry point (little-endian hex).
  const std::uint32_t entry = dnnvp::cpu::read_elf(base.elf.string()).entry;
  CHECK(c.ask("p20") == dnnvp::gdb::Session::to_hex(std::string(reinterpret_cast<const char*>(&entry), 4)));
  c.send("c");
  c.send_raw("\x03");  // at once: the whole run takes a fraction of a second
  CHECK(c.reply() == "T02thread:1;");
  const std::string time = dnnvp::gdb::Session::to_hex("time");
  const std::string t1 = c.ask("qRcmd," + time);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(c.ask("qRcmd," + time) == t1);
  CHECK(c.ask("D") == "OK");
  // The server still listens: a second gdb stops the run again (at the end of the CPU's batch).
  GdbClient again(a.port);
  CHECK(again.ask("?") == "T02thread:1;");
  CHECK(again.ask("D") == "OK");
  const int status = a.vp.wait(300);
  INFO("vp_run:\n" << a.vp.log());
  REQUIRE(status == 0);
  check_like_baseline(a.dir / "out");
}

TEST_CASE(
    "SIGTERM to vp_run while gdb has the CPU stopped, or while it waits for gdb, ends the run with its "
    "report (interrupted)",
    "[gdb]") {
  const Baseline& base = baseline();
  Attached a("sigterm", base.elf.string());
  a.vp.signal(SIGTERM);
  const int status = a.vp.wait(120);
  INFO("vp_run:\n" << a.vp.log());
  CHECK(status == 128 + SIGTERM);
  CHECK(report_of(a.dir / "out").at("status") == "interrupted");

  // The same while --gdb-wait still waits for gdb to connect.
  const fs::path wait_dir = kDir / "sigterm-waiting";
  fs::remove_all(wait_dir);
  Background waiting(vp_run_gdb(wait_dir, base.elf.string(), free_port(), false),
                     wait_dir);  // logs "waiting for gdb"
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (waiting.log().find("waiting for gdb") == std::string::npos && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  waiting.signal(SIGTERM);
  const int waiting_status = waiting.wait(120);
  INFO("vp_run:\n" << waiting.log());
  CHECK(waiting_status == 128 + SIGTERM);
  CHECK(report_of(wait_dir / "out").at("status") == "interrupted");
}

TEST_CASE("a CPU fault stops for gdb with SIGSEGV before the run ends with the fault", "[gdb]") {
  // platform_faults.c FAULT 2: a misaligned read of an engine register.
  Attached a("fault", DNNVP_FAULT2_ELF);
  GdbClient& c = a.client;
  CHECK(c.ask("c") == "T0bthread:1;");
  CHECK(c.ask("c") == "X0b");
  const int status = a.vp.wait(300);
  INFO("vp_run:\n" << a.vp.log());
  CHECK(status == 3);
  CHECK(report_of(a.dir / "out").at("end") == "cpu_fault");
}

TEST_CASE("vp_run refuses a bad or busy --gdb port and --gdb-wait without --gdb (bad input, status 2)",
          "[gdb]") {
  const fs::path dir = kDir / "bad";
  // A port somebody listens on already.
  const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(busy, 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string busy_port = std::to_string(ntohs(a.sin_port));
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--gdb", "70000"},
        {"--gdb", "-1"},
        {"--gdb-wait"},
        {"--gdb", busy_port, "--firmware", baseline().elf.string()}}) {
    std::vector<std::string> argv = {DNNVP_VP_RUN, DNNVP_SOURCE_DIR "/scenarios/tiny_cnn.yaml", "--out",
                                     (dir / "out").string(), "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const ToolRun r = run_tool(argv, dir);
    INFO(r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find("--gdb") != std::string::npos);
  }
  ::close(busy);
}
