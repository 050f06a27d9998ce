// NumPy .npy (format version 1.0) writer for little-endian int32 arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnnvp {

void write_npy_int32(const std::string& path, const std::vector<std::int32_t>& data,
                     const std::vector<std::int64_t>& shape);

}  // namespace dnnvp
