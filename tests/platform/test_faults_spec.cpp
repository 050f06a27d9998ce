// The fault grammar (platform/faults/fault_spec.h) and the scenario's `faults:` list: every kind and
// trigger parses to what it says, and bad input is an error naming the key (the scenario: file:line:field).
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "error.h"
#include "fault_spec.h"
#include "scenario.h"

namespace fs = std::filesystem;
using dnnvp::faults::Kind;
using dnnvp::faults::parse;
using dnnvp::faults::SpecError;
using dnnvp::faults::When;

namespace {

// The key a bad spec's error names, and its message.
std::pair<std::string, std::string> error_of(const std::string& spec) {
  try {
    parse(spec);
  } catch (const SpecError& e) {
    return {e.key(), e.what()};
  }
  FAIL("no error for " << spec);
  return {};
}

}  // namespace

TEST_CASE("faults: a DRAM flip parses its range, bit count, seed and trigger", "[faults]") {
  const auto s = parse("dram_flip:addr=0x80100000..0x80100fff,bits=3,seed=7,at=layer:2");
  CHECK(s.kind == Kind::kDramFlip);
  CHECK(s.first == 0x80100000u);
  CHECK(s.last == 0x80100fffu);
  CHECK(s.bits == 3);
  CHECK(s.seed == 7);
  CHECK(s.at.kind == When::Kind::kLayer);
  CHECK(s.at.value == 2);
  CHECK(s.at.text == "layer:2");
  const auto one = parse("dram_flip:addr=4096,bits=8");
  CHECK(one.first == 4096);
  CHECK(one.last == 4096);
  CHECK(one.at.kind == When::Kind::kStart);
  CHECK(one.seed == 1);
}

TEST_CASE("faults: a DRAM flip of listed bits keeps them in order", "[faults]") {
  const auto s = parse("dram_flip:list=0x80100004.3/0x80100010.7,at=cycle:1000");
  REQUIRE(s.listed.size() == 2);
  CHECK(s.listed[0] == std::pair<std::uint64_t, unsigned>{0x80100004u, 3});
  CHECK(s.listed[1] == std::pair<std::uint64_t, unsigned>{0x80100010u, 7});
  CHECK(s.at.kind == When::Kind::kCycle);
  CHECK(s.at.value == 1000);
}

TEST_CASE("faults: a stream stall takes stream letters and roles, and every trigger", "[faults]") {
  const auto s = parse("stream_stall:stream=weights,cycles=500,at=tile:3");
  CHECK(s.kind == Kind::kStreamStall);
  CHECK(s.stream == 'w');
  CHECK(s.cycles == 500);
  CHECK(s.at.kind == When::Kind::kTile);
  CHECK(s.at.value == 3);
  CHECK(parse("stream_stall:stream=y,cycles=1").stream == 'y');
  const auto named = parse("stream_stall:stream=x,cycles=1,at=layer:res1.conv1");
  CHECK(named.at.kind == When::Kind::kLayer);
  CHECK(named.at.layer == "res1.conv1");
}

TEST_CASE("faults: a DMA error names its channel, transfer and response", "[faults]") {
  const auto s = parse("dma_error:channel=dma0.s2mm,nth=3,response=decode");
  CHECK(s.kind == Kind::kDmaError);
  CHECK(s.dma == "dma0");
  CHECK(s.s2mm);
  CHECK(s.nth == 3);
  CHECK(s.decode);
  const auto d = parse("dma_error:channel=dma1.mm2s");
  CHECK(d.dma == "dma1");
  CHECK_FALSE(d.s2mm);
  CHECK(d.nth == 1);
  CHECK_FALSE(d.decode);
}

TEST_CASE("faults: a lost interrupt names its source and raise", "[faults]") {
  const auto s = parse("irq_lost:source=dma0_s2mm,nth=2");
  CHECK(s.kind == Kind::kIrqLost);
  CHECK(s.source == "dma0_s2mm");
  CHECK(s.nth == 2);
  CHECK(parse("irq_lost:source=engine").nth == 1);
}

