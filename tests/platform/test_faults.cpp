// Fault injection end to end (docs/debugging.md, "Fault injection"): tiny_cnn on the 4x8 simulator, one
// vp_run that generates it with layer dumps, then vp_sim on that directory with each fault. Every report
// lists the faults with when they acted and what they did, and how the run ended.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hex.h"
#include "run_tool.h"

namespace fs = std::filesystem;
using dnnvp::hex;
using dnnvp_test::run_tool;
using dnnvp_test::ToolRun;
using nlohmann::json;

namespace {

json read_json(const fs::path& file) {
  std::ifstream f(file);
  REQUIRE(f.good());
  return json::parse(f);
}

// tiny_cnn generated with layer dumps and its plain run (the case [.baseline], a ctest fixture of the
// others): what every fault is compared with.
struct Baseline {
  fs::path dir = fs::path(DNNVP_TEST_TMP) / "faults_tiny_cnn";
  json report, manifest;
};

const Baseline& baseline() {
  static const Baseline b = [] {
    Baseline out;
    out.report = read_json(out.dir / "report.json");
    out.manifest = read_json(out.dir / "manifest.json");
    return out;
  }();
  return b;
}

// vp_sim on the baseline's directory with these faults (and other options); the report (exit status in
// `status`). With `console`, the run is not quiet and its output goes there.
json inject(const std::string& name, const std::vector<std::string>& specs, int& status,
            std::string* console = nullptr, const std::vector<std::string>& options = {}) {
  const Baseline& b = baseline();
  const fs::path out = fs::path(DNNVP_TEST_TMP) / ("faults_" + name);
  fs::remove_all(out);
  std::vector<std::string> argv = {DNNVP_VP_SIM_4X8,
                                   "--dir",
                                   b.dir.string(),
                                   "--firmware",
                                   (b.dir / "firmware.elf").string(),
                                   "--report",
                                   (out / "report.json").string()};
  if (console == nullptr) argv.push_back("-q");
  argv.insert(argv.end(), options.begin(), options.end());
  for (const std::string& s : specs) argv.insert(argv.end(), {"--inject", s});
  const ToolRun r = run_tool(argv, out);
  UNSCOPED_INFO(r.output);
  status = r.status;
  if (console != nullptr) *console = r.output;
  return read_json(out / "report.json");
}

const json& layer_named(const json& manifest, const std::string& name) {
  for (const json& l : manifest.at("layers"))
    if (l.at("name") == name) return l;
  FAIL("no layer " << name);
  return manifest;
}

std::uint64_t cycles_of(const json& report) {
  return report.at("totals").at("cycles").get<std::uint64_t>();
}

}  // namespace

TEST_CASE("faults: tiny_cnn without faults passes with no faults section", "[.baseline]") {
  const fs::path dir = Baseline{}.dir;
  fs::remove_all(dir);
  const ToolRun r = run_tool({DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml",
                              "--out", dir.string(), "--dump-layers", "-q"},
                             dir);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_FALSE(baseline().report.contains("faults"));
}

TEST_CASE("faults: DRAM bits flipped in a layer's weights end the run mismatch at that layer", "[faults]") {
  const json& blob = layer_named(baseline().manifest, "res1.conv1").at("blob");
  const std::uint64_t first = blob.at("addr");
  const std::string spec =
      "dram_flip:addr=" + hex(first) + ".." + hex(first + 255) + ",bits=16,seed=5,at=layer:1";
  int status = 0;
  const json r = inject("flip_weights", {spec}, status);
  CHECK(status == 1);
  CHECK(r.at("status") == "fail");
  CHECK(r.at("bit_exact") == false);
  CHECK(r.at("layer_check").at("first_divergence").at("layer") == "res1.conv1");
  const json& faults = r.at("faults");
  CHECK(faults.at("outcome").at("result") == "mismatch");
  REQUIRE(faults.at("list").size() == 1);
  const json& f = faults.at("list")[0];
  CHECK(f.at("spec") == spec);
  CHECK(f.at("kind") == "dram_flip");
  CHECK(f.at("at") == "layer:1");
  CHECK(f.at("injected").at("layer").at("index") == 1);
  CHECK(f.at("injected").at("layer").at("name") == "conv2");
  CHECK(f.at("injected").at("cycle").get<std::uint64_t>() > 0);
  const json& bits = f.at("effect").at("bits");
  CHECK(f.at("effect").at("bits_flipped") == 16);
  REQUIRE(bits.size() == 16);
  for (const json& b : bits) {
    const std::uint64_t address = std::stoull(b.at("address").get<std::string>(), nullptr, 16);
    CHECK(address >= first);
    CHECK(address <= first + 255);
    CHECK((b.at("before").get<int>() ^ b.at("after").get<int>()) == (1 << b.at("bit").get<int>()));
  }
}

