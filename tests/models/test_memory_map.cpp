// The memory map generator: its outputs against memory_map.yaml (read here independently), the C header
// compiled as C11 by the host compiler (and the RISC-V cross compiler when installed), and its errors.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dnnvp_memory_map.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::uint64_t number(const YAML::Node& n) {
  return std::stoull(n.Scalar(), nullptr, 0);
}

// Runs a shell command; returns its exit code, with stdout+stderr in `output`.
// `tag` names the output file: ctest may run the test cases of this file in parallel.
int run(const std::string& command, std::string& output, const std::string& tag) {
  const std::string out_file = std::string(DNNVP_TEST_TMP) + "/" + tag + ".out";
  const int status = std::system((command + " >" + out_file + " 2>&1").c_str());
  output = slurp(out_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Every #define the firmware should get, with its value, from the YAML.
std::map<std::string, std::uint64_t> expected_macros() {
  std::map<std::string, std::uint64_t> m;
  const YAML::Node root = YAML::LoadFile(DNNVP_MEMORY_MAP_YAML);
  std::map<std::string, YAML::Node> registers_of;
  for (const YAML::Node& r : root["regions"]) {
    const std::string p = "DNNVP_" + upper(r["name"].Scalar());
    m[p + "_BASE"] = number(r["base"]);
    if (r["size"].Scalar() != "scenario") m[p + "_SIZE"] = number(r["size"]);
    YAML::Node regs = r["registers"];
    if (regs && regs.IsScalar()) regs = registers_of.at(regs.Scalar());
    if (regs) registers_of[r["name"].Scalar()] = regs;
    if (!regs) continue;
    for (const YAML::Node& reg : regs) {
      const std::string rp = p + "_" + reg["name"].Scalar();
      m[rp + "_OFFSET"] = number(reg["offset"]);
      if (reg["fields"])
        for (const YAML::Node& f : reg["fields"]) {
          const std::uint64_t lsb = number(f["lsb"]);
          const std::uint64_t width = f["width"] ? number(f["width"]) : 1;
          m[rp + "_" + f["name"].Scalar() + "_SHIFT"] = lsb;
          m[rp + "_" + f["name"].Scalar() + "_MASK"] = ((std::uint64_t{1} << width) - 1) << lsb;
        }
    }
  }
  return m;
}

// A map gen_memory_map must refuse, and what its error says.
struct BadMap {
  std::string yaml;
  const char* message;
};

// gen_memory_map on each map, written to `file`: exit status 1 and the error.
void check_rejected(const std::vector<BadMap>& maps, const std::string& file, const std::string& tag) {
  for (const BadMap& b : maps) {
    INFO(b.yaml);
    std::ofstream(file) << b.yaml;
    std::string output;
    const int rc = run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + file, output, tag);
    INFO(output);
    CHECK(rc == 1);
    CHECK_THAT(output, Catch::Contains(b.message));
  }
}

}  // namespace

TEST_CASE("memory map C header compiles as C11 and defines every region, register and field",
          "[memory_map]") {
  const auto macros = expected_macros();
  REQUIRE(macros.count("DNNVP_UART_BASE"));
  REQUIRE(macros.count("DNNVP_DRAM_BASE"));
  CHECK_FALSE(macros.count("DNNVP_DRAM_SIZE"));  // the scenario sizes the DRAM
  // A C11 translation unit that checks every value at compile time.
  std::ostringstream c;
  c << "#include \"dnnvp_memory_map.h\"\n";
  int n = 0;
  for (const auto& [name, value] : macros)
    c << "_Static_assert(" << name << " == " << value << "ull, \"" << name << "\");\n"
      << "static const unsigned long long check" << n++ << " = " << name << ";\n";
  c << "unsigned long long first_check(void) { return check0";
  for (int k = 1; k < n; ++k) c << " + check" << k;
  c << "; }\n";
  const std::string source = std::string(DNNVP_TEST_TMP) + "/memory_map_check.c";
  std::ofstream(source) << c.str();

  const std::string flags = " -std=c11 -pedantic-errors -Wall -Wextra -Werror -c -o /dev/null -I" +
                            std::string(DNNVP_MEMORY_MAP_INCLUDE_DIR) + " " + source;
  {
    std::string output;
    const int rc = run(std::string(DNNVP_HOST_CC) + flags, output, "c11_host");
    INFO(output);
    CHECK(rc == 0);
  }
  if (std::string(DNNVP_RISCV_CC).empty()) {
    WARN("no RISC-V cross compiler: only the host compiler checked the header");
  } else {
    std::string output;
    const int rc = run(std::string(DNNVP_RISCV_CC) + " -march=rv32imac -mabi=ilp32 -ffreestanding" + flags,
                       output, "c11_riscv");
    INFO(output);
    CHECK(rc == 0);
  }
}

