#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "bus.h"
#include "dram.h"
#include "initiator_id.h"
#include "sim_util.h"
#include "stats.h"

using namespace sc_core;
using dnnvp::Dram;
using dnnvp::DramTiming;
using dnnvp::test::Access;
using dnnvp::test::Initiator;

namespace {

constexpr std::uint64_t kMiB = 1 << 20;

// Latency in DRAM cycles of an access issued at local time `issued` that came back with `a.delay`.
std::uint64_t cycles(const Dram& d, const sc_time& issued, const Access& a) {
  return d.time_to_cycle(a.delay) - d.time_to_cycle(issued);
}

}  // namespace

TEST_CASE("dram row hit, empty-bank miss and row conflict latencies are exact in cycles", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  const DramTiming ddr4 = DramTiming::preset("ddr4-2400");
  const DramTiming lp4 = DramTiming::preset("lpddr4-3200");
  Dram d1("ddr4", 64 * kMiB, ddr4);
  Dram d2("lpddr4", 64 * kMiB, lp4);
  struct Seen {
    std::uint64_t empty, hit, conflict, write_hit, conflict_after_write;
  };
  Seen s1{}, s2{};
  const auto script = [](Dram& d, Seen& s) {
    return [&d, &s](Initiator& i) {
      const DramTiming& t = d.timing();
      const std::uint64_t row_stride = t.page_bytes * t.banks;  // same bank, next row
      unsigned char buf[64] = {};
      const unsigned burst = static_cast<unsigned>(t.burst_bytes());
      sc_time at = SC_ZERO_TIME;
      Access a = i.read(0, buf, burst, at);  // bank 0 closed
      s.empty = cycles(d, at, a);
      at = a.delay;
      a = i.read(burst, buf, burst, at);  // row 0 open
      s.hit = cycles(d, at, a);
      at = a.delay;
      a = i.read(row_stride, buf, burst, at);  // bank 0, row 1: conflict
      s.conflict = cycles(d, at, a);
      at = a.delay;
      a = i.write(row_stride + burst, buf, burst, at);  // row 1 open
      s.write_hit = cycles(d, at, a);
      // Issued at the same local time as the write: the precharge waits for tWR after the write data.
      a = i.read(0, buf, burst, at);
      s.conflict_after_write = cycles(d, at, a);
    };
  };
  Initiator i1("i1", script(d1, s1));
  Initiator i2("i2", script(d2, s2));
  i1.socket.bind(d1.socket);
  i2.socket.bind(d2.socket);
  sc_start();

  // DDR4-2400: tRCD 16, CL 16, WL 16, tRP 16, BL8 = 4 cycles, tWR 18.
  CHECK(s1.empty == 16 + 16 + 4);
  CHECK(s1.hit == 16 + 4);
  CHECK(s1.conflict == 16 + 16 + 16 + 4);
  CHECK(s1.write_hit == 16 + 4);
  CHECK(s1.conflict_after_write == (16 + 4 + 18) + 16 + 16 + 16 + 4);
  // LPDDR4-3200: tRCD 29, CL 28, WL 14, tRP 29, BL16 = 8 cycles, tWR 29.
  CHECK(s2.empty == 29 + 28 + 8);
  CHECK(s2.hit == 28 + 8);
  CHECK(s2.conflict == 29 + 29 + 28 + 8);
  CHECK(s2.write_hit == 14 + 8);
  CHECK(s2.conflict_after_write == (14 + 8 + 29) + 29 + 29 + 28 + 8);
  // Cycles are converted exactly: 36 DDR4 cycles at 1200 MHz are 30 ns.
  CHECK(d1.cycle_to_time(36) == sc_time(30, SC_NS));
  CHECK(d2.cycle_to_time(65) == sc_time(40625, SC_PS));
  for (std::uint64_t c : {0, 1, 7, 20, 36, 1000001}) CHECK(d1.time_to_cycle(d1.cycle_to_time(c)) == c);
}

