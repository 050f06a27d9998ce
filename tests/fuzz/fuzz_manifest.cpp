// Fuzz target: the manifest.json reader (generators/manifest.h, parse_manifest) on arbitrary
// text. Rejection must be a dnnvp::Error naming the file and key; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.h"
#include "manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)dnnvp::parse_manifest(std::string(reinterpret_cast<const char*>(data), size), "fuzz/manifest.json");
  } catch (const dnnvp::Error&) {
  }
  return 0;
}