TEST_CASE("faults: DRAM bits flipped where nothing reads leave the run bit-exact", "[faults]") {
  // The last 4 KiB of DRAM: above the model, the firmware and its stack.
  const json& dram = baseline().manifest.at("hardware").at("dram");
  const std::uint64_t end =
      dram.at("base").get<std::uint64_t>() + (dram.at("size_mib").get<std::uint64_t>() << 20);
  int status = 0;
  const json r =
      inject("flip_unused", {"dram_flip:list=" + hex(end - 4096) + ".0/" + hex(end - 1) + ".7"}, status);
  CHECK(status == 0);
  CHECK(r.at("status") == "pass");
  CHECK(cycles_of(r) == cycles_of(baseline().report));
  const json& f = r.at("faults").at("list")[0];
  CHECK(f.at("injected").at("cycle") == 0);
  CHECK(f.at("effect").at("bits")[1].at("address") == hex(end - 1));
  CHECK(f.at("effect").at("bits")[1].at("after") == 128);
  CHECK(r.at("faults").at("outcome").at("result") == "pass");
}

TEST_CASE("faults: an engine stream stalled for N cycles stays bit-exact and takes about N cycles more",
          "[faults]") {
  constexpr std::uint64_t kStall = 20000;
  const std::string cycles = ",cycles=" + std::to_string(kStall);
  // Input and weights at a layer's start, the output once three tiles are out.
  for (const auto& [name, spec, layer] :
       {std::tuple{"x", "stream_stall:stream=x" + cycles + ",at=layer:res1.conv1", "res1.conv1"},
        std::tuple{"w", "stream_stall:stream=weights" + cycles + ",at=layer:2", "res1.conv1"},
        std::tuple{"y", "stream_stall:stream=y" + cycles + ",at=tile:3", "res1.conv1"}}) {
    INFO(spec);
    int status = 0;
    const json r = inject(std::string("stall_") + name, {spec}, status);
    CHECK(status == 0);
    CHECK(r.at("bit_exact") == true);
    const std::int64_t grown =
        static_cast<std::int64_t>(cycles_of(r)) - static_cast<std::int64_t>(cycles_of(baseline().report));
    CHECK(grown > static_cast<std::int64_t>(kStall * 9 / 10));
    CHECK(grown < static_cast<std::int64_t>(kStall * 11 / 10));
    const json& f = r.at("faults").at("list")[0];
    CHECK(f.at("injected").at("layer").at("name") == layer);
    CHECK(f.at("effect").at("cycles_stalled") == kStall);
    CHECK(f.at("effect").at("until_cycle") == f.at("injected").at("cycle").get<std::uint64_t>() + kStall);
  }
  int status = 0;
  const json r = inject("stall_at_cycle", {"stream_stall:stream=x,cycles=100,at=cycle:90000"}, status);
  CHECK(status == 0);
  CHECK(r.at("faults").at("list")[0].at("injected").at("cycle") == 90000);
}

TEST_CASE(
    "faults: a DMA slave or decode error on a channel's Nth transfer reaches the driver, which resets the "
    "DMA",
    "[faults]") {
  for (const char* response : {"slave", "decode"}) {
    INFO(response);
    int status = 0;
    std::string console;
    const json r =
        inject(std::string("dma_") + response,
               {std::string("dma_error:channel=dma0.s2mm,nth=3,response=") + response}, status, &console);
    // The runtime's message: the channel, its DMASR (the error bit and Err_Irq set) and the reset's result.
    CHECK_THAT(console, Catch::Contains("DMA error: S2MM channel of the DMA at 0x40400000, DMASR 0x000") &&
                            Catch::Contains("; DMA reset: ok"));
    const std::string field = response == std::string("slave") ? "DMASlvErr" : "DMADecErr";
    // The firmware sees the error in DMASR (docs/platform.md "Interrupts"), resets the DMA and exits 21.
    CHECK(status == 1);
    CHECK(r.at("end") == "exit");
    CHECK(r.at("exit_code") == 21);
    CHECK_THAT(r.at("message").get<std::string>(), Catch::Contains("dma0.s2mm: ") && Catch::Contains(field));
    const json& f = r.at("faults").at("list")[0];
    CHECK(f.at("target") == "dma0.s2mm transfer 3");
    CHECK(f.at("effect").at("transfer") == 3);
    CHECK(f.at("effect").at("access") == "write");
    CHECK(f.at("effect").at("response") == (response == std::string("slave") ? "SLVERR" : "DECERR"));
    CHECK_THAT(r.at("message").get<std::string>(),
               Catch::Contains(f.at("effect").at("address").get<std::string>()));
    CHECK(r.at("faults").at("outcome").at("result") == "firmware_exit");
  }
  // --stop-on-fault: the run ends at the error, as before the DMA's error semantics.
  int status = 0;
  const json r =
      inject("dma_stop", {"dma_error:channel=dma1.mm2s,nth=2"}, status, nullptr, {"--stop-on-fault"});
  CHECK(status == 3);
  CHECK(r.at("faults").at("outcome").at("result") == "dma_fault");
  CHECK(r.at("faults").at("list")[0].at("effect").at("access") == "read");
}

