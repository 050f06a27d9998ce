// The ELF loader and the CPU's configuration checks: no simulation runs here.
#include <catch2/catch.hpp>

#include <cstring>

#include "cpu_bench.h"
#include "elf_loader.h"

using dnnvp::cpu::ElfError;
using dnnvp::cpu::ElfImage;
using Catch::Matchers::Contains;

namespace {

std::vector<std::uint8_t> hello_bytes() { return dnnvp::cpu::read_elf(cpu_test::firmware("hello")).bytes; }

}  // namespace

TEST_CASE("the hello firmware is an RV32IMC executable loaded at the DRAM base", "[elf]") {
  const ElfImage img = dnnvp::cpu::read_elf(cpu_test::firmware("hello"));
  CHECK(img.entry == cpu_test::kDramBase);
  CHECK((img.flags & 1) == 1);  // EF_RISCV_RVC: compressed instructions
  CHECK((img.flags & 6) == 0);  // soft-float ABI (ilp32)
  REQUIRE_FALSE(img.segments.empty());
  CHECK(img.symbol("main").has_value());
  CHECK(img.symbol("_start") == img.entry);
  CHECK_FALSE(img.symbol("no_such_symbol").has_value());

  std::vector<std::uint8_t> dram(cpu_test::kDramSize, 0xA5);
  dnnvp::cpu::load_elf(img, cpu_test::kDramBase, dram.data(), dram.size());
  const auto& s = img.segments.front();
  CHECK(std::memcmp(dram.data() + (s.paddr - cpu_test::kDramBase), img.bytes.data() + s.file_offset, s.file_size) == 0);
}

TEST_CASE("a truncated ELF is rejected with a message naming the file and the truncation", "[elf]") {
  std::vector<std::uint8_t> b = hello_bytes();
  SECTION("inside the header") {
    b.resize(40);
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "cut.elf"), Contains("cut.elf") && Contains("truncated ELF header"));
  }
  SECTION("inside the segments") {
    b.resize(0x1100);
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "cut.elf"), Contains("cut.elf") && Contains("truncated: segment"));
  }
  SECTION("empty") {
    b.clear();
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "empty.elf"), Contains("not an ELF file"));
  }
}

TEST_CASE("an ELF for another machine, class or byte order is rejected", "[elf]") {
  std::vector<std::uint8_t> b = hello_bytes();
  SECTION("x86-64 machine") {
    b[18] = 62;
    b[19] = 0;
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "x.elf"),
                      Contains("machine 62 (x86-64), expected RISC-V (243)"));
  }
  SECTION("64-bit class") {
    b[4] = 2;
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "x.elf"), Contains("64-bit ELF"));
  }
  SECTION("big-endian") {
    b[5] = 2;
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "x.elf"), Contains("big-endian"));
  }
  SECTION("relocatable object") {
    b[16] = 1;
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "x.elf"), Contains("expected an executable"));
  }
  SECTION("not ELF at all") {
    b[1] = 'X';
    CHECK_THROWS_WITH(dnnvp::cpu::parse_elf(b, "x.elf"), Contains("bad magic"));
  }
}

TEST_CASE("segments or an entry point outside DRAM are rejected before anything is written", "[elf]") {
  const ElfImage img = dnnvp::cpu::read_elf(cpu_test::firmware("hello"));
  SECTION("DRAM elsewhere") {
    std::vector<std::uint8_t> dram(1 << 20, 0);
    CHECK_THROWS_WITH(dnnvp::cpu::load_elf(img, 0x90000000u, dram.data(), dram.size()),
                      Contains("lies outside DRAM [0x90000000, 0x90100000)"));
    CHECK(dram == std::vector<std::uint8_t>(1 << 20, 0));
  }
  SECTION("DRAM too small for the image") {
    std::vector<std::uint8_t> dram(0x1000, 0);
    CHECK_THROWS_WITH(dnnvp::cpu::load_elf(img, cpu_test::kDramBase, dram.data(), dram.size()),
                      Contains("loadable segment 0"));
  }
  SECTION("a file that does not exist") {
    CHECK_THROWS_WITH(dnnvp::cpu::read_elf("/nonexistent/fw.elf"), Contains("/nonexistent/fw.elf: cannot open"));
  }
}

TEST_CASE("the CPU rejects a quantum that is not a multiple of the clock period", "[cpu][config]") {
  std::vector<std::uint8_t> dram(cpu_test::kDramSize);
  auto c = cpu_test::default_config(dram, sc_core::sc_time(10, sc_core::SC_NS), sc_core::sc_time(1005, sc_core::SC_NS));
  CHECK_THROWS_WITH(dnnvp::cpu::RiscvCpu("cpu_bad_quantum", c), Contains("not a multiple of the clock period"));
  c.quantum = sc_core::sc_time(1, sc_core::SC_US);
  {
    dnnvp::cpu::RiscvCpu ok("cpu_positional", sc_core::sc_time(4, sc_core::SC_NS), sc_core::sc_time(2, sc_core::SC_US),
                            {cpu_test::kDramBase, dram.data(), dram.size()});
    CHECK(ok.clock_period() == sc_core::sc_time(4, sc_core::SC_NS));
    CHECK(ok.quantum() == sc_core::sc_time(2, sc_core::SC_US));
    CHECK_FALSE(ok.halted());
    CHECK(ok.instructions() == 0);
    CHECK_THROWS_WITH(ok.load_elf("/nonexistent.elf"), Contains("cannot open"));
  }
  c.dram.base = 0x80000800;
  CHECK_THROWS_WITH(dnnvp::cpu::RiscvCpu("cpu_bad_dram", c), Contains("multiples of 4 KiB"));
}
