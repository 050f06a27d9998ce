// Fuzz target: the ONNX importer (generators/onnx/onnx_import.h) on arbitrary bytes as a model file.
// Bytes the protobuf parser takes go to the importer; rejection must be a dnnvp::Error naming the node or
// tensor; anything else (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>

#include "error.h"
#include "onnx_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    (void)dnnvp::import_onnx(model, "fuzz.onnx");
  } catch (const dnnvp::Error&) {
  }
  return 0;
}
