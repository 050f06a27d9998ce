// A layer's model.h row (firmware/abi/dnnvp_model_types.h) but for what the memory layout decides: the one
// place a row is filled, for vp_gen's model.h (emit.cpp adds the addresses) and for host programs that
// drive the engine through the firmware's driver without a generated model.h (the engine harness, the
// engine bridge's bench).
#pragma once

#include <cstddef>

#include "dnnvp_model_types.h"
#include "engine_plan.h"
#include "golden.h"

namespace dnnvp {

// Row of layer `index`: the common fields here, the type's own ones from its LayerKind, the tiling from
// `plan` (an engine layer's; nullptr for a CPU layer). DRAM addresses and the blob size stay 0. The
// row's name points into `model`, which must outlive it.
dnnvp_layer_t layer_table_row(const QuantizedModel& model, std::size_t index, const LayerPlan* plan);

// The row of an engine layer, for the host programs above.
inline dnnvp_layer_t engine_table_entry(const QuantizedModel& model, std::size_t index,
                                        const LayerPlan& plan) {
  return layer_table_row(model, index, &plan);
}

}  // namespace dnnvp
