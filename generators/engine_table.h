// The model.h layer-table entry (firmware/abi/dnnvp_model_types.h) of an engine layer, for host
// programs that drive the engine through the firmware's driver without a generated model.h (the
// engine harness, the engine bridge's bench).
#pragma once

#include <cstddef>

#include "dnnvp_model_types.h"
#include "engine_plan.h"
#include "golden.h"

namespace dnnvp {

// Fills the fields the engine driver reads (shapes, window, quantisation, tiling); addresses stay 0.
// The entry's name points into `model`, which must outlive it.
dnnvp_layer_t engine_table_entry(const QuantizedModel& model, std::size_t index, const LayerPlan& plan);

}  // namespace dnnvp
