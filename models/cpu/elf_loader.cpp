#include "elf_loader.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "hex.h"

namespace dnnvp::cpu {
namespace {

// ELF constants used here (System V ABI, ELF-32).
constexpr std::size_t kEhdrSize = 52;
constexpr std::size_t kPhdrSize = 32;
constexpr std::size_t kShdrSize = 40;
constexpr std::uint8_t kClass32 = 1;
constexpr std::uint8_t kClass64 = 2;
constexpr std::uint8_t kData2Lsb = 1;
constexpr std::uint16_t kTypeExec = 2;
constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kShtSymtab = 2;
constexpr std::uint32_t kEfRiscvRve = 0x8;

std::uint16_t rd16(const std::vector<std::uint8_t>& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
}

std::uint32_t rd32(const std::vector<std::uint8_t>& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) | (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

const char* machine_name(std::uint16_t m) {
  switch (m) {
    case 3: return "x86";
    case 40: return "ARM";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    default: return "unknown";
  }
}

}  // namespace

ElfImage parse_elf(std::vector<std::uint8_t> bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw ElfError(name + ": " + what); };
  const std::size_t n = bytes.size();
  if (n < 4 || bytes[0] != 0x7F || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
    fail("not an ELF file (bad magic)");
  if (n < 5) fail("truncated ELF header (" + std::to_string(n) + " bytes)");
  if (bytes[4] == kClass64) fail("64-bit ELF (ELFCLASS64); the CPU is RV32: build for rv32 / ilp32");
  if (bytes[4] != kClass32) fail("unknown ELF class " + std::to_string(bytes[4]) + ", expected 32-bit");
  if (n < kEhdrSize) fail("truncated ELF header (" + std::to_string(n) + " of 52 bytes)");
  if (bytes[5] != kData2Lsb) fail("big-endian ELF; RISC-V is little-endian");
  const std::uint16_t type = rd16(bytes, 16);
  const std::uint16_t machine = rd16(bytes, 18);
  if (machine != kElfMachineRiscv)
    fail("machine " + std::to_string(machine) + " (" + machine_name(machine) + "), expected RISC-V (243)");
  if (type != kTypeExec)
    fail("ELF type " + std::to_string(type) + ", expected an executable (ET_EXEC = 2): link the firmware");

  ElfImage img;
  img.name = name;
  img.entry = rd32(bytes, 24);
  img.flags = rd32(bytes, 36);
  if (img.flags & kEfRiscvRve) fail("RV32E executable (EF_RISCV_RVE); the CPU is RV32I-based");
  const std::uint32_t phoff = rd32(bytes, 28);
  const std::uint16_t phentsize = rd16(bytes, 42);
  const std::uint16_t phnum = rd16(bytes, 44);
  if (phnum == 0) fail("no program headers");
  if (phentsize != kPhdrSize)
    fail("program header entry size " + std::to_string(phentsize) + ", expected 32");
  if (static_cast<std::uint64_t>(phoff) + static_cast<std::uint64_t>(phnum) * kPhdrSize > n)
    fail("truncated: program header table [" + hex(phoff, 0) + ", " +
         hex(phoff + std::uint64_t{phnum} * kPhdrSize, 0) + ") exceeds the file size " + hex(n, 0));

  for (unsigned i = 0; i < phnum; ++i) {
    const std::size_t p = phoff + i * kPhdrSize;
    if (rd32(bytes, p) != kPtLoad) continue;
    ElfSegment s;
    s.file_offset = rd32(bytes, p + 4);
    s.vaddr = rd32(bytes, p + 8);
    s.paddr = rd32(bytes, p + 12);
    s.file_size = rd32(bytes, p + 16);
    s.mem_size = rd32(bytes, p + 20);
    s.flags = rd32(bytes, p + 24);
    if (s.mem_size < s.file_size)
      fail("segment " + std::to_string(i) + ": p_memsz " + hex(s.mem_size, 0) + " < p_filesz " +
           hex(s.file_size, 0));
    if (static_cast<std::uint64_t>(s.file_offset) + s.file_size > n)
      fail("truncated: segment " + std::to_string(i) + " file bytes [" + hex(s.file_offset, 0) + ", " +
           hex(std::uint64_t{s.file_offset} + s.file_size, 0) + ") exceed the file size " + hex(n, 0));
    if (static_cast<std::uint64_t>(s.paddr) + s.mem_size > (std::uint64_t{1} << 32))
      fail("segment " + std::to_string(i) + " wraps past the 32-bit address space");
    if (s.mem_size > 0) img.segments.push_back(s);
  }
  if (img.segments.empty()) fail("no loadable (PT_LOAD) segments");
  img.bytes = std::move(bytes);
  return img;
}

ElfImage read_elf(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ElfError(path + ": cannot open: " + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw ElfError(path + ": read error");
  return parse_elf(std::move(bytes), path);
}

void load_elf(const ElfImage& image, std::uint64_t base, std::uint8_t* host, std::uint64_t size) {
  const std::uint64_t end = base + size;
  auto range = [&](std::uint64_t a, std::uint64_t b) { return "[" + hex(a, 0) + ", " + hex(b, 0) + ")"; };
  for (std::size_t i = 0; i < image.segments.size(); ++i) {
    const ElfSegment& s = image.segments[i];
    const std::uint64_t a = s.paddr, b = std::uint64_t{s.paddr} + s.mem_size;
    if (a < base || b > end)
      throw ElfError(image.name + ": loadable segment " + std::to_string(i) + " " + range(a, b) +
                     " lies outside DRAM " + range(base, end));
  }
  if (image.entry < base || image.entry >= end)
    throw ElfError(image.name + ": entry point " + hex(image.entry, 0) + " lies outside DRAM " +
                   range(base, end));
  for (const ElfSegment& s : image.segments) {
    std::uint8_t* dst = host + (s.paddr - base);
    std::memcpy(dst, image.bytes.data() + s.file_offset, s.file_size);
    std::memset(dst + s.file_size, 0, s.mem_size - s.file_size);
  }
}

namespace {

// Calls f(name, value, size, info) for every entry of every .symtab (nothing if there is none or it is
// malformed); f returns true to stop.
template <class F>
void for_each_symbol(const std::vector<std::uint8_t>& b, F&& f) {
  const std::size_t n = b.size();
  const std::uint32_t shoff = rd32(b, 32);
  const std::uint16_t shentsize = rd16(b, 46);
  const std::uint16_t shnum = rd16(b, 48);
  if (shoff == 0 || shentsize != kShdrSize || std::uint64_t{shoff} + std::uint64_t{shnum} * kShdrSize > n)
    return;
  for (unsigned i = 0; i < shnum; ++i) {
    const std::size_t sh = shoff + i * kShdrSize;
    if (rd32(b, sh + 4) != kShtSymtab) continue;
    const std::uint32_t off = rd32(b, sh + 16), sz = rd32(b, sh + 20), link = rd32(b, sh + 24);
    const std::uint32_t entsize = rd32(b, sh + 36);
    if (entsize != 16 || link >= shnum || std::uint64_t{off} + sz > n) return;
    const std::size_t strsh = shoff + link * kShdrSize;
    const std::uint32_t stroff = rd32(b, strsh + 16), strsz = rd32(b, strsh + 20);
    if (std::uint64_t{stroff} + strsz > n) return;
    for (std::uint32_t e = 0; e + 16 <= sz; e += 16) {
      const std::uint32_t nm = rd32(b, off + e);
      if (nm >= strsz) continue;
      const char* s = reinterpret_cast<const char*>(b.data() + stroff + nm);
      if (f(std::string_view(s, strnlen(s, strsz - nm)), rd32(b, off + e + 4), rd32(b, off + e + 8),
            b[off + e + 12]))
        return;
    }
  }
}

constexpr std::uint8_t kSttFunc = 2;  // st_info's low nibble

}  // namespace

std::optional<std::uint32_t> ElfImage::symbol(const std::string& symbol_name) const {
  std::optional<std::uint32_t> found;
  for_each_symbol(bytes, [&](std::string_view name, std::uint32_t value, std::uint32_t, std::uint8_t) {
    if (name == symbol_name) found = value;
    return found.has_value();
  });
  return found;
}

std::vector<ElfSymbol> ElfImage::functions() const {
  std::vector<ElfSymbol> out;
  for_each_symbol(bytes,
                  [&](std::string_view name, std::uint32_t value, std::uint32_t size, std::uint8_t info) {
                    if ((info & 0xF) == kSttFunc && size != 0 && !name.empty())
                      out.push_back({std::string(name), value, size});
                    return false;
                  });
  std::sort(out.begin(), out.end(),
            [](const ElfSymbol& a, const ElfSymbol& b) { return a.address < b.address; });
  return out;
}

}  // namespace dnnvp::cpu
