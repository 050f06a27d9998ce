// The FPGA flow (docs/fpga.md): the parts file, the flow cache, counting Yosys cells as Vivado resources,
// the budget check, and the generated vivado.tcl run under tclsh against a stub of Vivado's commands.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dnnvp_memory_map.hpp"
#include "error.h"
#include "flow_cache.h"
#include "fpga_resources.h"
#include "hex.h"
#include "vivado_tcl.h"

namespace fs = std::filesystem;
namespace fl = dnnvp::flows;
namespace mm = dnnvp::memory_map;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::path(DNNVP_TEST_TMP) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

dnnvp::EngineShape shape_4x8() {
  dnnvp::EngineShape s;
  s.rows = 4;
  s.cols = 8;
  return s;
}

// Words of a Tcl list as the stub recorded it (braced words kept whole, braces removed).
std::vector<std::string> tcl_words(const std::string& s) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    std::string w;
    if (s[i] == '{') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '{' && depth++ == 0) continue;
        if (s[i] == '}' && --depth == 0) break;
        w += s[i];
      }
      ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) w += s[i++];
    }
    words.push_back(w);
  }
  return words;
}

struct Call {
  std::string cmd;
  std::vector<std::string> args;
};

// Runs `script` under tclsh with the Vivado stub; the recorded calls, or nothing when tclsh failed.
std::optional<std::vector<Call>> run_stub(const fs::path& script, const fs::path& dir) {
  const fs::path record = dir / "calls.txt";
  const std::string cmd = "tclsh " + std::string(DNNVP_SOURCE_DIR) + "/tests/flows/vivado_stub.tcl " +
                          script.string() + " " + record.string() + " > " + (dir / "tclsh.log").string() +
                          " 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  std::vector<Call> calls;
  std::istringstream in(read(record));
  for (std::string line; std::getline(in, line);) {
    Call c;
    std::size_t start = 0, tab;
    do {
      tab = line.find('\t', start);
      const std::string field =
          line.substr(start, tab == std::string::npos ? std::string::npos : tab - start);
      if (c.cmd.empty())
        c.cmd = field;
      else
        c.args.push_back(field);
      start = tab + 1;
    } while (tab != std::string::npos);
    calls.push_back(c);
  }
  return calls;
}

// CONFIG.* values set on a block-design cell (set_property -dict [list ...] [get_bd_cells NAME]).
std::map<std::string, std::string> cell_config(const std::vector<Call>& calls, const std::string& cell) {
  std::map<std::string, std::string> config;
  for (const Call& c : calls)
    if (c.cmd == "set_property" && c.args.size() == 3 && c.args[0] == "-dict" && c.args[2] == cell) {
      const std::vector<std::string> w = tcl_words(c.args[1]);
      for (std::size_t i = 0; i + 1 < w.size(); i += 2) config[w[i]] = w[i + 1];
    }
  return config;
}

// Every assign_bd_address with an offset must place a PL region of the memory map where the processing
// system sees it, on that region's cell; every PL region must be placed once. The errors, if any.
std::vector<std::string> address_errors(const std::vector<Call>& calls, const fl::FpgaParts& parts,
                                        const fl::ProcessingSystem& ps) {
  std::vector<std::string> errors;
  std::map<std::string, int> placed;
  for (const Call& c : calls) {
    if (c.cmd != "assign_bd_address" || c.args.empty()) continue;
    std::map<std::string, std::string> opt;
    for (std::size_t i = 0; i + 1 < c.args.size(); ++i)
      if (c.args[i][0] == '-') opt[c.args[i]] = c.args[i + 1];
    if (!opt.count("-offset")) continue;  // the DMAs' path to DDR: the processing system's own map
    const std::uint64_t offset = std::stoull(opt["-offset"], nullptr, 0);
    const std::uint64_t range = std::stoull(opt["-range"], nullptr, 0);
    const std::string segment = c.args.back();
    bool found = false;
    for (const fl::PlPeripheral& p : parts.pl) {
      const dnnvp::RegionInfo* r = mm::find_region(p.region);
      if (r == nullptr || fl::board_address(ps, p.region, r->base, r->size) != offset) continue;
      found = true;
      if (range != r->size)
        errors.push_back(p.region + ": range " + opt["-range"] + ", the map says " + std::to_string(r->size));
      if (segment.rfind(p.region + "/", 0) != 0)
        errors.push_back(p.region + ": placed on segment " + segment);
      ++placed[p.region];
    }
    if (!found)
      errors.push_back("address " + opt["-offset"] + " (" + segment + ") is no region of the memory map");
  }
  for (const fl::PlPeripheral& p : parts.pl)
    if (placed[p.region] != 1)
      errors.push_back(p.region + " placed " + std::to_string(placed[p.region]) + " times");
  return errors;
}

}  // namespace

