/* Pooling windows, shared by the MaxPool and AvgPool operations (internal to runtime/ops). */
#ifndef DNNVP_POOL_WINDOW_H
#define DNNVP_POOL_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "dnnvp_ops.h"

/* In-bounds input range [lo, hi) of output position o along one dimension. */
typedef struct {
  uint32_t lo, hi;
} dnnvp_window_t;

static inline void dnnvp_window_clip(dnnvp_window_t *w, uint32_t o, uint32_t stride, uint32_t pad,
                                     uint32_t kernel, uint32_t size) {
  const int32_t start = (int32_t)(o * stride) - (int32_t)pad;
  const int32_t end = start + (int32_t)kernel;
  w->lo = start < 0 ? 0u : (uint32_t)start;
  w->hi = end > (int32_t)size ? size : (uint32_t)end;
}

/* Every window of the output must hold at least one input position: padding smaller than the kernel
 * (as vp_gen requires) and the last window starting inside the input. */
static inline int dnnvp_pool_params_valid(const dnnvp_pool_params_t *p, const dnnvp_shape_t *in,
                                          const dnnvp_shape_t *out) {
  if (p->kernel_h == 0u || p->kernel_w == 0u || p->stride_h == 0u || p->stride_w == 0u) return 0;
  if (p->pad_top >= p->kernel_h || p->pad_left >= p->kernel_w) return 0;
  if (in->h == 0u || in->w == 0u || in->c == 0u || out->h == 0u || out->w == 0u) return 0;
  if ((uint64_t)(out->h - 1u) * p->stride_h >= (uint64_t)in->h + p->pad_top) return 0;
  if ((uint64_t)(out->w - 1u) * p->stride_w >= (uint64_t)in->w + p->pad_left) return 0;
  return 1;
}

/* The arguments of a pooling operation: both tensors present, one type (a pool does not requantise),
 * the same channels, and windows as above. */
static inline int dnnvp_pool_args_valid(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                        const dnnvp_tensor_t *output) {
  if (params == NULL || input == NULL || output == NULL || input->data == NULL || output->data == NULL) return 0;
  if (!dnnvp_qtype_valid(&input->q) || input->q.bits != output->q.bits ||
      input->q.is_signed != output->q.is_signed || input->shape.c != output->shape.c)
    return 0;
  return dnnvp_pool_params_valid(params, &input->shape, &output->shape);
}

#endif /* DNNVP_POOL_WINDOW_H */
