// A Conv/Dense layer's weight blob: its weights and output stage in exactly the order the engine's
// weight stream (s_axis_w, docs/engine.md) consumes them. weights.bin holds one blob per layer.
#pragma once

#include <cstdint>
#include <vector>

#include "engine_plan.h"
#include "golden.h"

namespace dnnvp {

// Per output block: the params block (bias | multiplier | shift of Cols entries, entry c < Cv the block's
// channel c, the rest 0), then every pass's Rows x Cols weight block, each zero-padded to whole stream
// beats; a grouped conv's passes walk only the block's chunk range and its weight blocks are
// block-diagonal (zero across groups). At Cin-fold F, PE(r, c) of block cb's pass over words j*F ..
// j*F + F - 1 holds w[cb*Cv + c % Cv][ky][kx][(j*F + c / Cv)*Rows + r] (docs/engine.md "Cin-fold"). A
// depthwise layer (OP 3, Cv = F*Rows) streams one weight block per sweep s: PE(r, c) holds tap
// s*Rows + r (t = ky*kw + kx) of channel cb*Cv + c, zero beyond the taps, Cv or C.
// engine_geometry(layer, config, fold).blob_bytes long. Throws dnnvp::Error for non-zero weight zero
// points, which the engine does not implement.
std::vector<std::uint8_t> engine_blob(const Layer& layer, const LayerParams& params,
                                      const EngineConfig& config, int fold = 1);

}  // namespace dnnvp