TEST_CASE("memory map C++ table holds every region and register of memory_map.yaml", "[memory_map]") {
  const YAML::Node root = YAML::LoadFile(DNNVP_MEMORY_MAP_YAML);
  REQUIRE(root["regions"].size() == dnnvp::memory_map::kRegionCount);
  std::size_t i = 0;
  for (const YAML::Node& r : root["regions"]) {
    const auto& info = dnnvp::memory_map::kRegions[i++];
    INFO(info.name);
    CHECK(info.name == r["name"].Scalar());
    CHECK(info.base == number(r["base"]));
    if (r["size"].Scalar() == "scenario") {
      CHECK(info.sized_by_scenario);
      CHECK(info.size == 0);
    } else {
      CHECK(info.size == number(r["size"]));
    }
    CHECK(info.description == r["description"].Scalar());
    if (r["registers"] && r["registers"].IsSequence()) {
      REQUIRE(info.register_count == r["registers"].size());
      for (std::size_t k = 0; k < info.register_count; ++k) {
        CHECK(info.registers[k].name == r["registers"][k]["name"].Scalar());
        CHECK(info.registers[k].offset == number(r["registers"][k]["offset"]));
      }
    }
    CHECK(dnnvp::memory_map::find_region(info.name) == &info);
  }
  static_assert(dnnvp::memory_map::uart::kBase == 0x10000000u);
  static_assert(dnnvp::memory_map::sysctl::kExit % 4 == 0);
  static_assert(dnnvp::memory_map::find_region("dram")->sized_by_scenario);
  CHECK(dnnvp::memory_map::find_region("nothing") == nullptr);
}

TEST_CASE("the generated table gives a region by name and names the map when there is none", "[memory_map]") {
  CHECK(&dnnvp::memory_map::region("uart") == dnnvp::memory_map::find_region("uart"));
  CHECK(dnnvp::memory_map::kMap.regions == dnnvp::memory_map::kRegions);
  CHECK(dnnvp::memory_map::kMap.region_count == dnnvp::memory_map::kRegionCount);
  CHECK_THROWS_AS(dnnvp::memory_map::region("nothing"), std::invalid_argument);
  CHECK_THROWS_WITH(dnnvp::memory_map::region("nothing"), "platform/memory_map.yaml has no region 'nothing'");
}