TEST_CASE("dram sequential streams reach close to peak bandwidth and random accesses do not", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  const DramTiming t = DramTiming::preset("ddr4-2400");
  Dram dram("dram", 256 * kMiB, t);
  double sequential = 0, pipelined = 0, random = 0;
  const double peak = t.peak_bytes_per_second();
  Initiator i("i", [&](Initiator& init) {
    std::vector<unsigned char> buf(4096);
    // 4 MiB in 4 KiB transactions, each issued when the previous one completes (a blocking DMA).
    sc_time start = sc_time_stamp(), at = SC_ZERO_TIME;
    for (std::uint64_t a = 0; a < 4 * kMiB; a += 4096) at = init.read(a, buf.data(), 4096, at).delay;
    sequential = 4.0 * kMiB / at.to_seconds();
    wait(at);
    // 64-byte reads all issued at once (an initiator with many accesses in flight): the data bus limits them.
    start = sc_time_stamp();
    sc_time last = SC_ZERO_TIME;
    for (std::uint64_t a = 16 * kMiB; a < 17 * kMiB; a += 64)
      last = std::max(last, init.read(a, buf.data(), 64).delay);
    pipelined = 1.0 * kMiB / last.to_seconds();
    wait(last);
    (void)start;
    // 64-byte reads at random addresses, each after the previous.
    std::mt19937_64 rng(1);
    at = SC_ZERO_TIME;
    const int n = 4096;
    for (int k = 0; k < n; ++k) {
      const std::uint64_t a = (rng() % (256 * kMiB / 64)) * 64;
      at = init.read(a, buf.data(), 64, at).delay;
    }
    random = 64.0 * n / at.to_seconds();
  });
  i.socket.bind(dram.socket);
  sc_start();

  INFO("peak " << peak / 1e9 << " GB/s, sequential " << sequential / 1e9 << ", pipelined " << pipelined / 1e9
               << ", random " << random / 1e9);
  CHECK(sequential > 0.8 * peak);
  CHECK(sequential <= peak);
  CHECK(pipelined > 0.9 * peak);
  CHECK(pipelined <= peak);
  CHECK(random < 0.2 * peak);
  CHECK(dram.refreshes() > 0);
}

TEST_CASE(
    "dram peak bandwidth over a span is its busiest window's: near the peak for a stream, low for random "
    "reads, zero where nothing moved",
    "[dram]") {
  dnnvp::test::one_simulation_per_process();
  const DramTiming t = DramTiming::preset("ddr4-2400");
  Dram dram("dram", 256 * kMiB, t);
  sc_time stream_end, random_start, random_end;
  Initiator i("i", [&](Initiator& init) {
    std::vector<unsigned char> buf(64);
    sc_time last = SC_ZERO_TIME;
    for (std::uint64_t a = 0; a < kMiB; a += 64) last = std::max(last, init.read(a, buf.data(), 64).delay);
    wait(last);
    stream_end = sc_time_stamp();
    // One window later: no window holds bursts of both phases.
    wait(dram.cycle_to_time(Dram::kBandwidthWindowCycles) - dram.cycle_to_time(0));
    random_start = sc_time_stamp();
    std::mt19937_64 rng(1);
    sc_time at = SC_ZERO_TIME;
    for (int k = 0; k < 2048; ++k) at = init.read((rng() % (256 * kMiB / 64)) * 64, buf.data(), 64, at).delay;
    wait(at);
    random_end = sc_time_stamp();
  });
  i.socket.bind(dram.socket);
  sc_start();

  const double peak = t.peak_bytes_per_second();
  const double stream = dram.peak_bytes_per_second(SC_ZERO_TIME, stream_end);
  const double random = dram.peak_bytes_per_second(random_start, random_end);
  INFO("peak " << peak / 1e9 << " GB/s, stream's busiest window " << stream / 1e9 << ", random's "
               << random / 1e9);
  CHECK(stream > 0.9 * peak);
  CHECK(stream <= peak);
  CHECK(random > 0);
  CHECK(random < 0.3 * peak);
  CHECK(dram.peak_bytes_per_second(random_end + sc_time(1, SC_MS), random_end + sc_time(2, SC_MS)) == 0);
}

