// ELF32 RISC-V executable loader for the CPU model (no SystemC, no Unicorn: usable by tools and tests).
//
// parse_elf() checks the file (magic, 32-bit, little-endian, RISC-V, executable, program headers and every
// PT_LOAD segment inside the file) and load_elf() copies the PT_LOAD segments to their physical addresses
// (p_paddr) in a memory region given as a host pointer, zero-filling p_memsz beyond p_filesz. Each failure
// throws ElfError with a message naming the file and what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dnnvp::cpu {

class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElfSegment {
  std::uint32_t paddr = 0;        // load (physical) address
  std::uint32_t vaddr = 0;
  std::uint32_t file_offset = 0;
  std::uint32_t file_size = 0;
  std::uint32_t mem_size = 0;     // >= file_size; the rest is zero-filled (.bss)
  std::uint32_t flags = 0;        // PF_X = 1, PF_W = 2, PF_R = 4
};

struct ElfSymbol {
  std::string name;
  std::uint32_t address = 0, size = 0;
};

struct ElfImage {
  std::string name;               // used in messages (the path for read_elf)
  std::vector<std::uint8_t> bytes;
  std::uint32_t entry = 0;
  std::uint32_t flags = 0;        // e_flags (EF_RISCV_RVC = 1, float ABI bits 1..2)
  std::vector<ElfSegment> segments;  // PT_LOAD segments with mem_size > 0, in file order

  // Address of a symbol from .symtab (nullopt if absent or the file has no symbol table).
  std::optional<std::uint32_t> symbol(const std::string& symbol_name) const;
  // Every function symbol (STT_FUNC with a size) of .symtab, by address (empty without a symbol table).
  std::vector<ElfSymbol> functions() const;
};

constexpr std::uint16_t kElfMachineRiscv = 243;  // EM_RISCV

// Parses and validates; throws ElfError.
ElfImage parse_elf(std::vector<std::uint8_t> bytes, const std::string& name);
// Reads a file and parses it; throws ElfError (also for unreadable files).
ElfImage read_elf(const std::string& path);

// Copies the image's segments into [base, base + size) whose bytes live at host; zero-fills .bss. Throws
// ElfError if a segment or the entry point lies outside the region (nothing is written in that case).
void load_elf(const ElfImage& image, std::uint64_t base, std::uint8_t* host, std::uint64_t size);

}  // namespace dnnvp::cpu