TEST_CASE("gen_memory_map rejects a bad map with an error naming file, line and field", "[memory_map]") {
  const std::vector<BadMap> maps = {
      {"regions:\n  - {name: uart, base: 0x10000010, size: 0x1000}\n",
       "bad.yaml:2: regions[0].base: must be a multiple of 4 KiB (0x1000), got 0x10000010"},
      {"regions:\n  - {name: uart, base: 0x10000000}\n",
       "bad.yaml:2: regions[0]: missing required field 'size'"},
      {"regions:\n  - {name: uart, base: 0x10000000, size: 0x1000, sise: 1}\n",
       "bad.yaml:2: regions[0].sise: unknown field"},
      {"regions:\n  - {name: uart, base: 0x1000, size: big}\n",
       "bad.yaml:2: regions[0].size: must be a byte count or 'scenario', got 'big'"},
      {"regions:\n  - {name: a, base: 0x1000, size: 0x2000}\n  - {name: b, base: 0x2000, size: 0x1000}\n",
       "bad.yaml:2: regions[0] (a): overlaps b"},
      {"regions:\n  - {name: dram, base: 0x80000000, size: scenario}\n  - {name: b, base: 0x90000000, size: "
       "0x1000}\n",
       "regions[0] (dram): is sized by the scenario and must be the highest region"},
      {"regions:\n  - name: uart\n    base: 0x1000\n    size: 0x1000\n    registers:\n"
       "      - {name: TX, offset: 0x3, access: wo}\n",
       "bad.yaml:6: regions[0].registers[0].offset: must be a multiple of 4 (registers are 32-bit words), "
       "got 0x3"},
      {"regions:\n  - name: uart\n    base: 0x1000\n    size: 0x1000\n    registers:\n"
       "      - {name: TX, offset: 0x0, access: rx}\n",
       "bad.yaml:6: regions[0].registers[0].access: must be one of ro, wo, rw, w1c, got 'rx'"},
      {"regions:\n  - name: uart\n    base: 0x1000\n    size: 0x1000\n    registers:\n"
       "      - {name: TX, offset: 0x1000, access: wo}\n",
       "regions[0].registers: TX at 0x1000 lies outside the region"},
      {"regions:\n  - {name: uart, base: 0x1000, size: 0x1000, registers: timer}\n",
       "bad.yaml:2: regions[0].registers: names no earlier region: 'timer'"},
      {"regions:\n  - {name: Uart, base: 0x1000, size: 0x1000}\n",
       "bad.yaml:2: regions[0].name: must be a lower_case identifier, got 'Uart'"},
      {"regions:\n  - {name: uart, base: 0x1000, size: 0x1000\n", "bad.yaml:3: "},
      {"regions: []\n", "bad.yaml:1: regions: must be a non-empty list"},
  };
  check_rejected(maps, std::string(DNNVP_TEST_TMP) + "/bad.yaml", "gen_errors");
  std::string output;
  CHECK(run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + DNNVP_TEST_TMP + "/missing.yaml", output,
            "gen_errors") == 1);
  CHECK_THAT(output, Catch::Contains("missing.yaml: cannot read the file"));
  CHECK(run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + DNNVP_MEMORY_MAP_YAML, output, "gen_errors") == 0);
}

TEST_CASE("gen_memory_map lets two instances of a peripheral share one register list", "[memory_map]") {
  const std::string dir = DNNVP_TEST_TMP;
  std::ofstream(dir + "/shared.yaml")
      << "regions:\n"
         "  - name: dma0\n    base: 0x40400000\n    size: 0x10000\n    registers:\n"
         "      - {name: MM2S_DMACR, offset: 0x00, access: rw}\n"
         "      - {name: MM2S_DMASR, offset: 0x04, access: w1c, fields: [{name: IOC_IRQ, lsb: 12}]}\n"
         "  - {name: dma1, base: 0x40410000, size: 0x10000, registers: dma0}\n";
  std::string output;
  const int rc = run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + dir + "/shared.yaml --c-header " + dir +
                         "/shared.h --cpp-header " + dir + "/shared.hpp",
                     output, "gen_shared");
  INFO(output);
  REQUIRE(rc == 0);
  const std::string h = slurp(dir + "/shared.h");
  CHECK_THAT(h, Catch::Contains("#define DNNVP_DMA1_MM2S_DMASR_OFFSET 0x004u"));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_DMA1_MM2S_DMASR_IOC_IRQ_MASK 0x00001000u"));
  CHECK_THAT(h, Catch::Contains("(the register map of dma0)"));
  const std::string hpp = slurp(dir + "/shared.hpp");
  CHECK_THAT(hpp, Catch::Contains("inline constexpr std::uint32_t kMm2sDmasrIocIrqMask = 0x00001000u;"));
  CHECK_THAT(hpp, Catch::Contains("Access::kWriteOneToClear"));
}

