// The images a run checks (docs/scenarios.md, "input"): input.file's batch, or the synthetic image alone,
// with the golden model's output and predicted class for each, and input.labels / input.reference.
#pragma once

#include <cstdint>
#include <vector>

#include "golden.h"
#include "scenario.h"

namespace dnnvp {

struct ImageBatch {
  std::vector<Tensor> images;           // quantised, in the engine's layout (HWC)
  std::vector<Tensor> outputs;          // the golden model's last-layer output of each image
  std::vector<std::int64_t> golden;     // predicted_class() of each output
  std::vector<std::int64_t> labels;     // input.labels; empty: not given
  std::vector<std::int64_t> reference;  // input.reference as classes; empty: not given
};

// How many images input.file holds (1 without one), its shape checked against the network's input:
// the model's own layout (HWC for a YAML network, CHW for an ONNX model, [b, M, K] for a rank-3 ONNX
// input), with or without a leading batch dimension; [C] or [N, C] too when H = W = 1. Throws
// dnnvp::Error naming the file.
std::size_t image_count(const Scenario& s);

// input.file's images for an input quantised as `q`, in the engine's layout: float files quantised
// (round half to even of x / scale, plus the zero point, saturated), integer files taken as stored
// values, each checked against q's type. Throws dnnvp::Error naming the file and what is wrong.
std::vector<Tensor> read_images(const Scenario& s, const TensorQuant& q);

// The batch of a built model: `images` (read_images(), or the one synthetic image) with the golden
// model's output of each (`first_output`: image 0's, already computed), their predicted classes, and
// input.labels / input.reference read and checked (one per image, classes within the output's).
ImageBatch run_batch(const Scenario& s, const QuantizedModel& m, std::vector<Tensor> images,
                     Tensor first_output);

// The index of the largest element (the first of equal ones): stored values order as real ones, since
// the scale is positive.
std::int64_t predicted_class(const Tensor& output);

}  // namespace dnnvp