TEST_CASE("dram per-initiator counters are exact", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  const DramTiming t =
      DramTiming::preset("ddr4-2400");  // 8 KiB pages: bank b holds bytes b*8K .. b*8K+8K-1 of row 0
  dnnvp::Stats stats;
  dnnvp::BusConfig config;
  config.initiators = {"cpu", "dma0"};
  config.targets = {{"dram", 0x80000000, 64 * kMiB}};
  dnnvp::Bus bus("bus", config, &stats);
  Dram dram("dram", 64 * kMiB, t, &stats);
  std::uint32_t word = 0;
  // Each initiator stays in its own bank, so the interleaving of their threads cannot change hits and misses.
  Initiator cpu("cpu", [&](Initiator& i) {
    i.read32(0x80000000, word);                           // bank 0: miss (empty)
    i.read32(0x80000004, word);                           // same burst: hit
    i.write32(0x80000100, word);                          // same row: hit
    i.read32(0x80000000 + t.page_bytes * t.banks, word);  // bank 0, row 1: miss (conflict)
  });
  Initiator dma("dma", [&](Initiator& i) {
    std::vector<unsigned char> buf(256, 0xAB);
    i.write(0x80002000, buf.data(), 256);  // bank 1: 4 bursts, the first misses
    // A DMA channel that names itself: the bus keeps the payload's own tag.
    dnnvp::InitiatorId tag{dnnvp::InitiatorId::allocate("dma0.mm2s")};
    i.access(tlm::TLM_READ_COMMAND, 0x80004000 + 32, buf.data(), 100, SC_ZERO_TIME, nullptr, 0,
             &tag);  // bank 2: bytes 32..131: 3 bursts
  });
  cpu.socket.bind(bus.initiator_socket("cpu"));
  dma.socket.bind(bus.initiator_socket("dma0"));
  bus.target_socket("dram").bind(dram.socket);
  sc_start();

  const dnnvp::DramCounters c = dram.counters("cpu");
  CHECK(c.transactions == 4);
  CHECK(c.read_bytes == 12);
  CHECK(c.write_bytes == 4);
  CHECK(c.bursts == 4);
  CHECK(c.row_hits == 2);
  CHECK(c.row_misses == 2);
  CHECK(c.row_conflicts == 1);
  const dnnvp::DramCounters d = dram.counters("dma0");
  CHECK(d.transactions == 1);
  CHECK(d.read_bytes == 0);
  CHECK(d.write_bytes == 256);
  CHECK(d.bursts == 4);
  CHECK(d.row_hits == 3);
  CHECK(d.row_misses == 1);
  CHECK(d.row_conflicts == 0);
  const dnnvp::DramCounters m = dram.counters("dma0.mm2s");
  CHECK(m.transactions == 1);
  CHECK(m.read_bytes == 100);
  CHECK(m.bursts == 3);
  CHECK(m.row_hits == 2);
  CHECK(m.row_misses == 1);
  CHECK(dram.activates() == 4);
  CHECK(dram.precharges() == 1);
  // Two activates, three read bursts and one write burst of 64 bytes.
  CHECK(c.energy_pj == Approx(2 * t.energy.act_pre_pj + 3 * 64 * t.energy.read_pj_per_byte +
                              64 * t.energy.write_pj_per_byte));

  // The same numbers in the statistics, nested by initiator.
  const nlohmann::json j = stats.to_json();
  CHECK(j["dram"]["cpu"]["read_bytes"] == 12);
  CHECK(j["dram"]["cpu"]["row_misses"] == 2);
  CHECK(j["dram"]["dma0"]["write_bytes"] == 256);
  CHECK(j["dram"]["dma0"]["mm2s"]["read_bytes"] == 100);
  CHECK(j["dram"]["preset"] == "ddr4-2400");
  CHECK(j["bus"]["cpu"]["transactions"] == 4);
  CHECK(j["bus"]["dma0"]["transactions"] == 2);
}

TEST_CASE("dram energy is non-zero and grows with traffic and time", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  Dram dram("dram", 16 * kMiB, DramTiming::preset("lpddr4-3200"));
  std::vector<double> totals;
  std::vector<dnnvp::DramEnergyReport> reports;
  Initiator i("i", [&](Initiator& init) {
    std::vector<unsigned char> buf(1024);
    reports.push_back(dram.energy());
    sc_time at = SC_ZERO_TIME;
    for (int k = 0; k < 8; ++k) {
      at = init.read(static_cast<std::uint64_t>(k) * 3 * kMiB / 2, buf.data(), 1024, at).delay;
      at = init.write(static_cast<std::uint64_t>(k) * 4096 + 100, buf.data(), 64, at).delay;
      reports.push_back(dram.energy());
    }
    wait(at + sc_time(10, SC_US));  // idle: background and refresh only
    reports.push_back(dram.energy());
  });
  i.socket.bind(dram.socket);
  sc_start();

  REQUIRE(reports.size() == 10);
  CHECK(reports.front().total_pj() == 0);
  for (std::size_t k = 1; k < reports.size(); ++k) {
    INFO("step " << k);
    CHECK(reports[k].total_pj() > reports[k - 1].total_pj());
    CHECK(reports[k].activate_pj >= reports[k - 1].activate_pj);
    CHECK(reports[k].background_pj > reports[k - 1].background_pj);
  }
  const dnnvp::DramEnergyReport& last = reports.back();
  CHECK(last.activate_pj > 0);
  CHECK(last.read_pj > 0);
  CHECK(last.write_pj > 0);
  CHECK(last.refresh_pj > 0);
  CHECK(last.read_pj == Approx(8 * 1024 * DramTiming::preset("lpddr4-3200").energy.read_pj_per_byte));
  CHECK(reports[9].activate_pj == reports[8].activate_pj);  // idle: no new activates
  CHECK(dram.counters("unknown").energy_pj > 0);            // untagged traffic is still counted
}

