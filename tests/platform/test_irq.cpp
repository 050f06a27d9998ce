// Interrupts and DMA errors the firmware sees (docs/platform.md, "Interrupts"; docs/firmware.md,
// "Waiting"): networks run interrupt-driven and bit-exact, a trap handler, wfi that nothing can wake,
// Err_Irq, the runtime's DMA error path and --stop-on-fault.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fs = std::filesystem;
using dnnvp_test::run_tool;
using dnnvp_test::ToolRun;
using nlohmann::json;

namespace {

fs::path tmp(const std::string& name) {
  const fs::path p = fs::path(DNNVP_TEST_TMP) / "irq" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

json report(const fs::path& dir) {
  std::ifstream f(dir / "report.json");
  REQUIRE(f.good());
  return json::parse(f);
}

// vp_sim on tiny_cnn's generated directory with a test firmware (its console on stdout).
ToolRun vp_sim(const std::string& firmware, const fs::path& out, const std::vector<std::string>& extra = {}) {
  return dnnvp_test::vp_sim_firmware(DNNVP_VP_SIM_4X8, DNNVP_TINY_CNN_DIR, firmware, out, extra);
}

std::string elf(const char* prefix, int n) {
  return std::string(prefix) + std::to_string(n) + ".elf";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A network with firmware.wait: interrupt, through vp_run: bit-exact, and the report says the firmware
// slept in wfi.
void check_interrupt_driven(const std::string& zoo, const std::string& hardware) {
  const json r = dnnvp_test::vp_run_passing(DNNVP_VP_RUN, tmp(zoo), zoo,
                                            "name: " + zoo + "_irq\nnetwork: {zoo: " + zoo +
                                                "}\ninput: {seed: 1}\nhardware: " + hardware +
                                                "\nfirmware: {wait: interrupt}\n");
  CHECK(r.at("status") == "pass");
  CHECK(r.at("bit_exact") == true);
  CHECK(r.at("output_check").at("mismatches") == 0);
  const json& w = r.at("firmware_wait");
  CHECK(w.at("mode") == "interrupt");
  CHECK(w.at("wfi").get<std::uint64_t>() > 0);
  CHECK(w.at("wfi_cycles").get<std::uint64_t>() > 0);
  CHECK(w.at("interrupts_taken") == 0);  // the runtime sleeps with mstatus.MIE 0: no trap
  CHECK(r.at("dma_errors").empty());
}

}  // namespace

TEST_CASE("tiny_cnn with firmware.wait: interrupt sleeps in wfi between DMA and engine events, bit-exact",
          "[irq]") {
  check_interrupt_driven("tiny_cnn", "{rows: 4, cols: 8}");
}

TEST_CASE("jettagger with firmware.wait: interrupt sleeps in wfi, bit-exact", "[irq]") {
  check_interrupt_driven("jettagger", "{rows: 4, cols: 8}");
}

TEST_CASE("a polling run's report says the firmware polled", "[irq]") {
  const fs::path out = tmp("poll");
  const ToolRun r = vp_sim(DNNVP_TINY_CNN_ELF, out, {"-q"});
  INFO(r.output);
  CHECK(r.status == 0);
  const json rep = report(out);
  CHECK(rep.at("firmware_wait").at("mode") == "poll");
  CHECK(rep.at("firmware_wait").at("wfi") == 0);
}

TEST_CASE("a trap handler takes a DMA's completion interrupt: mtvec, mcause, mepc, CLAIM, mret", "[irq]") {
  const fs::path out = tmp("trap");
  const ToolRun r = vp_sim(elf(DNNVP_IRQ_ELF_PREFIX, 1), out);
  INFO(r.output);
  CHECK(has(r.output, "irq: cause 0x8000000b claim 0 count 1 mepc ok"));
  const json rep = report(out);
  CHECK(rep.at("end") == "exit");
  CHECK(rep.at("exit_code") == 0);
  CHECK(rep.at("firmware_wait").at("mode") == "interrupt");
  CHECK(rep.at("firmware_wait").at("interrupts_taken") == 1);
}

// Runs test firmware IRQ=n, which sleeps in a wfi that nothing can wake: a CPU fault (exit status 3);
// returns the report's message.
std::string wfi_fault(int n, const std::string& name) {
  const fs::path out = tmp(name);
  const ToolRun r = vp_sim(elf(DNNVP_IRQ_ELF_PREFIX, n), out, {"-q"});
  INFO(r.output);
  CHECK(r.status == 3);
  const json rep = report(out);
  CHECK(rep.at("end") == "cpu_fault");
  return rep.at("message");
}

TEST_CASE("a wfi that nothing can wake is a CPU fault naming why, not a hang", "[irq]") {
  SECTION("the enabled line's DMA channel is idle") {
    const std::string m = wfi_fault(2, "wfi_idle");
    CHECK(has(m, "wfi that nothing can wake"));
    CHECK(has(m, "no enabled interrupt line can rise (intc ENABLE 0x00000001: dma0.mm2s idle)"));
  }
  SECTION("mie.MEIE is 0") {
    CHECK(has(wfi_fault(3, "wfi_meie"), "mie.MEIE is 0: no interrupt can wake the CPU"));
  }
}

TEST_CASE(
    "a DMA decode error sets DMASR's DMADecErr and Err_Irq, which wakes the firmware, and the run goes on",
    "[irq][dma_error]") {
  const fs::path out = tmp("err_irq");
  const ToolRun r = vp_sim(elf(DNNVP_IRQ_ELF_PREFIX, 4), out);
  INFO(r.output);
  // DMASR: Halted (0x1), SGIncld (0x8), DMADecErr (0x40), Err_Irq (0x4000).
  CHECK(has(r.output, "DMA error: MM2S channel of the DMA at 0x40400000, DMASR 0x00004049; DMA reset: ok"));
  CHECK(r.status == 1);
  const json rep = report(out);
  CHECK(rep.at("end") == "exit");
  CHECK(rep.at("exit_code") == 21);
  REQUIRE(rep.at("dma_errors").size() == 1);
  CHECK(has(rep.at("dma_errors")[0], "dma0.mm2s: decode error (DMADecErr)"));
  CHECK(has(rep.at("message"), "DMA error (DMASR, Err_Irq): dma0.mm2s: decode error"));
}

TEST_CASE("the runtime resets the DMA after a decode error and exits 21 naming the channel and DMASR",
          "[irq][dma_error]") {
  for (const int wait : {0, 1}) {
    DYNAMIC_SECTION((wait ? "interrupt-driven" : "polling")) {
      const fs::path out = tmp("runtime_error" + std::to_string(wait));
      const ToolRun r = vp_sim(elf(DNNVP_DMA_ERROR_ELF_PREFIX, wait), out);
      INFO(r.output);
      CHECK(has(r.output, "error: DMA error in layer 0, tile 0, band DMA"));
      CHECK(
          has(r.output, "DMA error: MM2S channel of the DMA at 0x40400000, DMASR 0x00004049; DMA reset: ok"));
      const json rep = report(out);
      CHECK(rep.at("end") == "exit");
      CHECK(rep.at("exit_code") == 21);
      REQUIRE(rep.at("dma_errors").size() == 1);
      CHECK(has(rep.at("dma_errors")[0], "dma0.mm2s: decode error (DMADecErr) reading"));
      CHECK(has(rep.at("dma_errors")[0], "0x20000000"));
    }
  }
}

TEST_CASE("with --stop-on-fault a DMA error ends the run as before: dma_fault, exit 3", "[irq][dma_error]") {
  const fs::path out = tmp("stop_on_fault");
  const ToolRun r = vp_sim(elf(DNNVP_DMA_ERROR_ELF_PREFIX, 0), out, {"--stop-on-fault"});
  INFO(r.output);
  CHECK(r.status == 3);
  CHECK_FALSE(has(r.output, "error: DMA error in layer"));  // the firmware never saw it
  const json rep = report(out);
  CHECK(rep.at("end") == "dma_fault");
  CHECK(has(rep.at("message"), "DMA fault: dma0.mm2s: decode error (DMADecErr)"));
}
