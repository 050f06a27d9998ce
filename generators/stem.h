// The kx-im2col stem (docs/engine.md, "Stem"): a first convolution on few channels (ResNet-50's 7x7/2 on
// 3) fills ceil(Cin/Rows) words of Rows rows per tap, mostly zeros. Laid out in DRAM as
//   X'[y][ox][kx*Cin + c] = X[y][ox*stride_w + kx - pad_left][c]   (the input zero point out of range)
// the same layer is a kh x 1 convolution on kw*Cin channels, which packs those channels into
// ceil(kw*Cin/Rows) words per row tap instead of kw*ceil(Cin/Rows). Its weights are the same OHWI array
// read as [Cout][kh][1][kw*Cin], so the blob of the engine's view is the original's weights re-described;
// the golden model, the MACs and the outputs stay the original layer's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine_plan.h"
#include "golden.h"
#include "scenario.h"

namespace dnnvp {

// The layer as the engine runs it on X': kernel kh x 1, stride (stride_h, 1), padding (top, 0, bottom, 0),
// input H x OW x kw*Cin; output, weights and everything else unchanged.
Layer stem_engine_layer(const Layer& layer);

// Whether the scenario's first layer gets the layout: mapping.stem_im2col, a dense Conv reading the network
// input that no other layer reads, and ceil(kw*Cin/Rows) < kw*ceil(Cin/Rows) (fewer words per output
// pixel). Its plan (plan_layer() of the engine's view, engine_view set; the DRAM lower bound counts the
// original input) when it does and the view's bands fit the input buffer, else nothing.
std::optional<LayerPlan> plan_stem(const Scenario& scenario, const EngineConfig& config);

// X' of image `x` for `layer` (shape H x OW x kw*Cin), `zero_point` where a tap falls outside the image.
Tensor stem_im2col_input(const Tensor& x, const Layer& layer, std::int32_t zero_point);

// What the network's input buffer in DRAM holds for `image`: X' when the plan runs the first layer as the
// stem, else the image itself. Every writer of an input tensor for the platform goes through it.
Tensor engine_input(const Tensor& image, const QuantizedModel& model, const NetworkPlan& plan);
// The shape of that tensor.
Shape engine_input_shape(const Network& network, const NetworkPlan& plan);

}  // namespace dnnvp