TEST_CASE(
    "gen_memory_map names the DMA channel of each engine stream once, for C and C++, and rejects bad links",
    "[memory_map]") {
  const std::string dir = DNNVP_TEST_TMP;
  const std::string regions =
      "regions:\n"
      "  - name: dma0\n    base: 0x40400000\n    size: 0x10000\n    registers:\n"
      "      - {name: MM2S_DMACR, offset: 0x00, access: rw}\n"
      "  - {name: dma1, base: 0x40410000, size: 0x10000, registers: dma0}\n"
      "  - {name: intc, base: 0x10003000, size: 0x1000}\n"
      "  - {name: uart, base: 0x10000000, size: 0x1000}\n"
      "interrupts:\n  controller: intc\n  sources:\n    - {name: dma0_mm2s, line: 0}\n";
  std::ofstream(dir + "/streams.yaml") << regions
                                       << "streams:\n"
                                          "  - {name: x, port: s_axis_x, dma: dma0, channel: mm2s}\n"
                                          "  - {name: y, port: m_axis_y, dma: dma1, channel: s2mm}\n";
  std::string output;
  REQUIRE(run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + dir + "/streams.yaml --c-header " + dir +
                  "/streams.h --cpp-header " + dir + "/streams.hpp",
              output, "gen_streams") == 0);
  const std::string h = slurp(dir + "/streams.h");
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_X_DMA_BASE DNNVP_DMA0_BASE"));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_Y_DMA_SIZE DNNVP_DMA1_SIZE"));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_Y_DMA_NAME \"dma1\""));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_X_MM2S 1u"));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_Y_MM2S 0u"));
  CHECK_THAT(h, Catch::Contains("#define DNNVP_STREAM_X_IRQ DNNVP_IRQ_DMA0_MM2S"));
  CHECK_THAT(h, !Catch::Contains("DNNVP_STREAM_Y_IRQ"));  // no line named dma1_s2mm
  const std::string hpp = slurp(dir + "/streams.hpp");
  CHECK_THAT(hpp, Catch::Contains("{\"y\", \"m_axis_y\", \"dma1\", \"s2mm\", \"\"},"));
  CHECK_THAT(hpp, Catch::Contains("inline constexpr std::string_view kDmas[] = {\"dma0\", \"dma1\"};"));
  // The platform's own map: every stream has a DMA channel and an interrupt line.
  for (const dnnvp::memory_map::streams::Link& l : dnnvp::memory_map::streams::kLinks) {
    INFO(l.name);
    CHECK(dnnvp::memory_map::find_region(l.dma) != nullptr);
    CHECK((l.channel == "mm2s" || l.channel == "s2mm"));
  }

  const std::string bad = regions + "streams:\n";
  const std::vector<BadMap> maps = {
      {bad + "  - {name: x, port: s_axis_x, dma: dma7, channel: mm2s}\n",
       "bad_streams.yaml:15: streams[0].dma: names no region with registers: 'dma7'"},
      {bad + "  - {name: x, port: s_axis_x, dma: uart, channel: mm2s}\n",
       "streams[0].dma: names no region with registers: 'uart'"},
      {bad + "  - {name: x, port: s_axis_x, dma: dma0, channel: tx}\n",
       "streams[0].channel: must be one of mm2s, s2mm, got 'tx'"},
      {bad + "  - {name: x, port: s_axis_x, dma: dma0, channel: mm2s}\n" +
           "  - {name: w, port: s_axis_w, dma: dma0, channel: mm2s}\n",
       "streams[1].channel: dma0.mm2s already moves another stream"},
      {bad + "  - {name: x, port: s_axis_x, dma: dma0, channel: mm2s}\n" +
           "  - {name: x, port: s_axis_w, dma: dma1, channel: mm2s}\n",
       "streams[1].name: duplicate stream 'x'"},
      {bad + "  - {name: x, port: s_axis_x, dma: dma0, channel: mm2s, size: 4}\n",
       "streams[0].size: unknown field"},
  };
  check_rejected(maps, dir + "/bad_streams.yaml", "gen_streams_errors");
}