TEST_CASE("fpga_parts.yaml gives every part its budget, processing system and cited source", "[fpga]") {
  const fl::FpgaParts parts = fl::load_fpga_parts();
  for (const char* name : {"zcu104", "zcu102", "pynq-z2", "u50"}) {
    INFO(name);
    const fl::FpgaPart& p = parts.part(name);
    CHECK(p.lut > 0);
    CHECK(p.ff > 0);
    CHECK(p.dsp > 0);
    CHECK(p.bram36 > 0);
    CHECK(p.source.find("DS") != std::string::npos);  // a Xilinx/AMD data sheet by number
  }
  CHECK(parts.part("pynq-z2").dsp == 220);
  CHECK(parts.part("zcu104").uram == 96);
  CHECK(parts.processing_system(parts.part("zcu104")).ip == "zynq_ultra_ps_e");
  CHECK(parts.processing_system(parts.part("pynq-z2")).ip == "processing_system7");
  CHECK_THROWS_WITH(parts.processing_system(parts.part("u50")), Catch::Contains("has no processing system"));
  CHECK_THROWS_WITH(parts.part("zcu999"),
                    Catch::Contains("no FPGA part 'zcu999'") && Catch::Contains("zcu104"));
}

TEST_CASE("a bad fpga_parts.yaml is an error naming its file, line and field", "[fpga]") {
  const fs::path dir = temp_dir("bad_parts");
  std::string text = read(fl::default_fpga_parts_file());
  const std::size_t at = text.find("    dsp: 1728\n");
  REQUIRE(at != std::string::npos);
  text.replace(at, 14, "    dsp: many\n");
  write(dir / "parts.yaml", text);
  CHECK_THROWS_WITH(fl::load_fpga_parts((dir / "parts.yaml").string()),
                    Catch::Contains("parts.yaml:") && Catch::Contains("parts.zcu104.dsp"));
}

TEST_CASE("the flow cache keys entries by flow, shape and RTL sources and writes them whole", "[fpga]") {
  const fs::path dir = temp_dir("cache");
  const fs::path rtl = dir / "rtl";
  fs::create_directories(rtl);
  write(rtl / "a.sv", "module a; endmodule\n");
  const fl::FlowCache cache(dir / "cache", rtl);
  dnnvp::EngineShape shape = shape_4x8();
  CHECK_FALSE(cache.get("yosys-xilinx-xcup", shape));
  cache.put("yosys-xilinx-xcup", shape, {{"lut", 12}});
  REQUIRE(cache.get("yosys-xilinx-xcup", shape));
  CHECK((*cache.get("yosys-xilinx-xcup", shape))["lut"] == 12);
  CHECK_FALSE(cache.get("yosys-osu018", shape));  // another flow
  shape.trace = true;                             // not part of the hardware
  CHECK(cache.get("yosys-xilinx-xcup", shape));
  shape.cols = 16;
  CHECK_FALSE(cache.get("yosys-xilinx-xcup", shape));
  // Only the final file is left: no temporary next to it.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "cache" / "yosys-xilinx-xcup"))
    files += e.is_regular_file();
  CHECK(files == 1);
  // Documentation is not a source; an edited RTL source is another revision: the entry no longer applies.
  write(rtl / "README.md", "notes\n");
  CHECK(fl::FlowCache(dir / "cache", rtl).get("yosys-xilinx-xcup", shape_4x8()));
  write(rtl / "a.sv", "module a; wire w; endmodule\n");
  CHECK_FALSE(fl::FlowCache(dir / "cache", rtl).get("yosys-xilinx-xcup", shape_4x8()));
  CHECK_THROWS_AS(cache.path("../escape", shape), std::invalid_argument);
}

