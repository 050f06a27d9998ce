// Packing quantised values into bytes (docs/formats.md): widths up to 4 bits are stored two per
// byte, low nibble first; wider ones one per byte; always two's complement for signed types.
#pragma once

#include <cstdint>
#include <vector>

#include "arith.h"

namespace dnnvp {

int storage_bits(int bits);
std::uint64_t packed_bytes(std::int64_t count, int bits);
std::vector<std::uint8_t> pack(const std::vector<std::int32_t>& values, int bits);
std::vector<std::int32_t> unpack(const std::vector<std::uint8_t>& bytes, std::int64_t count, QuantType type);

}  // namespace dnnvp
