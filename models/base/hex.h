// Hexadecimal text of a value, as every message and generated file of dnn-vp spells addresses and
// register values: "0x" and at least `digits` digits, zero-padded (0: as many as the value needs).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dnnvp {

enum class HexCase { lower, upper };

// hex(0x1234) == "0x00001234"; hex(0x1234, 0) == "0x1234"; hex(0xab, 4, HexCase::upper) == "0x00AB".
inline std::string hex(std::uint64_t value, int digits = 8, HexCase letters = HexCase::lower) {
  constexpr int kMaxDigits = 64;
  char buf[2 + kMaxDigits + 1];
  std::snprintf(buf, sizeof buf, letters == HexCase::lower ? "0x%0*llx" : "0x%0*llX",
                std::clamp(digits, 0, kMaxDigits), static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace dnnvp
