#include <catch2/catch.hpp>

#include "bus.h"
#include "dnnvp_memory_map.hpp"
#include "sim_util.h"
#include "stats.h"

using namespace sc_core;
using dnnvp::Bus;
using dnnvp::BusConfig;
using dnnvp::test::Initiator;
using dnnvp::test::RecordingTarget;

namespace {

BusConfig two_targets() {
  BusConfig c;
  c.initiators = {"cpu", "dma0"};
  c.targets = {{"regs", 0x10000000, 0x1000}, {"mem", 0x80000000, 0x10000}};
  c.latency = sc_time(2, SC_NS);
  return c;
}

}  // namespace

TEST_CASE("bus decodes to the right target with the translated address and tags the initiator", "[bus]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::Stats stats;
  Bus bus("bus", two_targets(), &stats);
  RecordingTarget regs("regs", 0x1000, sc_time(10, SC_NS));
  RecordingTarget mem("mem", 0x10000, sc_time(20, SC_NS));
  std::vector<dnnvp::test::Access> results;
  Initiator cpu("cpu", [&](Initiator& i) {
    std::uint32_t v = 0;
    results.push_back(i.read32(0x80000010, v, sc_time(5, SC_NS)));
    results.push_back(i.write32(0x10000FFC, v));
    results.push_back(i.read32(0x8000FFFC, v));  // last word of mem
  });
  Initiator dma("dma", [&](Initiator& i) {
    std::uint32_t v = 0;
    results.push_back(i.read32(0x10000000, v));
  });
  cpu.socket.bind(bus.initiator_socket("cpu"));
  dma.socket.bind(bus.initiator_socket("dma0"));
  bus.target_socket("regs").bind(regs.socket);
  bus.target_socket("mem").bind(mem.socket);
  sc_start();

  REQUIRE(results.size() == 4);
  for (const auto& r : results) CHECK(r.status == tlm::TLM_OK_RESPONSE);
  // delay in + bus latency + target latency
  CHECK(results[0].delay == sc_time(5 + 2 + 20, SC_NS));
  REQUIRE(mem.seen.size() == 2);
  CHECK(mem.seen[0].address == 0x10);
  CHECK(mem.seen[0].command == tlm::TLM_READ_COMMAND);
  CHECK(mem.seen[0].initiator == "cpu");
  CHECK(mem.seen[1].address == 0xFFFC);
  REQUIRE(regs.seen.size() == 2);
  std::vector<std::uint64_t> reg_addresses{regs.seen[0].address, regs.seen[1].address};
  std::sort(reg_addresses.begin(), reg_addresses.end());
  CHECK(reg_addresses == std::vector<std::uint64_t>{0x0, 0xFFC});
  for (const auto& s : regs.seen) CHECK(s.initiator == (s.address == 0 ? "dma0" : "cpu"));
  CHECK(bus.fault_count() == 0);
  CHECK(stats.value("bus.cpu.transactions") == 3);
  CHECK(stats.value("bus.dma0.transactions") == 1);
}

