// The "rtl" engine (models/engine/) around the 4x8 Verilated engine: a layer of tiny_cnn
// programmed by the firmware driver and fed through AxisChannels, bit-exact against the golden model,
// with and without random stalls and back-pressure; the watchdog; register access errors and timing;
// determinism across processes; the FST trace. One SystemC simulation per test case (ctest runs each
// in its own process).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "bridge_bench.h"
#include "dnnvp_memory_map.hpp"
#include "engine/engine_factory.h"
#include "sim_util.h"
#include "stats.h"

using namespace sc_core;
using bridge_test::BenchOptions;
using bridge_test::BenchResult;
using dnnvp::test::Access;
using dnnvp::test::Initiator;
namespace mm = dnnvp::memory_map::engine;

namespace {

BenchOptions conv1() {
  BenchOptions o;
  o.scenario = DNNVP_BRIDGE_SCENARIO;
  o.layers = {"conv1"};
  o.cpu_access_time = sc_time(20, SC_NS);  // a few CPU instructions between two register accesses
  return o;
}

void require_bit_exact(const BenchResult& r) {
  INFO(r.summary);
  for (const std::string& e : r.errors) UNSCOPED_INFO(e);
  REQUIRE(r.errors.empty());
  REQUIRE(r.finished);
  REQUIRE_FALSE(r.watchdog);
  REQUIRE(r.exit_status == 0);
  REQUIRE(!r.layers.empty());
  for (const auto& l : r.layers) {
    INFO(l.name);
    CHECK(l.mismatches == 0);
    CHECK(l.elements > 0);
    CHECK(l.macs == l.layer_macs);  // the engine's MAC counter agrees with the layer's shape
    CHECK(l.cycles > 0);
  }
}

}  // namespace

TEST_CASE("conv1 of tiny_cnn runs bit-exact through the bridge", "[bridge]") {
  dnnvp::test::one_simulation_per_process();
  BenchOptions o = conv1();
  o.enable_irq = true;
  const BenchResult r = bridge_test::run_bench(o);
  require_bit_exact(r);
  CHECK_FALSE(r.irq_before);  // enabled, nothing pending
  CHECK(r.irq_at_end);        // tiles completed: pending, and never cleared
  const auto& l = r.layers.at(0);
  CHECK(l.tiles == 4);
  // conv1: 16x16x3 -> 16x16x8, 4 tiles of 64 pixels; bands of up to 6 rows (18 pixels..), blob each tile.
  CHECK(r.numbers.beats_y == std::uint64_t{4} * 64 * 8 / 8);  // 512 output bytes per tile, 8-byte beats
  CHECK(r.numbers.beats_w > 0);
  CHECK(r.numbers.beats_x > 0);
  CHECK(r.numbers.stalls_x == 0);
  CHECK(r.numbers.stalls_y == 0);
  // Time and cycles agree: every engine cycle is one clock period of simulated time (4 ns at 250 MHz).
  CHECK(r.numbers.engine_cycles == r.numbers.clocked + r.numbers.skipped);
  CHECK(r.numbers.sim_time_ps >= r.numbers.engine_cycles * 4000);
  // The engine's busy-cycle counter counts the cycles the bridge clocked with busy_o high (minus the
  // cycles of the CLEAR at the start of the layer).
  CHECK(l.cycles <= r.numbers.busy);
  CHECK(r.numbers.busy - l.cycles < 16);
  // It idled while the CPU was setting up: cycles were skipped, not clocked.
  CHECK(r.numbers.skipped > 0);
  std::printf("%s\nconv1: engine CYCLES %llu, stalls in/w/out %llu/%llu/%llu; wall %.3f s\n",
              r.summary.c_str(), static_cast<unsigned long long>(l.cycles),
              static_cast<unsigned long long>(l.stall_input), static_cast<unsigned long long>(l.stall_weight),
              static_cast<unsigned long long>(l.stall_output), r.wall_seconds);
}

TEST_CASE("random stalls on every stream keep the outputs bit-exact", "[bridge][stalls]") {
  dnnvp::test::one_simulation_per_process();
  BenchOptions o = conv1();
  o.stall_seed = 7;
  o.stall_probability = 0.5;
  const BenchResult r = bridge_test::run_bench(o);
  require_bit_exact(r);
  CHECK(r.numbers.stalls_x > 0);
  CHECK(r.numbers.stalls_w > 0);
  CHECK(r.numbers.stalls_y > 0);
  CHECK(r.numbers.counter_stall_output > 0);  // withheld tready shows in the engine's own counter
}

