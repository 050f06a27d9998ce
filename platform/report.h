// report.json: what one platform run measured (docs/platform.md, "report.json"). Built once, after the
// run, from the generator's manifest (what the network is and what the plan bounds are), the SoC (time,
// DRAM counters at every layer mark, statistics), the firmware's layer report in DRAM (the engine's
// counters as the firmware read them) and the platform's own check of the output against expected.bin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dnnvp_report.h"
#include "manifest.h"

namespace dnnvp {

class Soc;

// The output compared element by element with expected.bin.
struct OutputCheck {
  bool done = false;  // false: the output could not be read (run ended before, or bad addresses)
  std::uint64_t elements = 0;
  std::uint64_t mismatches = 0;
  struct Mismatch {
    std::uint64_t index;
    std::int64_t got, expected;
  };
  std::vector<Mismatch> first;  // at most 8
  bool bit_exact() const { return done && mismatches == 0; }
};

// Compares `elements` elements of `bits` bits (signed or not; 4-bit packed two per byte, low nibble
// first) at `got` with `expected`.
OutputCheck compare_output(const std::uint8_t* got, const std::uint8_t* expected, std::uint64_t elements,
                           int bits, bool is_signed);

// One image's output as the run left it in DRAM (manifest.json's result and images).
struct ImageOutput {
  std::uint64_t mismatches = 0;
  std::uint64_t predicted = 0;  // the index of its largest element, the first of equal ones
};
// The platform's own check of every image's output against its expected output: the whole batch's
// (element indices count on from one image to the next) and each image's in *images. Throws
// std::out_of_range when the manifest's blocks lie outside DRAM.
OutputCheck check_images(const Soc& soc, const Manifest& m, std::vector<ImageOutput>* images);

// The firmware's report table (dnnvp_report.h), if the firmware left a valid one.
struct FirmwareReport {
  dnnvp_report_header_t header{};
  std::vector<dnnvp_report_layer_t> layers;
  std::vector<dnnvp_report_image_t> images;  // a batch's
};
// Reads the table at sysctl REPORT's address; nullopt (and a reason in *why) if none or invalid.
std::optional<FirmwareReport> read_firmware_report(const Soc& soc, std::size_t max_layers,
                                                   std::size_t max_images, std::string* why);

struct ReportInputs {
  std::string tool = "vp_sim";  // report_header()
  const Manifest* manifest = nullptr;
  nlohmann::json run;      // settings_json(): the effective run settings and the trace
  int interrupted_by = 0;  // the signal (SIGINT, SIGTERM) that stopped the run; 0: none
  const Soc* soc = nullptr;
  std::optional<FirmwareReport> firmware;
  std::string firmware_note;        // why there is no firmware report
  OutputCheck output;               // every image's elements
  std::vector<ImageOutput> images;  // check_images()'s, when output.done
  std::string firmware_path;
  std::string engine_model;  // the engine shape's key
  double wall_seconds = 0;
};

// The report; status "pass" only for a firmware exit code 0 with a bit-exact output (every image's),
// "interrupted" when a signal stopped the run, else "fail". What depends on the host (paths, wall time,
// speeds) is under "host", so the rest of two reports of the same run compare equal.
nlohmann::json make_report(ReportInputs& in);

// The layers whose engine cycles [first_cycle, last_cycle] meet the window [from, to); empty means the
// window captured no engine layer (docs/platform.md, "Trace").
std::vector<std::string> layers_in_window(const nlohmann::json& report, std::uint64_t from, std::uint64_t to);

// A few lines for the console: status, cycles, fps, utilisation, DRAM traffic, speed.
std::string summary_text(const nlohmann::json& report);

}  // namespace dnnvp
