// Fuzz target: the ELF loader (models/cpu/elf_loader.h) on arbitrary bytes. Rejection must be an ElfError;
// an accepted image must load into a small DRAM (or be refused with ElfError) and answer symbol lookups.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "elf_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dnnvp::cpu;
  constexpr std::uint64_t kBase = 0x80000000u, kSize = 64u << 10;
  try {
    const ElfImage image = parse_elf(std::vector<std::uint8_t>(data, data + size), "fuzz.elf");
    (void)image.symbol("main");
    (void)image.symbol("");
    std::vector<std::uint8_t> dram(kSize);
    load_elf(image, kBase, dram.data(), dram.size());
  } catch (const ElfError&) {
  }
  return 0;
}
