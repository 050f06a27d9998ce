// The generators' side of the integer arithmetic (docs/numerics.md): the shared functions are in
// models/arith/arith.h (the platform's "fast" engine computes with them too); this adds the checks the
// generators make of a model's parameters.
#pragma once

#include "arith.h"
#include "network.h"

namespace dnnvp {

// Throws dnnvp::Error if multiplier or shift are out of range (negative shifts are not allowed).
void check_requant(Requant rq, Activation act, int leaky_shift);

}  // namespace dnnvp
