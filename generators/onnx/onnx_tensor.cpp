#include "onnx_tensor.h"

#include <cstring>
#include <limits>

#include "error.h"

namespace dnnvp {
namespace onnx_import {

namespace {

// raw_data is little-endian whatever the host, so assemble the bytes explicitly.
std::uint64_t little_endian(const std::string& raw, size_t offset, int bytes) {
  std::uint64_t bits = 0;
  for (int b = 0; b < bytes; ++b)
    bits |= std::uint64_t{static_cast<std::uint8_t>(raw[offset + static_cast<size_t>(b)])} << (8 * b);
  return bits;
}

int bytes_per_value(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
      return 1;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::FLOAT:
      return 4;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::DOUBLE:
      return 8;
    default:
      return 0;
  }
}

double from_raw(int data_type, std::uint64_t bits) {
  switch (data_type) {
    case onnx::TensorProto::UINT8:
      return static_cast<double>(static_cast<std::uint8_t>(bits));
    case onnx::TensorProto::INT8:
      return static_cast<double>(static_cast<std::int8_t>(bits));
    case onnx::TensorProto::INT32:
      return static_cast<double>(static_cast<std::int32_t>(bits));
    case onnx::TensorProto::INT64:
      return static_cast<double>(static_cast<std::int64_t>(bits));
    case onnx::TensorProto::FLOAT: {
      float f;
      const auto b32 = static_cast<std::uint32_t>(bits);
      std::memcpy(&f, &b32, sizeof f);
      return f;
    }
    default: {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
  }
}

}  // namespace

bool ConstTensor::is_integer() const {
  return data_type != onnx::TensorProto::FLOAT && data_type != onnx::TensorProto::DOUBLE;
}

std::vector<std::int32_t> ConstTensor::ints() const {
  std::vector<std::int32_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<std::int32_t>(values[i]);
  return out;
}

std::string data_type_name(int data_type) {
  if (!onnx::TensorProto::DataType_IsValid(data_type)) return "type " + std::to_string(data_type);
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(data_type));
}

std::int64_t element_count(const std::vector<std::int64_t>& dims, const std::string& what) {
  std::int64_t count = 1;  // a scalar has no dims and one element
  for (std::int64_t d : dims) {
    if (d < 0) throw Error(what + ": negative dimension " + std::to_string(d));
    if (d != 0 && count > kMaxTensorElements / d)
      throw Error(what + ": more than " + std::to_string(kMaxTensorElements) + " elements");
    count *= d;
  }
  return count;
}

ConstTensor decode_tensor(const onnx::TensorProto& proto, const std::string& what) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(what + ": data in an external file is not supported (save the model with its data inside)");
  ConstTensor t;
  t.data_type = proto.data_type();
  t.dims.assign(proto.dims().begin(), proto.dims().end());
  const std::int64_t count = element_count(t.dims, what);
  const int bytes = bytes_per_value(t.data_type);
  if (bytes == 0)
    throw Error(what + ": data type " + data_type_name(t.data_type) +
                " is not supported (uint8, int8, int32, int64, float, double)");
  auto check_count = [&](std::int64_t have) {
    if (have != count)
      throw Error(what + ": holds " + std::to_string(have) + " values, its dims need " +
                  std::to_string(count));
  };
  t.values.reserve(static_cast<size_t>(count));
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() % static_cast<size_t>(bytes) != 0)
      throw Error(what + ": raw_data of " + std::to_string(raw.size()) + " bytes is not a whole number of " +
                  data_type_name(t.data_type) + " values");
    check_count(static_cast<std::int64_t>(raw.size() / static_cast<size_t>(bytes)));
    for (size_t i = 0; i < raw.size(); i += static_cast<size_t>(bytes))
      t.values.push_back(from_raw(t.data_type, little_endian(raw, i, bytes)));
    return t;
  }
  switch (t.data_type) {
    case onnx::TensorProto::FLOAT:
      check_count(proto.float_data_size());
      for (float v : proto.float_data()) t.values.push_back(v);
      break;
    case onnx::TensorProto::DOUBLE:
      check_count(proto.double_data_size());
      for (double v : proto.double_data()) t.values.push_back(v);
      break;
    case onnx::TensorProto::INT64:
      check_count(proto.int64_data_size());
      for (std::int64_t v : proto.int64_data()) t.values.push_back(static_cast<double>(v));
      break;
    default: {  // uint8, int8 and int32 values alike live in int32_data
      check_count(proto.int32_data_size());
      const bool is_u8 = t.data_type == onnx::TensorProto::UINT8;
      const bool is_i8 = t.data_type == onnx::TensorProto::INT8;
      for (std::int32_t v : proto.int32_data()) {
        if ((is_u8 && (v < 0 || v > 255)) || (is_i8 && (v < -128 || v > 127)))
          throw Error(what + ": value " + std::to_string(v) + " is outside " + data_type_name(t.data_type));
        t.values.push_back(v);
      }
      break;
    }
  }
  return t;
}

}  // namespace onnx_import
}  // namespace dnnvp
