#include "pack.h"

#include <cstddef>

namespace dnnvp {

int storage_bits(int bits) {
  return bits <= 4 ? 4 : 8;
}

std::uint64_t packed_bytes(std::int64_t count, int bits) {
  return (static_cast<std::uint64_t>(count) * storage_bits(bits) + 7) / 8;
}

std::vector<std::uint8_t> pack(const std::vector<std::int32_t>& values, int bits) {
  std::vector<std::uint8_t> out(packed_bytes(static_cast<std::int64_t>(values.size()), bits), 0);
  if (storage_bits(bits) == 8) {
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<std::uint8_t>(values[i] & 0xFF);
  } else {
    for (std::size_t i = 0; i < values.size(); ++i)
      out[i / 2] |= static_cast<std::uint8_t>((values[i] & 0xF) << (4 * (i % 2)));
  }
  return out;
}

std::vector<std::int32_t> unpack(const std::vector<std::uint8_t>& bytes, std::int64_t count, QuantType type) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(count));
  const int width = storage_bits(type.bits);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int32_t v = width == 8 ? bytes[i] : (bytes[i / 2] >> (4 * (i % 2))) & 0xF;
    if (type.is_signed && (v & (1 << (width - 1)))) v -= 1 << width;
    out[i] = v;
  }
  return out;
}

}  // namespace dnnvp
