/* AvgPool, including global (docs/numerics.md): over the n in-bounds positions of each window (padding
 * excluded from the divisor), y = z + (the mean of q - z rounded to nearest), z the input's zero point
 * (ONNX's rule). Ties toward +infinity: that is the rounded mean of the stored values q,
 * y = floor((2 sum + n) / (2 n)); ties to even: the same quotient, less one at a tie where it is odd
 * relative to z (y - z odd). Output type = input type. One division per output element. */
#include <stddef.h>

#include "dnnvp_ops.h"
#include "dnnvp_pool_window.h"

/* floor(num / den) for den > 0 (C division truncates toward zero). */
static inline int32_t floor_div32(int32_t num, int32_t den) {
  return num >= 0 ? num / den : -(int32_t)(((uint32_t)(-num) + (uint32_t)den - 1u) / (uint32_t)den);
}
static inline int64_t floor_div64(int64_t num, int64_t den) {
  return num >= 0 ? num / den : -((-num + den - 1) / den);
}

/* Ties to even for the mean of q - z: the half-up quotient of (num, den) = (2 sum + n, 2 n), less one at
 * a tie where it differs from z in parity. The tie test needs no z, so sums stay those of q. */
static inline int32_t even_div32(int32_t num, int32_t den, int32_t z) {
  const int32_t q = floor_div32(num, den);
  return ((q ^ z) & 1) && q * den == num ? q - 1 : q;
}
static inline int64_t even_div64(int64_t num, int64_t den, int32_t z) {
  const int64_t q = floor_div64(num, den);
  return ((q ^ z) & 1) && q * den == num ? q - 1 : q;
}

/* Ties up: the zero point drops out (z + round_up(mean(q) - z) = round_up(mean(q))), so its load does too. */
static inline int32_t up_div32(int32_t num, int32_t den, int32_t z) {
  (void)z;
  return floor_div32(num, den);
}
static inline int64_t up_div64(int64_t num, int64_t den, int32_t z) {
  (void)z;
  return floor_div64(num, den);
}

/* Sums are taken over raw ^ flip (the value plus `flip` for signed types, the value itself for
 * unsigned ones), then n * flip comes off: one loop for both signednesses. Windows up to
 * kSmallWindow positions keep every intermediate in 32 bits: |2 sum + n| <= 2 * 255 n + n < 2^31. */
enum { kSmallWindow = 4000000 };

#define AVGPOOL_NAME avgpool_half_even
#define AVGPOOL_DIV32 even_div32
#define AVGPOOL_DIV64 even_div64
#include "dnnvp_avgpool_impl.h"

#define AVGPOOL_NAME avgpool_half_up
#define AVGPOOL_DIV32 up_div32
#define AVGPOOL_DIV64 up_div64
#include "dnnvp_avgpool_impl.h"

dnnvp_op_status_t dnnvp_op_avgpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output) {
  if (params == NULL || params->rounding == DNNVP_ROUND_HALF_UP) return avgpool_half_up(params, input, output);
  if (params->rounding == DNNVP_ROUND_HALF_EVEN) return avgpool_half_even(params, input, output);
  return DNNVP_OP_ERR_ARG;
}
