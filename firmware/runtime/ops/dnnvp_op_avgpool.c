/* AvgPool, including global (docs/numerics.md): y = sum / n rounded to nearest over the n in-bounds
 * positions of each window (padding excluded from the divisor), on the raw stored values. Ties toward
 * +infinity: y = floor((2 sum + n) / (2 n)); ties to even: the same quotient, less one when it is odd
 * and the division exact (a tie). Output type = input type. One division per output element. */
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

/* Ties to even: the half-up quotient of (num, den) = (2 sum + n, 2 n), less one at an odd tie. */
static inline int32_t even_div32(int32_t num, int32_t den) {
  const int32_t q = floor_div32(num, den);
  return (q & 1) && q * den == num ? q - 1 : q;
}
static inline int64_t even_div64(int64_t num, int64_t den) {
  const int64_t q = floor_div64(num, den);
  return (q & 1) && q * den == num ? q - 1 : q;
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
#define AVGPOOL_DIV32 floor_div32
#define AVGPOOL_DIV64 floor_div64
#include "dnnvp_avgpool_impl.h"

dnnvp_op_status_t dnnvp_op_avgpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output) {
  if (params == NULL || params->rounding == DNNVP_ROUND_HALF_UP) return avgpool_half_up(params, input, output);
  if (params->rounding == DNNVP_ROUND_HALF_EVEN) return avgpool_half_even(params, input, output);
  return DNNVP_OP_ERR_ARG;
}