TEST_CASE("gen_memory_map rejects a block that is not one run of consecutive words", "[memory_map]") {
  const std::string engine =
      "regions:\n  - name: engine\n    base: 0x1000\n    size: 0x1000\n    registers:\n";
  const std::vector<BadMap> maps = {
      {engine + "      - {name: A, offset: 0x20, access: rw, block: desc}\n" +
           "      - {name: B, offset: 0x28, access: rw, block: desc}\n",
       "bad.yaml:7: regions[0].registers[1].block: block 'desc' must be consecutive words: A is at 0x20, so "
       "B "
       "must be at 0x24, got 0x28"},
      {engine + "      - {name: A, offset: 0x20, access: rw, block: desc}\n" +
           "      - {name: X, offset: 0x24, access: rw}\n" +
           "      - {name: B, offset: 0x28, access: rw, block: desc}\n",
       "bad.yaml:8: regions[0].registers[2].block: block 'desc' is interrupted by X"},
      {engine + "      - {name: A, offset: 0x20, access: rw, block: Desc}\n",
       "bad.yaml:6: regions[0].registers[0].block: must be a lower_case identifier, got 'Desc'"},
  };
  // A directory of its own: ctest may run the test case writing <tmp>/bad.yaml at the same time.
  const std::string dir = std::string(DNNVP_TEST_TMP) + "/blocks";
  std::filesystem::create_directories(dir);
  check_rejected(maps, dir + "/bad.yaml", "gen_block_errors");
}

TEST_CASE("the engine's descriptor block is in the C++ table as consecutive words", "[memory_map]") {
  namespace engine = dnnvp::memory_map::engine;
  std::size_t words = 0;
  for (const auto& reg : engine::kRegisters)
    if (reg.block == "descriptor") {
      CHECK(reg.offset == engine::kDescriptorFirst + 4 * words);
      ++words;
    }
  CHECK(words == engine::kDescriptorWords);
  CHECK(engine::kDescriptorLast == engine::kDescriptorFirst + 4 * (words - 1));
}

