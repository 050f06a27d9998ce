/* CPU-side layer operations of dnn-vp (docs/engine.md "What runs where"), bit-exact to
 * docs/numerics.md and the golden model (generators/golden.cpp). One operation per file (ops/), with
 * uniform signatures in the CMSIS-NN manner:
 *
 *     dnnvp_op_status_t dnnvp_op_<name>(const <params> *params, const dnnvp_tensor_t *input...,
 *                                       const dnnvp_tensor_t *output);
 *
 * Tensors are HWC (batch 1), packed as in DRAM (docs/formats.md): widths 5..8 one value per byte,
 * widths 2..4 two values per byte (element 2i in the low nibble of byte i), two's complement when
 * signed. Outputs are written whole, including the zero high nibble after an odd last 4-bit element.
 * Output and input buffers must not overlap. C11, freestanding, no allocation. */
#ifndef DNNVP_OPS_H
#define DNNVP_OPS_H

#include <stdint.h>

#include "dnnvp_model_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  DNNVP_OP_OK = 0,
  DNNVP_OP_ERR_ARG /* null pointer, bad width, shapes or types that do not fit the operation */
} dnnvp_op_status_t;

/* A packed tensor: data, HWC shape, element type (bits, signedness, zero point). */
typedef struct {
  uint8_t *data;
  dnnvp_shape_t shape;
  dnnvp_qtype_t q;
} dnnvp_tensor_t;

/* MaxPool / AvgPool window. A global pool is the window of the whole input with stride 1 and no
 * padding. pad_bottom / pad_right follow from the output shape; padded positions never take part
 * (max ignores them, the average excludes them from the divisor). */
typedef struct {
  uint16_t kernel_h, kernel_w;
  uint16_t stride_h, stride_w;
  uint16_t pad_top, pad_left;
  uint8_t rounding; /* dnnvp_rounding_t of the average's ties (MaxPool: unused) */
} dnnvp_pool_params_t;

/* Residual add: y = sat(zy + round_shift(act((a - za) * multiplier[0] + (b - zb) * multiplier[1]),
 * shift (+ leaky_shift for negative sums with LeakyReLU))), ties as `rounding` says. */
typedef struct {
  int32_t multiplier[2];
  uint8_t shift;        /* 0..62 */
  uint8_t activation;   /* dnnvp_activation_t */
  uint8_t leaky_shift;  /* LeakyReLU: shift + leaky_shift <= 62 */
  uint8_t rounding;     /* dnnvp_rounding_t */
} dnnvp_add_params_t;

/* Clip: y = min(max(x, lo), hi) on stored values of the input's type (the output's too). */
typedef struct {
  int32_t lo, hi; /* qmin <= lo <= hi <= qmax of the type */
} dnnvp_clip_params_t;

/* Output: in's type; shape out_h x out_w x in.c. */
dnnvp_op_status_t dnnvp_op_maxpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output);
/* Output: in's type; sum / n rounded to nearest (ties as params->rounding says) over the n in-bounds
 * positions. */
dnnvp_op_status_t dnnvp_op_avgpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output);
/* a, b and output have the same number of elements; each its own type and zero point. */
dnnvp_op_status_t dnnvp_op_add(const dnnvp_add_params_t *params, const dnnvp_tensor_t *input_a,
                               const dnnvp_tensor_t *input_b, const dnnvp_tensor_t *output);
/* Output: input's type and number of elements. */
dnnvp_op_status_t dnnvp_op_clip(const dnnvp_clip_params_t *params, const dnnvp_tensor_t *input,
                                const dnnvp_tensor_t *output);

/* ---- packing helpers shared by the operations (inline: no calls in inner loops) ---- */

/* Bytes holding `count` values of `bits` (two per byte up to 4 bits). */
static inline uint32_t dnnvp_packed_bytes(uint32_t count, uint32_t bits) {
  return bits <= 4u ? (count + 1u) / 2u : count;
}

/* A stored value (byte or nibble, already extracted) -> its integer: (raw ^ flip) - flip sign-extends
 * when flip is the sign bit of the storage width (0x80 / 0x8) and is the identity when flip is 0. */
static inline uint32_t dnnvp_sign_flip(const dnnvp_qtype_t *q) {
  return q->is_signed ? (q->bits <= 4u ? 0x8u : 0x80u) : 0u;
}

/* Element i of a 4-bit packed tensor, raw nibble. */
static inline uint32_t dnnvp_nibble_get(const uint8_t *data, uint32_t i) {
  return (uint32_t)(data[i >> 1] >> ((i & 1u) << 2)) & 0xFu;
}

/* Stores the low 4 bits of v as element i (read-modify-write of its byte). */
static inline void dnnvp_nibble_put(uint8_t *data, uint32_t i, uint32_t v) {
  uint8_t *p = &data[i >> 1];
  if (i & 1u)
    *p = (uint8_t)((*p & 0x0Fu) | ((v & 0xFu) << 4));
  else
    *p = (uint8_t)((*p & 0xF0u) | (v & 0xFu));
}

/* Range of a type. */
static inline int32_t dnnvp_qmin(const dnnvp_qtype_t *q) { return q->is_signed ? -(1 << (q->bits - 1)) : 0; }
static inline int32_t dnnvp_qmax(const dnnvp_qtype_t *q) {
  return q->is_signed ? (1 << (q->bits - 1)) - 1 : (1 << q->bits) - 1;
}

static inline int dnnvp_qtype_valid(const dnnvp_qtype_t *q) { return q->bits >= 2u && q->bits <= 8u; }

#ifdef __cplusplus
}
#endif

#endif /* DNNVP_OPS_H */