TEST_CASE("faults: bad specs are errors naming the key at fault", "[faults]") {
  CHECK(error_of("dram_flop:addr=1,bits=1").second.find("unknown fault kind 'dram_flop'") !=
        std::string::npos);
  CHECK(error_of("dram_flip:addr=1,bits=0").first == "bits");
  CHECK(error_of("dram_flip:addr=1,bits=9").first == "bits");  // one byte has 8 bits
  CHECK(error_of("dram_flip:addr=0x20..0x10,bits=1").first == "addr");
  CHECK(error_of("dram_flip:addr=zz,bits=1").first == "addr");
  CHECK(error_of("dram_flip:bits=1").first == "addr");
  CHECK(error_of("dram_flip:addr=1,bits=1,list=1.2").first == "addr");
  CHECK(error_of("dram_flip:list=0x10.8").first == "list");
  CHECK(error_of("dram_flip:list=0x10.1/0x10.1").first == "list");
  CHECK(error_of("dram_flip:addr=1,bits=1,at=soon").first == "at");
  CHECK(error_of("dram_flip:addr=1,bits=1,at=tile:0").first == "at");
  CHECK(error_of("dram_flip:addr=1,bits=1,bits=2").first == "bits");
  CHECK(error_of("dram_flip:addr=1,bits=1,colour=red").first == "colour");
  CHECK(error_of("dram_flip:addr=1,bits").first.empty());
  CHECK(error_of("stream_stall:stream=z,cycles=1").first == "stream");
  CHECK(error_of("stream_stall:stream=x,cycles=-1").first == "cycles");
  CHECK(error_of("stream_stall:stream=x").first == "cycles");
  CHECK(error_of("dma_error:channel=dma0.tx").first == "channel");
  CHECK(error_of("dma_error:channel=dma0.mm2s,nth=0").first == "nth");
  CHECK(error_of("dma_error:channel=dma0.mm2s,response=parity").first == "response");
  CHECK(error_of("dma_error:channel=dma0.mm2s,at=cycle:5").first == "at");  // nth is its time
  CHECK(error_of("irq_lost:nth=2").first == "source");
  CHECK(error_of("irq_lost:source=engine,nth=0").first == "nth");
}

TEST_CASE("faults: a scenario's faults list is checked with file, line and field", "[faults]") {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / "faults_scenario";
  fs::create_directories(dir);
  const fs::path file = dir / "f.yaml";
  const auto write = [&file](const std::string& faults) {
    std::ofstream(file) << "name: f\nnetwork:\n  zoo: tiny_cnn\nhardware:\n  rows: 4\n  cols: 8\n" << faults;
  };
  write("faults:\n  - dram_flip:addr=0x9ff00000..0x9fffffff,bits=4\n  - stream_stall:stream=x,cycles=100\n");
  const dnnvp::Scenario s = dnnvp::load_scenario(file.string());
  REQUIRE(s.faults.size() == 2);
  CHECK(s.faults[1] == "stream_stall:stream=x,cycles=100");

  write("faults:\n  - stream_stall:stream=x,cycles=100\n  - stream_stall:stream=q,cycles=100\n");
  CHECK_THROWS_WITH(dnnvp::load_scenario(file.string()),
                    file.string() +
                        ":9: faults[1].stream: must be x (input), w (weights), r (operand) or y "
                        "(output), got 'q'");
  write("faults:\n  - {kind: dram_flip}\n");
  CHECK_THROWS_WITH(dnnvp::load_scenario(file.string()),
                    Catch::Contains(":8: faults[0]: must be a fault spec"));
  write("faults: dram_flip:addr=1,bits=1\n");
  CHECK_THROWS_WITH(dnnvp::load_scenario(file.string()), Catch::Contains(":7: faults: must be a list"));
}