TEST_CASE("bus returns an address error for unmapped addresses and records the fault", "[bus]") {
  dnnvp::test::one_simulation_per_process();
  Bus bus("bus", two_targets());
  RecordingTarget regs("regs", 0x1000, SC_ZERO_TIME);
  RecordingTarget mem("mem", 0x10000, SC_ZERO_TIME);
  mem.error_address = 0x40;
  std::vector<std::string> printed;
  bus.on_fault([&](const dnnvp::BusFault& f) { printed.push_back(f.describe()); });
  std::vector<dnnvp::test::Access> results;
  Initiator cpu("cpu", [&](Initiator& i) {
    std::uint32_t v = 0;
    wait(100, SC_NS);
    results.push_back(i.write32(0x20000000, 7, sc_time(3, SC_NS)));  // unmapped
    results.push_back(i.read32(0x10000FFE, v));                      // crosses the end of regs
    results.push_back(i.read32(0x0FFFFFFC, v));                      // just below regs
    results.push_back(i.read32(0x80000040, v));                      // the target answers an error
  });
  Initiator dma("dma", [](Initiator&) {});
  cpu.socket.bind(bus.initiator_socket("cpu"));
  dma.socket.bind(bus.initiator_socket("dma0"));
  bus.target_socket("regs").bind(regs.socket);
  bus.target_socket("mem").bind(mem.socket);
  sc_start();

  REQUIRE(results.size() == 4);
  CHECK(results[0].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(results[1].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(results[2].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(results[3].status == tlm::TLM_GENERIC_ERROR_RESPONSE);
  CHECK(regs.seen.empty());  // nothing forwarded for the address errors
  CHECK(mem.seen.size() == 1);

  REQUIRE(bus.fault_count() == 4);
  REQUIRE(bus.faults().size() == 4);
  const dnnvp::BusFault& f = bus.faults()[0];
  CHECK(f.initiator == "cpu");
  CHECK(f.address == 0x20000000);
  CHECK(f.command == tlm::TLM_WRITE_COMMAND);
  CHECK(f.length == 4);
  CHECK(f.status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(f.target.empty());
  CHECK(f.time == sc_time(103, SC_NS));
  CHECK(f.reason == "no target mapped");
  CHECK(bus.faults()[1].reason == "crosses the end of regs");
  CHECK(bus.faults()[3].target == "mem");
  CHECK(bus.faults()[3].reason == "target error");
  REQUIRE(printed.size() == 4);
  CHECK(printed[0] ==
        "bus fault at 103 ns: cpu write of 4 bytes at 0x20000000: no target mapped "
        "(TLM_ADDRESS_ERROR_RESPONSE)");
}

TEST_CASE("bus forwards DMI and debug accesses with address translation and broadcasts invalidations",
          "[bus]") {
  dnnvp::test::one_simulation_per_process();
  Bus bus("bus", two_targets());
  RecordingTarget regs("regs", 0x1000, SC_ZERO_TIME);
  RecordingTarget mem("mem", 0x10000, SC_ZERO_TIME);
  bool granted = false, refused = true;
  tlm::tlm_dmi dmi, gap;
  unsigned debug_bytes = 0, debug_clipped = 0, debug_unmapped = 1;
  Initiator cpu("cpu", [&](Initiator& i) {
    granted = i.dmi(0x80000100, dmi);
    refused = i.dmi(0x50000000, gap);
    unsigned char buf[64] = {};
    debug_bytes = i.debug(tlm::TLM_READ_COMMAND, 0x80000020, buf, 16);
    debug_clipped = i.debug(tlm::TLM_READ_COMMAND, 0x8000FFF8, buf, 64);
    debug_unmapped = i.debug(tlm::TLM_READ_COMMAND, 0x30000000, buf, 4);
    mem.invalidate(0x100, 0x1FF);
  });
  Initiator dma("dma", [](Initiator&) {});
  cpu.socket.bind(bus.initiator_socket("cpu"));
  dma.socket.bind(bus.initiator_socket("dma0"));
  bus.target_socket("regs").bind(regs.socket);
  bus.target_socket("mem").bind(mem.socket);
  sc_start();

  CHECK(granted);
  REQUIRE(mem.dmi_addresses.size() == 1);
  CHECK(mem.dmi_addresses[0] == 0x100);
  CHECK(dmi.get_start_address() == 0x80000000);
  CHECK(dmi.get_end_address() == 0x8000FFFF);
  CHECK(dmi.get_dmi_ptr() == mem.memory.data());
  CHECK_FALSE(refused);
  CHECK(gap.get_start_address() == 0x10001000);  // the unmapped gap between the two targets
  CHECK(gap.get_end_address() == 0x7FFFFFFF);
  CHECK(gap.get_granted_access() == tlm::tlm_dmi::DMI_ACCESS_NONE);

  CHECK(debug_bytes == 16);
  CHECK(debug_clipped == 8);  // truncated at the end of mem
  CHECK(debug_unmapped == 0);
  CHECK(mem.debug_addresses == std::vector<std::uint64_t>{0x20, 0xFFF8});

  // The target's invalidation reaches every initiator in global addresses.
  REQUIRE(cpu.invalidations.size() == 1);
  CHECK(cpu.invalidations[0] == std::make_pair<std::uint64_t, std::uint64_t>(0x80000100, 0x800001FF));
  REQUIRE(dma.invalidations.size() == 1);
  CHECK(dma.invalidations[0] == cpu.invalidations[0]);
}

TEST_CASE("bus refuses overlapping targets and builds the SoC map from the generated table", "[bus]") {
  dnnvp::test::one_simulation_per_process();
  BusConfig bad;
  bad.initiators = {"cpu"};
  bad.targets = {{"a", 0x1000, 0x2000}, {"b", 0x2000, 0x1000}};
  CHECK_THROWS_WITH(Bus("bad", bad), Catch::Contains("'a' and 'b' overlap"));

  const auto targets =
      dnnvp::memory_map_targets(dnnvp::memory_map::kMap, 512u << 20, dnnvp::memory_map::dram::kBase);
  REQUIRE(targets.size() == dnnvp::memory_map::kRegionCount);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& r = dnnvp::memory_map::kRegions[i];
    CHECK(targets[i].name == r.name);
    CHECK(targets[i].base == r.base);
    CHECK(targets[i].size == (r.sized_by_scenario ? (512u << 20) : r.size));
  }
  CHECK_THROWS_AS(dnnvp::memory_map_targets(dnnvp::memory_map::kMap, std::uint64_t{3} << 30,
                                            dnnvp::memory_map::dram::kBase),
                  std::invalid_argument);  // 0x80000000 + 3 GiB
  CHECK_THROWS_WITH(dnnvp::memory_map_targets(dnnvp::memory_map::kMap, 512u << 20, 0x40000000),
                    Catch::Contains("dram.base 0x40000000 differs from dram at 0x80000000"));

  BusConfig soc;
  soc.initiators = {"cpu"};
  soc.targets = targets;
  Bus bus("soc_bus", soc);
  CHECK(bus.target(bus.decode(dnnvp::memory_map::uart::kBase + dnnvp::memory_map::uart::kTxData)).name ==
        "uart");
  CHECK(bus.target(bus.decode(dnnvp::memory_map::dram::kBase + (512u << 20) - 1)).name == "dram");
  CHECK(bus.decode(dnnvp::memory_map::dram::kBase + (512u << 20)) == -1);
  CHECK(bus.decode(0) == -1);
}