TEST_CASE("Yosys cells count as Vivado resources: LUT RAM in LUTs, a RAMB18 as half a BRAM36", "[fpga]") {
  const nlohmann::json stat = nlohmann::json::parse(R"({"modules": {"\\dnn_engine": {"num_cells_by_type": {
      "LUT2": 10, "LUT6": 5, "RAM64M": 2, "SRLC32E": 3, "FDRE": 40, "FDCE": 2, "DSP48E2": 6, "RAMB36E2": 3,
      "RAMB18E2": 1, "CARRY8": 4, "MUXF7": 9}}}})");
  const fl::FpgaResources r = fl::resources_from_stat(stat, "xcup");
  CHECK(r.lut == 10 + 5 + 2 * 4 + 3);
  CHECK(r.ff == 42);
  CHECK(r.dsp == 6);
  CHECK(r.bram36 == 3.5);
  CHECK(r.uram == 0);
  CHECK(fl::resources_from_json(fl::resources_json(r)).lut == r.lut);
}

TEST_CASE("the budget check says whether an estimate fits a part and which resource binds", "[fpga]") {
  const fl::FpgaParts parts = fl::load_fpga_parts();
  fl::FpgaResources r;
  r.family = "xc7";
  r.lut = 20000;
  r.ff = 30000;
  r.dsp = 128;
  r.bram36 = 40;
  fl::FitCheck fit = fl::check_fit(r, parts.part("pynq-z2"));
  CHECK(fit.fits);
  CHECK(fit.binding == "dsp");  // 128 / 220
  r.bram36 = 150;               // more than its 140
  fit = fl::check_fit(r, parts.part("pynq-z2"));
  CHECK_FALSE(fit.fits);
  CHECK(fit.binding == "bram36");
  const nlohmann::json j = fl::resources_json(r, &parts.part("pynq-z2"));
  CHECK(j["part"] == "pynq-z2");
  CHECK(j["fits"] == false);
  CHECK(j["binding"] == "bram36");
  r.uram = 1;  // a part without UltraRAM cannot hold one
  CHECK(fl::check_fit(r, parts.part("zcu102")).binding == "uram");
}

TEST_CASE("PL regions sit in the processing system's window at base modulo its size", "[fpga]") {
  const fl::FpgaParts parts = fl::load_fpga_parts();
  const fl::ProcessingSystem& z7 = parts.ps.at("zynq7");
  const fl::ProcessingSystem& zmp = parts.ps.at("zynqmp");
  const dnnvp::RegionInfo& engine = mm::region("engine");
  CHECK(fl::board_address(z7, "engine", engine.base, engine.size) ==
        engine.base);  // Zynq-7000: the map itself
  CHECK(fl::board_address(zmp, "engine", engine.base, engine.size) ==
        zmp.window_base + engine.base % zmp.window_size);
  CHECK_THROWS_WITH(fl::board_address(zmp, "big", 0x40000000, 0x20000000), Catch::Contains("big"));
  // No two PL regions share an address on either processing system.
  for (const fl::ProcessingSystem* ps : {&z7, &zmp}) {
    std::set<std::uint64_t> seen;
    for (const fl::PlPeripheral& p : parts.pl) {
      const dnnvp::RegionInfo& r = mm::region(p.region);
      CHECK(seen.insert(fl::board_address(*ps, p.region, r.base, r.size)).second);
    }
  }
}