TEST_CASE("faults: lost interrupts end an interrupt-driven run with a clear fault instead of a hang",
          "[faults]") {
  // The scenario's own faults list, through vp_run: tiny_cnn whose runtime sleeps in wfi. The runtime polls
  // everything after any interrupt, so one lost raise is covered by the next; losing the last tile's
  // engine and output-DMA raises leaves it asleep with nothing pending.
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "faults_irq_lost";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "irq_lost.yaml")
      << "name: irq_lost\nnetwork:\n  zoo: tiny_cnn\nhardware:\n  rows: 4\n  cols: 8\n"
         "firmware:\n  wait: interrupt\nfaults:\n"
         "  - irq_lost:source=dma0_s2mm,nth=9\n  - irq_lost:source=engine,nth=9\n";
  const ToolRun run =
      run_tool({DNNVP_VP_RUN, (dir / "irq_lost.yaml").string(), "--out", (dir / "out").string(), "-q"}, dir);
  INFO(run.output);
  const json r = read_json(dir / "out" / "report.json");
  CHECK(run.status == 124);
  CHECK(r.at("end") == "watchdog");
  CHECK_THAT(r.at("message").get<std::string>(),
             Catch::Contains("the CPU sleeps in wfi (intc PENDING 0x00000000"));
  CHECK(r.at("faults").at("outcome").at("result") == "watchdog");
  const json& list = r.at("faults").at("list");
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("spec") == "irq_lost:source=dma0_s2mm,nth=9");
  CHECK(list[0].at("kind") == "irq_lost");
  CHECK(list[0].at("effect").at("line") == 1);
  CHECK(list[0].at("effect").at("raise") == 9);
  CHECK(list[1].at("effect").at("line") == 4);
  CHECK(list[0].at("injected").at("layer").at("name") == "fc");
}

TEST_CASE("faults: bad fault specs are bad input naming the spec", "[faults]") {
  const fs::path out = fs::path(DNNVP_TEST_TMP) / "faults_bad";
  fs::remove_all(out);
  ToolRun r = run_tool({DNNVP_VP_RUN, std::string(DNNVP_SOURCE_DIR) + "/scenarios/tiny_cnn.yaml", "--out",
                        out.string(), "-q", "--inject", "stream_stall:stream=x,cycles=0"},
                       out);
  CHECK(r.status == 2);
  CHECK_THAT(
      r.output,
      Catch::Contains("--inject 'stream_stall:stream=x,cycles=0': cycles: must be 1..1073741824, got 0"));
  // Specs that parse but name what the platform has not.
  struct Refused {
    const char* name;
    const char* spec;
    const char* message;
  };
  const Refused refused[] = {
      {"outside", "dram_flip:addr=0x1000,bits=1",
       "fault 'dram_flip:addr=0x1000,bits=1': 0x00001000 is outside DRAM"},
      {"no_layer", "stream_stall:stream=x,cycles=5,at=layer:conv9", "at: no layer 'conv9'"},
      {"no_source", "irq_lost:source=uart",
       "source: no interrupt source 'uart' (sources: dma0_mm2s, dma0_s2mm,"},
      {"no_dma", "dma_error:channel=dma7.mm2s", "the platform has no dma7 (its DMAs: dma0, dma1, dma2)"},
      {"no_channel", "dma_error:channel=dma1.s2mm", "dma1 has no S2MM channel"},
  };
  for (const Refused& f : refused) {
    INFO(f.spec);
    int status = 0;
    const json rep = inject(f.name, {f.spec}, status);
    CHECK(status == 2);
    CHECK_THAT(rep.at("message").get<std::string>(), Catch::Contains(f.message));
  }
}