TEST_CASE("dram DMI pointer sees the same bytes as b_transport", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::BusConfig config;
  config.initiators = {"cpu"};
  config.targets = {{"dram", 0x80000000, 16 * kMiB}};
  dnnvp::Bus bus("bus", config);
  Dram dram("dram", 16 * kMiB, DramTiming::preset("ddr4-2400"));
  bool granted = false;
  tlm::tlm_dmi dmi;
  std::uint32_t via_transport = 0;
  std::uint64_t counted_before = 0, counted_after = 0;
  Initiator cpu("cpu", [&](Initiator& i) {
    const std::uint32_t pattern = 0xCAFEF00D;
    i.write32(0x80001230, pattern);
    granted = i.dmi(0x80001230, dmi);
    REQUIRE(granted);
    std::uint32_t seen = 0;
    std::memcpy(&seen, dmi.get_dmi_ptr() + (0x80001230 - dmi.get_start_address()), 4);
    CHECK(seen == pattern);
    const std::uint32_t other = 0x12345678;
    std::memcpy(dmi.get_dmi_ptr() + (0x80ABCDE0 - dmi.get_start_address()), &other, 4);
    counted_before = dram.counters("cpu").transactions;
    i.read32(0x80ABCDE0, via_transport);
    counted_after = dram.counters("cpu").transactions;
    dram.set_dmi_enabled(false);  // revokes the pointer
  });
  cpu.socket.bind(bus.initiator_socket("cpu"));
  bus.target_socket("dram").bind(dram.socket);
  dram.load(0x100, "loader", 6);
  sc_start();

  CHECK(dmi.get_start_address() == 0x80000000);
  CHECK(dmi.get_end_address() == 0x80000000 + 16 * kMiB - 1);
  CHECK(dmi.is_read_write_allowed());
  CHECK(dmi.get_dmi_ptr() == dram.data());
  CHECK(dmi.get_read_latency() == dram.cycle_to_time(16 + 4));
  CHECK(via_transport == 0x12345678);
  CHECK(counted_after == counted_before + 1);  // DMI accesses are not counted; b_transport is
  CHECK(std::memcmp(dram.ptr(0x100, 6), "loader", 6) == 0);
  CHECK_THROWS_AS(dram.ptr(16 * kMiB - 2, 4), std::out_of_range);
  REQUIRE(cpu.invalidations.size() == 1);
  CHECK(cpu.invalidations[0].first == 0x80000000);
  CHECK(cpu.invalidations[0].second == 0x80000000 + 16 * kMiB - 1);
}

TEST_CASE("dram answers out-of-range accesses with an address error", "[dram]") {
  dnnvp::test::one_simulation_per_process();
  Dram dram("dram", 1 * kMiB, DramTiming::preset("ddr4-2400"));
  std::vector<tlm::tlm_response_status> status;
  Initiator i("i", [&](Initiator& init) {
    unsigned char buf[8] = {};
    status.push_back(init.read(kMiB - 8, buf, 8).status);
    status.push_back(init.read(kMiB - 4, buf, 8).status);
    status.push_back(init.write(kMiB, buf, 1).status);
    status.push_back(init.read(std::uint64_t{1} << 40, buf, 4).status);
  });
  i.socket.bind(dram.socket);
  sc_start();
  CHECK(status == std::vector<tlm::tlm_response_status>{tlm::TLM_OK_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE,
                                                        tlm::TLM_ADDRESS_ERROR_RESPONSE,
                                                        tlm::TLM_ADDRESS_ERROR_RESPONSE});
  CHECK(dram.counters("unknown").transactions == 1);
  CHECK_THROWS_AS(DramTiming::preset("ddr5"), std::invalid_argument);
  // Loaders get the same bounds check, with the file named.
  const std::string file = "dram_load_file.bin";
  std::ofstream(file, std::ios::binary) << "weights";
  CHECK(dram.load_file(kMiB - 7, file) == 7);
  CHECK(std::memcmp(dram.ptr(kMiB - 7, 7), "weights", 7) == 0);
  CHECK_THROWS_WITH(dram.load_file(kMiB - 6, file),
                    Catch::Contains("dram_load_file.bin: 7 bytes do not fit"));
  CHECK_THROWS_WITH(dram.load_file(0, "no_such_file.bin"), Catch::Contains("no_such_file.bin: cannot read"));
}
