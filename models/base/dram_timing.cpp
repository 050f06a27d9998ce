#include "dram_timing.h"

#include <stdexcept>

namespace dnnvp {

// Energy: DRAM core energy only (no I/O, termination or controller), from representative 8 Gb datasheet
// currents. These currents are ASSUMPTIONS (typical of the parts' IDD tables, not one vendor's figures):
// use the numbers to compare runs, not as a power sign-off. Derivation, per device, then x devices:
//   act_pre    = VDD * (IDD0*tRC - IDD3N*tRAS - IDD2N*(tRC - tRAS))
//   read/byte  = VDD * (IDD4R - IDD3N) * (BL/2 * tCK) / bytes per burst      (write: IDD4W)
//   background = VDD * IDD3N * tCK                                           (banks open: open-page policy)
//   refresh    = VDD * (IDD5B - IDD3N) * tRFC
namespace {

DramTiming ddr4_2400() {
  // 64-bit rank of 8 x8 devices: 16 banks (4 groups, not modelled), 1 KB page per device = 8 KB per rank.
  // Energy: VDD 1.2 V, IDD0 55 mA, IDD2N 34 mA, IDD3N 44 mA, IDD4R 140 mA, IDD4W 125 mA, IDD5B 245 mA;
  // tRC 45.8 ns, tRAS 32.5 ns, a burst 3.33 ns, 64 bytes per rank burst, 8 devices.
  DramTiming t{};
  t.clock_mhz = 1200;  // tCK 0.833 ns
  t.cl = 16;
  t.wl = 16;
  t.trcd = 16;
  t.trp = 16;
  t.tras = 39;
  t.trtp = 9;
  t.twr = 18;
  t.burst_length = 8;
  t.bus_bytes = 8;
  t.banks = 16;
  t.page_bytes = 8192;
  t.trefi = 9360;                          // 7.8 us
  t.trfc = 420;                            // 350 ns
  t.energy.act_pre_pj = 6120;              // 1.2 V * (55*45.83 - 44*32.5 - 34*13.33) pC * 8
  t.energy.read_pj_per_byte = 48.0;        // 1.2 V * 96 mA * 3.33 ns * 8 / 64 B
  t.energy.write_pj_per_byte = 40.5;       // 1.2 V * 81 mA * 3.33 ns * 8 / 64 B
  t.energy.background_pj_per_cycle = 352;  // 1.2 V * 44 mA * 0.833 ns * 8
  t.energy.refresh_pj = 675360;            // 1.2 V * 201 mA * 350 ns * 8
  return t;
}

DramTiming lpddr4_3200() {
  // One x16 channel: 8 banks, 2 KB page, BL16 (32 bytes per burst), 6.4 GB/s peak.
  // Energy (VDD2 only, 1.1 V; VDD1 and VDDQ neglected): IDD02 60 mA, IDD2N2 24 mA, IDD3N2 30 mA,
  // IDD4R2 240 mA, IDD4W2 220 mA, IDD5AB2 120 mA; tRC 60.6 ns, tRAS 42.5 ns, a burst 5 ns.
  DramTiming t{};
  t.clock_mhz = 1600;  // tCK 0.625 ns
  t.cl = 28;
  t.wl = 14;
  t.trcd = 29;
  t.trp = 29;
  t.tras = 68;
  t.trtp = 12;
  t.twr = 29;
  t.burst_length = 16;
  t.bus_bytes = 2;
  t.banks = 8;
  t.page_bytes = 2048;
  t.trefi = 6240;                           // 3.9 us
  t.trfc = 448;                             // 280 ns
  t.energy.act_pre_pj = 2120;               // 1.1 V * (60*60.63 - 30*42.5 - 24*18.13) pC
  t.energy.read_pj_per_byte = 36.1;         // 1.1 V * 210 mA * 5 ns / 32 B
  t.energy.write_pj_per_byte = 32.7;        // 1.1 V * 190 mA * 5 ns / 32 B
  t.energy.background_pj_per_cycle = 20.6;  // 1.1 V * 30 mA * 0.625 ns
  t.energy.refresh_pj = 27720;              // 1.1 V * 90 mA * 280 ns
  return t;
}

struct Preset {
  const char* name;
  DramTiming (*timing)();
};
constexpr Preset kPresets[] = {{"ddr4-2400", ddr4_2400}, {"lpddr4-3200", lpddr4_3200}};

}  // namespace

DramTiming DramTiming::preset(const std::string& name) {
  for (const Preset& p : kPresets)
    if (name == p.name) {
      DramTiming t = p.timing();
      t.name = name;
      return t;
    }
  std::string known;
  for (const std::string& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("dram: unknown preset '" + name + "' (known: " + known + ")");
}

std::vector<std::string> DramTiming::preset_names() {
  std::vector<std::string> names;
  for (const Preset& p : kPresets) names.emplace_back(p.name);
  return names;
}

}  // namespace dnnvp
