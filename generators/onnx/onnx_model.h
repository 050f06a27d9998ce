// The importer on an already parsed model (tests build or modify models with the protobuf API).
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "onnx_import.h"

namespace dnnvp {

// `source` names the model in messages.
ImportedModel import_onnx(const onnx::ModelProto& model, const std::string& source);

}  // namespace dnnvp
