// Fuzz target: the .npy reader (generators/npy.h, parse_npy) on arbitrary bytes, as a scenario's input
// files reach it. Rejection must be a dnnvp::Error; anything else (another exception, a crash, a
// sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.h"
#include "npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)dnnvp::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const dnnvp::Error&) {
  }
  return 0;
}
