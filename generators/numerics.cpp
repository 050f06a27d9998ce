#include "numerics.h"

#include <string>

#include "error.h"

namespace dnnvp {

void check_requant(Requant rq, Activation act, int leaky_shift) {
  if (rq.multiplier < 0)
    throw Error("requantisation multiplier must be 0..2^31-1, got " + std::to_string(rq.multiplier));
  const int extra = act == Activation::LeakyRelu ? leaky_shift : 0;
  if (rq.shift < 0 || rq.shift + extra > kMaxShift)
    throw Error("requantisation shift must be 0.." + std::to_string(kMaxShift - extra) + ", got " +
                std::to_string(rq.shift));
}

}  // namespace dnnvp