TEST_CASE(
    "gen_memory_map writes a region's SystemVerilog package and docs table, and --check names the refresh",
    "[memory_map]") {
  const std::string dir = DNNVP_TEST_TMP;
  std::ofstream(dir + "/spec.yaml")
      << "regions:\n"
         "  - name: engine\n    base: 0x43C00000\n    size: 0x1000\n    registers:\n"
         "      - {name: ID, offset: 0x00, access: ro, reset: 0x444E4E45, description: \"who | what\"}\n"
         "      - name: CTRL\n        offset: 0x10\n        access: wo\n        fields:\n"
         "          - {name: PUSH, lsb: 0, description: \"append\"}\n"
         "          - {name: MODE, lsb: 4, width: 3}\n"
         "      - {name: IN_W, offset: 0x20, access: rw, block: descriptor, description: \"W * 2\"}\n"
         "      - {name: IN_H, offset: 0x24, access: rw, block: descriptor}\n";
  const std::string doc = dir + "/spec.md";
  std::ofstream(doc)
      << "# Engine\n\nbefore\n<!-- BEGIN engine registers -->\nold table\n<!-- END engine registers -->\n"
         "after\n";
  const std::string args = std::string(DNNVP_GEN_MEMORY_MAP) + " " + dir + "/spec.yaml --sv-package engine " +
                           dir + "/spec_pkg.sv --doc-table engine " + doc;
  std::string output;
  REQUIRE(run(args, output, "gen_spec") == 0);

  const std::string sv = slurp(dir + "/spec_pkg.sv");
  CHECK_THAT(sv, Catch::Contains("do not edit"));
  CHECK_THAT(sv, Catch::Contains("package spec_pkg;"));
  CHECK_THAT(sv, Catch::Contains("localparam int unsigned AddrBits = 12;"));
  CHECK_THAT(sv, Catch::Contains("localparam logic [AddrBits-1:0] IdOffset = 12'h000;"));
  CHECK_THAT(sv, Catch::Contains("localparam logic [31:0] IdReset = 32'h444E4E45;"));
  CHECK_THAT(sv, Catch::Contains("localparam int unsigned CtrlModeLsb = 4;"));
  CHECK_THAT(sv, Catch::Contains("localparam int unsigned CtrlModeWidth = 3;"));
  CHECK_THAT(sv, Catch::Contains("localparam logic [31:0] CtrlModeMask = 32'h00000070;"));
  CHECK_THAT(sv, Catch::Contains("localparam int unsigned InHIndex = 1;"));
  CHECK_THAT(sv, Catch::Contains("localparam logic [AddrBits-1:0] DescriptorFirst = 12'h020;"));
  CHECK_THAT(sv, Catch::Contains("localparam logic [AddrBits-1:0] DescriptorLast = 12'h024;"));
  CHECK_THAT(sv, Catch::Contains("localparam int unsigned DescriptorWords = 2;"));
  CHECK_THAT(sv, Catch::EndsWith("endpackage\n"));

  const std::string md = slurp(doc);
  CHECK_THAT(md, Catch::StartsWith("# Engine\n\nbefore\n<!-- BEGIN engine registers: generated by"));
  CHECK_THAT(md, Catch::EndsWith("<!-- END engine registers -->\nafter\n"));
  CHECK_THAT(md, !Catch::Contains("old table"));
  CHECK_THAT(md, Catch::Contains("| 0x000 | `ID` | RO | who \\| what; reads 0x444E4E45 after reset |"));
  CHECK_THAT(md, Catch::Contains("| 0x010 | `CTRL` | WO | `PUSH` [0] append; `MODE` [6:4] |"));
  CHECK_THAT(md, Catch::Contains("| 0x020 | `IN_W` | RW | W \\* 2 |"));
  CHECK_THAT(md,
             Catch::Contains("Block `descriptor`: `IN_W` .. `IN_H` (0x020 .. 0x024, 2 consecutive words"));

  // Up to date: --check passes and writes nothing; a stale file fails with the refreshing command.
  CHECK(run(args + " --check", output, "gen_spec") == 0);
  std::ofstream(dir + "/spec_pkg.sv", std::ios::app) << "// edited\n";
  CHECK(run(args + " --check", output, "gen_spec") == 1);
  CHECK_THAT(output,
             Catch::Contains("spec_pkg.sv is out of date with the memory map; refresh it with `cmake --build "
                             "<build> --target update_register_spec` (which runs: gen_memory_map "));
  CHECK_THAT(slurp(dir + "/spec_pkg.sv"), Catch::EndsWith("// edited\n"));

  // The docs need both markers; only regions with registers and a fixed size have a package.
  std::ofstream(doc) << "# Engine\n<!-- BEGIN engine registers -->\n";
  CHECK(run(args, output, "gen_spec") == 1);
  CHECK_THAT(output,
             Catch::Contains("spec.md: needs a line starting '<!-- BEGIN engine registers' and, below it, a "
                             "line '<!-- END engine registers -->'"));
  CHECK(run(std::string(DNNVP_GEN_MEMORY_MAP) + " " + DNNVP_MEMORY_MAP_YAML + " --sv-package dram " + dir +
                "/x_pkg.sv",
            output, "gen_spec") == 1);
  CHECK_THAT(output, Catch::Contains("--sv-package dram: the region must have registers and a fixed size"));
}
