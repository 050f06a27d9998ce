// The importer's public API (onnx_import.h, onnx_model.h); the Importer itself is onnx_importer.h's.
#include <algorithm>
#include <fstream>

#include "error.h"
#include "onnx_importer.h"
#include "onnx_model.h"

namespace dnnvp {

double ChannelQuant::scale(int channel) const {
  return scales.size() == 1 ? scales[0] : scales.at(static_cast<size_t>(channel));
}

std::int32_t ChannelQuant::zero_point(int channel) const {
  return zero_points.size() == 1 ? zero_points[0] : zero_points.at(static_cast<size_t>(channel));
}

std::int32_t quantize_value(float x, const ChannelQuant& q, int channel) {
  const double v =
      onnx_import::round_half_even(static_cast<double>(x) / q.scale(channel)) + q.zero_point(channel);
  return static_cast<std::int32_t>(std::clamp<double>(v, q.min, q.max));
}

float dequantize_value(std::int32_t v, const ChannelQuant& q, int channel) {
  return static_cast<float>(q.scale(channel)) * static_cast<float>(v - q.zero_point(channel));
}

std::string sanitised_name(const std::string& raw, const std::string& fallback) {
  std::string s;
  for (const char ch : raw) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '.' || ch == '-';
    s += ok ? ch : '_';
  }
  if (s.empty()) s = fallback;
  if (s[0] == '.' || s[0] == '-') s = "n" + s;
  return s.substr(0, kMaxNameLength - 8);
}

ImportedModel import_onnx(const onnx::ModelProto& model, const std::string& source) {
  return onnx_import::Importer(model, source).run();
}

ImportedModel import_onnx(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&file))
    throw Error(path +
                ": not a readable ONNX model (the protobuf does not parse: truncated or another format)");
  return import_onnx(model, path);
}

}  // namespace dnnvp