TEST_CASE("a full output channel back-pressures the engine and slow producers starve it",
          "[bridge][backpressure]") {
  dnnvp::test::one_simulation_per_process();
  BenchOptions o = conv1();
  o.y_capacity = 2;
  o.x_capacity = 4;
  o.w_capacity = 4;
  o.consumer_beat_time = sc_time(40, SC_NS);  // one beat per 10 engine cycles
  o.producer_beat_time = sc_time(12, SC_NS);  // one beat per 3 engine cycles
  const BenchResult r = bridge_test::run_bench(o);
  require_bit_exact(r);
  CHECK(r.y_full_cycles > 0);                 // tready held low because the channel was full
  CHECK(r.numbers.counter_stall_output > 0);  // ... and the engine saw it as output stall
  CHECK(r.numbers.counter_stall_input > 0);   // the slow band producer starved the core
  CHECK(r.x_waiting > 0);
}

TEST_CASE("the watchdog stops an engine whose band never arrives and reports the streams",
          "[bridge][watchdog]") {
  dnnvp::test::one_simulation_per_process();
  BenchOptions o = conv1();
  o.withhold_first_band = true;
  o.watchdog_cycles = 2000;
  const BenchResult r = bridge_test::run_bench(o);
  std::printf("%s", r.watchdog_text.c_str());
  INFO(r.watchdog_text);
  REQUIRE(r.watchdog);
  CHECK(r.exit_status == 124);
  CHECK_FALSE(r.finished);  // the firmware was still polling STATUS when the simulation stopped
  CHECK(r.errors.empty());  // no error response: polling is legal, it just never ends
  // Polling reads are not progress: it fired about 2000 cycles after the blob's last beat.
  CHECK(r.numbers.engine_cycles < 6000);
  CHECK(r.numbers.beats_x == 0);
  CHECK(r.numbers.beats_w > 0);
  CHECK(r.watchdog_text.find("no progress") != std::string::npos);
  CHECK(r.watchdog_text.find("s_axis_x: tvalid=0 tready=1, channel 'x' 0/16 beats queued, 0 beats") !=
        std::string::npos);
  CHECK(r.watchdog_text.find("s_axis_w:") != std::string::npos);
  CHECK(r.watchdog_text.find("m_axis_y: tvalid=0") != std::string::npos);
  CHECK(r.watchdog_text.find("queued tiles=1 tiles completed=0") != std::string::npos);
  CHECK((r.watchdog_status & 1u) == 1u);          // BUSY
  CHECK(((r.watchdog_status >> 8) & 0xFF) == 1);  // one tile queued
  CHECK(r.stats_json.find("\"watchdog\":1") != std::string::npos);
}

TEST_CASE("work issued to the PE array is progress: a short watchdog window lets every layer finish",
          "[bridge][watchdog]") {
  dnnvp::test::one_simulation_per_process();
  BenchOptions o;
  o.scenario = DNNVP_BRIDGE_SCENARIO;
  // Tiles compute for thousands of cycles between two handshakes (bands and weights buffered).
  o.watchdog_cycles = 100;
  const BenchResult r = bridge_test::run_bench(o);
  require_bit_exact(r);
  const nlohmann::json stats = nlohmann::json::parse(r.stats_json);
  const nlohmann::json& engine = stats.at("engine");
  CHECK(engine.at("compute_cycles").get<std::uint64_t>() > 0);
  // The longest stretch without progress is far below the shortest window the bridge uses.
  CHECK(engine.at("longest_no_progress_cycles").get<std::uint64_t>() * 4 <
        dnnvp::min_watchdog_cycles(dnnvp::engine_kind("rtl").shape()));
}

