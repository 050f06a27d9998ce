// The CPU model as gdb's target (riscv_cpu.h attach_gdb, gdb_server.h): a client thread drives hello through
// the server while the simulation runs on the test's thread. One simulation per test case (process).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

#include "cpu_bench.h"
#include "gdb_client.h"
#include "gdb_server.h"
#include "hex.h"

using dnnvp::gdb::Session;
using dnnvp_test::GdbClient;

namespace {

std::string le_hex(std::uint32_t v) {
  return Session::to_hex(std::string(reinterpret_cast<const char*>(&v), 4));
}

std::string number(std::uint64_t v) {
  return dnnvp::hex(v).substr(2);
}  // gdb's: no 0x

}  // namespace

TEST_CASE(
    "gdb: a client stops hello at main, reads and writes registers and DRAM, steps, watches the EXIT "
    "store, and detaches, and hello then finishes",
    "[cpu][sim][gdb]") {
  cpu_test::Bench b;
  const dnnvp::cpu::ElfImage& image = b.cpu.load_elf(cpu_test::firmware("hello"));
  const std::uint32_t entry = image.entry, main_pc = *image.symbol("main");
  dnnvp::gdb::Server server(0, b.cpu, [](const std::string& c) { return "monitor " + c + "\n"; });
  b.cpu.attach_gdb(server, true);

  // The client's replies, checked on this thread once the simulation is over (Catch2 is not thread-safe).
  std::vector<std::pair<std::string, std::string>> replies;  // {what was asked, the reply}
  std::string error;
  std::thread gdb([&] {
    try {
      GdbClient c(server.port());
      auto ask = [&](const std::string& p) { replies.emplace_back(p, c.ask(p)); };
      ask("?");
      ask("p20");
      ask("Z0," + number(main_pc) + ",2");
      ask("c");
      ask("p20");
      ask("z0," + number(main_pc) + ",2");
      ask("M80800000,4:deadbeef");  // free DRAM far above hello
      ask("m80800000,4");
      ask("m10002004,4");  // sysctl EXIT: the bench's devices have no debug transport, the CPU never accessed
                           // it
      const std::string t0 = c.ask("p5");
      ask("P5=78563412");
      ask("p5");
      ask("P5=" + t0);
      ask("s");
      ask("p20");
      ask("Z2," + number(cpu_test::kExitAddress) + ",4");
      ask("c");
      ask("z2," + number(cpu_test::kExitAddress) + ",4");
      ask("qRcmd," + Session::to_hex("time"));
      ask("D");
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  sc_core::sc_start();
  gdb.join();
  REQUIRE(error.empty());
  REQUIRE(replies.size() == 19);
  const std::string exit_address = number(cpu_test::kExitAddress);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"?", "T05thread:1;"},
      {"p20", le_hex(entry)},
      {"Z0," + number(main_pc) + ",2", "OK"},
      {"c", "T05thread:1;"},
      {"p20", le_hex(main_pc)},
      {"z0," + number(main_pc) + ",2", "OK"},
      {"M80800000,4:deadbeef", "OK"},
      {"m80800000,4", "deadbeef"},
      {"m10002004,4", "E02"},
      {"P5=78563412", "OK"},
      {"p5", "78563412"},
      {replies[11].first, "OK"},  // t0 restored
      {"s", "T05thread:1;"},
      {"p20", replies[13].second},  // below
      {"Z2," + exit_address + ",4", "OK"},
      {"c", "T05watch:" + exit_address + ";thread:1;"},  // before the store, as gdb's RISC-V target expects
      {"z2," + exit_address + ",4", "OK"},
      {"qRcmd," + Session::to_hex("time"), Session::to_hex("monitor time\n")},
      {"D", "OK"}};
  CHECK(replies == expected);
  // The step ran one instruction (2 or 4 bytes).
  CHECK((replies[13].second == le_hex(main_pc + 2) || replies[13].second == le_hex(main_pc + 4)));
  CHECK(b.dram[0x800000] == 0xDE);
  CHECK(b.cpu.halt_reason() == dnnvp::cpu::HaltReason::kExit);
  CHECK(b.cpu.exit_code() == 0);
  CHECK(b.devices.uart.find("hello from dnn-vp firmware\n") != std::string::npos);
}