TEST_CASE(
    "vivado.tcl runs under the Vivado stub with the part, IPs, parameters and the memory map's addresses",
    "[fpga]") {
  if (std::system("command -v tclsh >/dev/null 2>&1") != 0) {
    WARN("tclsh is not installed (Debian package tcl): vivado.tcl not checked");
    return;
  }
  const fl::FpgaParts parts = fl::load_fpga_parts();
  const dnnvp::EngineShape shape = shape_4x8();
  for (const char* name : {"zcu104", "zcu102", "pynq-z2"}) {
    INFO(name);
    const fl::FpgaPart& part = parts.part(name);
    const fl::ProcessingSystem& ps = parts.processing_system(part);
    const fs::path dir = temp_dir(std::string("vivado_") + name);
    write(dir / "vivado.tcl", fl::vivado_tcl({"tiny_cnn", shape, 200.0, &parts, name}));
    const std::optional<std::vector<Call>> calls = run_stub(dir / "vivado.tcl", dir);
    REQUIRE(calls);
    std::map<std::string, std::string> cells;  // name -> VLNV
    std::set<std::string> parts_used;
    bool bitstream = false;
    for (const Call& c : *calls) {
      if (c.cmd == "create_bd_cell")
        for (std::size_t i = 0; i + 1 < c.args.size(); ++i)
          if (c.args[i] == "-vlnv") cells[c.args.back()] = c.args[i + 1];
      if (c.cmd == "create_project") parts_used.insert(c.args.back());
      if (c.cmd == "launch_runs") bitstream = c.args.size() >= 3 && c.args[2] == "write_bitstream";
    }
    CHECK(parts_used == std::set<std::string>{part.part});
    CHECK(cells["ps"] == "xilinx.com:ip:" + ps.ip);
    CHECK(cells["engine"] == "dnnvp.org:dnnvp:dnn_engine:1.0");
    CHECK(bitstream);
    // The engine's parameters are the shape's.
    const std::map<std::string, std::string> engine = cell_config(*calls, "engine");
    for (const dnnvp::EngineParameter& p : dnnvp::kEngineParameters)
      CHECK(engine.at(std::string("CONFIG.") + p.rtl_name) == std::to_string(shape.*p.member));
    CHECK(cell_config(*calls, "ps").at("CONFIG." + ps.clock_config) == "200");
    // The DMAs: one per PL DMA region, scatter/gather, LENGTH as wide as the map's field, the engine's width.
    const dnnvp::RegionInfo& dma0 = mm::region("dma0");
    const unsigned length_bits =
        dnnvp::find_field(dma0, dnnvp::find_register(dma0, "MM2S_LENGTH"), "LENGTH").width;
    for (const fl::PlPeripheral& p : parts.pl) {
      if (p.ip != "axi_dma") continue;
      INFO(p.region);
      CHECK(cells[p.region] == "xilinx.com:ip:axi_dma");
      const std::map<std::string, std::string> dma = cell_config(*calls, p.region);
      CHECK(dma.at("CONFIG.c_include_sg") == "1");
      CHECK(dma.at("CONFIG.c_sg_length_width") == std::to_string(length_bits));
      CHECK(dma.at("CONFIG.c_include_s2mm") == (p.s2mm.empty() ? "0" : "1"));
      CHECK(dma.at("CONFIG.c_m_axis_mm2s_tdata_width") == std::to_string(shape.stream_bits));
    }
    CHECK(address_errors(*calls, parts, ps).empty());
  }
}

TEST_CASE("the vivado.tcl check fails a script with an address the map lacks or a syntax error", "[fpga]") {
  if (std::system("command -v tclsh >/dev/null 2>&1") != 0) {
    WARN("tclsh is not installed (Debian package tcl): vivado.tcl not checked");
    return;
  }
  const fl::FpgaParts parts = fl::load_fpga_parts();
  const fs::path dir = temp_dir("vivado_bad");
  const std::string good = fl::vivado_tcl({"tiny_cnn", shape_4x8(), 200.0, &parts, "pynq-z2"});
  std::string moved = good;
  const std::string engine = "-offset " + dnnvp::hex(mm::region("engine").base);
  REQUIRE(moved.find(engine) != std::string::npos);
  moved.replace(moved.find(engine), engine.size(), "-offset 0x43d00000");
  write(dir / "moved.tcl", moved);
  const std::optional<std::vector<Call>> calls = run_stub(dir / "moved.tcl", dir);
  REQUIRE(calls);
  const std::vector<std::string> errors = address_errors(*calls, parts, parts.ps.at("zynq7"));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "address 0x43d00000 (engine/s_axil/reg0) is no region of the memory map");
  CHECK(errors[1] == "engine placed 0 times");
  write(dir / "broken.tcl", good + "set_property {unbalanced\n");
  CHECK_FALSE(run_stub(dir / "broken.tcl", dir));
  write(dir / "unknown.tcl", good + "open_hw_manager\n");  // a command the stub (and the flow) does not have
  CHECK_FALSE(run_stub(dir / "unknown.tcl", dir));
}

TEST_CASE("vivado.tcl needs a part with a processing system", "[fpga]") {
  const fl::FpgaParts parts = fl::load_fpga_parts();
  CHECK_THROWS_WITH(fl::vivado_tcl({"tiny_cnn", shape_4x8(), 200.0, &parts, "u50"}),
                    Catch::Contains("u50") && Catch::Contains("no processing system"));
}
