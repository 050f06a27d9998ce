// ONNX tensors (onnx::TensorProto) decoded into plain vectors, for the importer and its tests. Errors are
// dnnvp::Error naming the tensor; nothing here trusts the file.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dnnvp {
namespace onnx_import {

// A constant tensor: dims in ONNX order, values widened (integers exactly, floats to double).
struct ConstTensor {
  int data_type = onnx::TensorProto::UNDEFINED;
  std::vector<std::int64_t> dims;
  std::vector<double> values;
  bool is_integer() const;
  std::int64_t elements() const { return static_cast<std::int64_t>(values.size()); }
  // The values as int32 (integer types only; int64 values must fit).
  std::vector<std::int32_t> ints() const;
};

// Largest tensor the importer decodes (elements): far above any model the engine runs, and small
// enough that a hostile dims field cannot make it allocate gigabytes.
inline constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 28;

// Product of dims; throws naming `what` if a dim is negative or the product exceeds kMaxTensorElements.
std::int64_t element_count(const std::vector<std::int64_t>& dims, const std::string& what);

// Decodes uint8, int8, int32, int64, float and double tensors (raw_data or the typed fields). `what`
// names the tensor in errors.
ConstTensor decode_tensor(const onnx::TensorProto& proto, const std::string& what);

std::string data_type_name(int data_type);

}  // namespace onnx_import
}  // namespace dnnvp