TEST_CASE("register accesses take their AXI4-Lite cycles and bad ones get error responses",
          "[bridge][registers]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), res("r", 4, 8), y("y", 4, 8);
  dnnvp::Stats stats;
  const auto engine =
      dnnvp::make_engine("rtl", "engine", x, w, res, y, bridge_test::engine_options(), &stats);  // 4 ns clock
  std::vector<Access> r;
  std::vector<sc_time> t;
  std::uint32_t id = 0, array = 0, junk = 0, bits = 0, tile_p = 0;
  unsigned dbg = 99;
  std::uint64_t skipped = 0, cycles = 0, clocked_before = 0, clocked_after = 0;
  Initiator cpu("cpu", [&](Initiator& i) {
    wait(100, SC_NS);
    r.push_back(i.read32(mm::kId, id));  // 0: ID, 2 engine cycles
    t.push_back(sc_time_stamp());
    r.push_back(i.write32(mm::kTileP, 17));  // 1: TILE_P, 3 cycles
    t.push_back(sc_time_stamp());
    r.push_back(i.read32(mm::kTileP, tile_p));                       // 2
    r.push_back(i.read32(mm::kHwArray, array, sc_time(10, SC_NS)));  // 3: at 10 ns local offset -> next edge
    t.push_back(sc_time_stamp());
    unsigned char buf[8] = {};
    r.push_back(i.read(mm::kId + 2, buf, 4));  // 4: misaligned
    r.push_back(i.read(mm::kId, buf, 2));      // 5: halfword
    r.push_back(i.read(mm::kId, buf, 8));      // 6: burst
    r.push_back(i.read32(mm::kDescriptorLast + 4, junk));  // 7: unmapped offset -> the RTL's SLVERR
    r.push_back(i.write32(mm::kId, 1));        // 8: read-only ID -> SLVERR
    r.push_back(i.read32(mm::kSize, junk));    // 9: beyond the window
    unsigned char be[4] = {0xFF, 0xFF, 0x00, 0xFF};
    r.push_back(i.access(tlm::TLM_WRITE_COMMAND, mm::kInW, buf, 4, SC_ZERO_TIME, be, 4));  // 10: byte enables
    dbg = i.debug(tlm::TLM_READ_COMMAND, mm::kId, buf, 4);
    clocked_before = engine->cycles_clocked();
    wait(10, SC_US);                           // idle: the engine is not clocked
    r.push_back(i.read32(mm::kHwBits, bits));  // 11
    t.push_back(sc_time_stamp());
    skipped = engine->cycles_skipped();
    cycles = engine->cycles();
    clocked_after = engine->cycles_clocked();
  });
  cpu.socket.bind(engine->socket);
  sc_start();

  REQUIRE(r.size() == 12);
  CHECK(r[0].status == tlm::TLM_OK_RESPONSE);
  CHECK(id == 0x444E4E45u);
  CHECK(t[0] == sc_time(108, SC_NS));  // AR handshake on the first edge, R on the second
  CHECK(r[1].status == tlm::TLM_OK_RESPONSE);
  CHECK(t[1] == sc_time(120, SC_NS));  // AW+W, write, B: 3 cycles
  CHECK(tile_p == 17);
  CHECK(r[3].status == tlm::TLM_OK_RESPONSE);
  CHECK(array == (8u << 16 | 4u));              // Cols 8, Rows 4
  CHECK(r[3].delay == SC_ZERO_TIME);            // the local offset was waited for inside
  CHECK(t[2] == sc_time(128 + 12 + 8, SC_NS));  // 128 + 10 -> edge at 140, 2 cycles
  CHECK(r[4].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(r[5].status == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(r[6].status == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(r[7].status == tlm::TLM_GENERIC_ERROR_RESPONSE);
  CHECK(r[8].status == tlm::TLM_GENERIC_ERROR_RESPONSE);
  CHECK(r[9].status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(r[10].status == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  CHECK(dbg == 0);
  CHECK(r[11].status == tlm::TLM_OK_RESPONSE);
  CHECK(bits == (8u << 24 | 32u << 16 | 8u << 8 | 8u));
  // The 10 us of idleness were skipped (2500 cycles) and still counted; time and cycles agree.
  CHECK(skipped >= 2500);
  CHECK(clocked_after - clocked_before == 2);  // only the read's two cycles were clocked
  CHECK(cycles * 4000 == static_cast<std::uint64_t>(std::llround(t[3].to_seconds() * 1e12)));
  CHECK(engine->cycles_clocked() < 100);
  CHECK(stats.value("engine.registers.errors").get<std::uint64_t>() == 7);
  CHECK(stats.value("engine.registers.reads").get<std::uint64_t>() == 5);   // 0, 2, 3, 7, 11
  CHECK(stats.value("engine.registers.writes").get<std::uint64_t>() == 2);  // 1, 8
}

TEST_CASE("same seeds give identical cycle counts in two processes", "[bridge][determinism]") {
  dnnvp::test::one_simulation_per_process();
  // SystemC cannot restart a simulation: each run is a child process, sending its numbers back.
  auto run_child = [](std::uint64_t seed) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      BenchOptions o = conv1();
      o.stall_seed = seed;
      o.stall_probability = 0.3;
      o.producer_beat_time = sc_time(4, SC_NS);
      bridge_test::BenchNumbers n{};
      try {
        const BenchResult r = bridge_test::run_bench(o);
        n = r.numbers;
        if (!r.errors.empty() || !r.finished) n.mismatches = ~std::uint64_t{0};
      } catch (...) {
        n.mismatches = ~std::uint64_t{0};
      }
      const ssize_t written = write(fds[1], &n, sizeof n);
      _exit(written == static_cast<ssize_t>(sizeof n) ? 0 : 1);
    }
    close(fds[1]);
    bridge_test::BenchNumbers n{};
    std::size_t got = 0;
    while (got < sizeof n) {
      const ssize_t k = read(fds[0], reinterpret_cast<char*>(&n) + got, sizeof n - got);
      if (k <= 0) break;
      got += static_cast<std::size_t>(k);
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(got == sizeof n);
    REQUIRE(n.mismatches == 0);
    return n;
  };
  const auto a = run_child(11), b = run_child(11), c = run_child(12);
  CHECK(a.sim_time_ps == b.sim_time_ps);
  CHECK(a.engine_cycles == b.engine_cycles);
  CHECK(a.clocked == b.clocked);
  CHECK(a.busy == b.busy);
  CHECK(a.counter_cycles == b.counter_cycles);
  CHECK(a.counter_stall_input == b.counter_stall_input);
  CHECK(a.counter_stall_output == b.counter_stall_output);
  CHECK(a.stalls_x == b.stalls_x);
  CHECK(a.stalls_w == b.stalls_w);
  CHECK(a.stalls_y == b.stalls_y);
  CHECK(a.output_hash == b.output_hash);
  // Another seed stalls differently, same results.
  CHECK(c.output_hash == a.output_hash);
  CHECK((c.counter_cycles != a.counter_cycles || c.stalls_x != a.stalls_x));
  std::printf(
      "seed 11: %llu engine cycles (CYCLES %llu); seed 12: %llu (CYCLES %llu)\n",
      static_cast<unsigned long long>(a.engine_cycles), static_cast<unsigned long long>(a.counter_cycles),
      static_cast<unsigned long long>(c.engine_cycles), static_cast<unsigned long long>(c.counter_cycles));
}

TEST_CASE("an FST trace of a window of engine cycles", "[bridge][trace]") {
  dnnvp::test::one_simulation_per_process();
  REQUIRE(dnnvp::engine_kind("rtl").shape().trace);
  BenchOptions o = conv1();
  o.trace_file = std::string(DNNVP_TEST_TMP) + "/engine_bridge_trace.fst";
  std::remove(o.trace_file.c_str());
  o.trace_from = 100;
  o.trace_to = 400;
  const BenchResult r = bridge_test::run_bench(o);
  require_bit_exact(r);
  std::ifstream f(o.trace_file, std::ios::binary | std::ios::ate);
  REQUIRE(f.good());
  CHECK(f.tellg() > 1000);
}

TEST_CASE("the bridge refuses channels of another width and traces it cannot write", "[bridge][config]") {
  dnnvp::test::one_simulation_per_process();
  const auto shape = dnnvp::engine_kind("rtl").shape();
  CHECK(shape.rows == 4);
  CHECK(shape.cols == 8);
  CHECK(shape.stream_bits == 64);
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 4), r("r", 4, 8), y("y", 4, 8);
  CHECK_THROWS_WITH(dnnvp::make_engine("rtl", "e1", x, w, r, y, bridge_test::engine_options()),
                    Catch::Contains("channel 'w' carries 4-byte beats") && Catch::Contains("64 bits"));
  dnnvp::AxisChannel w8("w8", 4, 8);
  dnnvp::EngineOptions c = bridge_test::engine_options();
  c.trace_file = "/nonexistent-dir/trace.fst";
  CHECK_THROWS_WITH(dnnvp::make_engine("rtl", "e2", x, w8, r, y, c), Catch::Contains("cannot open trace file"));
  c.trace_file.clear();
  c.max_batch_cycles = 0;
  CHECK_THROWS_AS(dnnvp::make_engine("rtl", "e3", x, w8, r, y, c), std::invalid_argument);
}
