// Fuzz target: the scenario reader (generators/scenario.h, load_scenario) on arbitrary YAML text. The text
// goes through a file, as load_scenario reads one (in the working directory, one per process). Rejection
// must be a dnnvp::Error; anything else (another exception, a crash, a sanitizer report) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "error.h"
#include "scenario.h"

namespace {
// The input file, removed when the process ends.
struct InputFile {
  std::string path = "fuzz_scenario_" + std::to_string(::getpid()) + ".yaml";
  ~InputFile() { std::remove(path.c_str()); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const InputFile input;
  const std::string& path = input.path;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)dnnvp::load_scenario(path);
  } catch (const dnnvp::Error&) {
  }
  return 0;
}
