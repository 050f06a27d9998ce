/* Clip (docs/numerics.md): y = min(max(x, lo), hi) on stored values; the output has the input's type,
 * so no rescaling. Packed 2..4-bit tensors are written a byte (two values) at a time, so the high
 * nibble after an odd last element is 0. */
#include <stddef.h>

#include "dnnvp_ops.h"

/* Element i as its integer. */
static int32_t element(const dnnvp_tensor_t *t, uint32_t i, uint32_t flip) {
  const uint32_t raw = t->q.bits <= 4u ? dnnvp_nibble_get(t->data, i) : t->data[i];
  return (int32_t)(raw ^ flip) - (int32_t)flip;
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

dnnvp_op_status_t dnnvp_op_clip(const dnnvp_clip_params_t *params, const dnnvp_tensor_t *input,
                                const dnnvp_tensor_t *output) {
  if (params == NULL || input == NULL || output == NULL) return DNNVP_OP_ERR_ARG;
  const dnnvp_qtype_t *q = &input->q;
  const uint32_t n = input->shape.h * input->shape.w * input->shape.c;
  const int32_t lo = params->lo, hi = params->hi;
  if (input->data == NULL || output->data == NULL || !dnnvp_qtype_valid(q) || output->q.bits != q->bits ||
      output->q.is_signed != q->is_signed || output->q.zero_point != q->zero_point ||
      output->shape.h * output->shape.w * output->shape.c != n || lo > hi || lo < dnnvp_qmin(q) ||
      hi > dnnvp_qmax(q))
    return DNNVP_OP_ERR_ARG;
  const uint32_t flip = dnnvp_sign_flip(q);
  if (q->bits <= 4u) {
    for (uint32_t i = 0; i < n; i += 2u) {
      const uint32_t a = (uint32_t)clamp(element(input, i, flip), lo, hi) & 0xFu;
      const uint32_t b = i + 1u < n ? (uint32_t)clamp(element(input, i + 1u, flip), lo, hi) & 0xFu : 0u;
      output->data[i >> 1] = (uint8_t)(a | b << 4);
    }
  } else {
    for (uint32_t i = 0; i < n; ++i) output->data[i] = (uint8_t)clamp(element(input, i, flip), lo, hi);
  }
  return DNNVP_OP_OK;
}
