/* AvgPool, including global (docs/numerics.md): y = floor((2 sum + n) / (2 n)) over the n in-bounds
 * positions of each window (padding excluded from the divisor), on the raw stored values. Output type
 * = input type. One division per output element. */
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

/* Sums are taken over raw ^ flip (the value plus `flip` for signed types, the value itself for
 * unsigned ones), then n * flip comes off: one loop for both signednesses. Windows up to
 * kSmallWindow positions keep every intermediate in 32 bits: |2 sum + n| <= 2 * 255 n + n < 2^31. */
enum { kSmallWindow = 4000000 };

static void avgpool_small(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t row_elems = in_w * c;
  const uint32_t flip = dnnvp_sign_flip(&in->q);
  const int is4 = in->q.bits <= 4u;
  uint32_t o = 0;
  for (uint32_t oy = 0; oy < out->shape.h; ++oy) {
    dnnvp_window_t wy;
    dnnvp_window_clip(&wy, oy, p->stride_h, p->pad_top, p->kernel_h, in_h);
    for (uint32_t ox = 0; ox < out->shape.w; ++ox) {
      dnnvp_window_t wx;
      dnnvp_window_clip(&wx, ox, p->stride_w, p->pad_left, p->kernel_w, in_w);
      const uint32_t wpix = wx.hi - wx.lo;
      const int32_t n = (int32_t)((wy.hi - wy.lo) * wpix);
      const int32_t den = 2 * n;
      const int32_t bias = n - 2 * n * (int32_t)flip; /* 2 sum + n with sum = raw_sum - n * flip */
      const uint32_t first = wy.lo * row_elems + wx.lo * c;
      if (!is4) {
        uint8_t *dst = out->data + o;
        for (uint32_t k = 0; k < c; ++k) {
          uint32_t sum = 0;
          const uint8_t *row = in->data + first + k;
          for (uint32_t y = wy.lo; y < wy.hi; ++y, row += row_elems) {
            const uint8_t *s = row;
            for (uint32_t x = 0; x < wpix; ++x, s += c) sum += (uint32_t)(*s ^ flip);
          }
          dst[k] = (uint8_t)floor_div32(2 * (int32_t)sum + bias, den);
        }
        o += c;
      } else {
        for (uint32_t k = 0; k < c; ++k, ++o) {
          uint32_t sum = 0;
          uint32_t row = first + k;
          for (uint32_t y = wy.lo; y < wy.hi; ++y, row += row_elems) {
            uint32_t i = row;
            for (uint32_t x = 0; x < wpix; ++x, i += c) sum += dnnvp_nibble_get(in->data, i) ^ flip;
          }
          dnnvp_nibble_put(out->data, o, (uint32_t)floor_div32(2 * (int32_t)sum + bias, den));
        }
      }
    }
  }
  if (is4 && (o & 1u)) out->data[o >> 1] &= 0x0Fu;
}

/* Windows of more than kSmallWindow positions: 64-bit sums and division (rare: huge global pools). */
static void avgpool_large(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t flip = dnnvp_sign_flip(&in->q);
  const int is4 = in->q.bits <= 4u;
  uint32_t o = 0;
  for (uint32_t oy = 0; oy < out->shape.h; ++oy) {
    dnnvp_window_t wy;
    dnnvp_window_clip(&wy, oy, p->stride_h, p->pad_top, p->kernel_h, in_h);
    for (uint32_t ox = 0; ox < out->shape.w; ++ox) {
      dnnvp_window_t wx;
      dnnvp_window_clip(&wx, ox, p->stride_w, p->pad_left, p->kernel_w, in_w);
      const int64_t n = (int64_t)(wy.hi - wy.lo) * (wx.hi - wx.lo);
      for (uint32_t k = 0; k < c; ++k, ++o) {
        int64_t sum = 0;
        for (uint32_t y = wy.lo; y < wy.hi; ++y)
          for (uint32_t x = wx.lo; x < wx.hi; ++x) {
            const uint32_t i = (y * in_w + x) * c + k;
            const uint32_t raw = is4 ? dnnvp_nibble_get(in->data, i) : in->data[i];
            sum += (int64_t)(raw ^ flip);
          }
        sum -= n * (int64_t)flip;
        const uint32_t v = (uint32_t)floor_div64(2 * sum + n, 2 * n);
        if (is4)
          dnnvp_nibble_put(out->data, o, v);
        else
          out->data[o] = (uint8_t)v;
      }
    }
  }
  if (is4 && (o & 1u)) out->data[o >> 1] &= 0x0Fu;
}

dnnvp_op_status_t dnnvp_op_avgpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output) {
  if (!dnnvp_pool_args_valid(params, input, output)) return DNNVP_OP_ERR_ARG;
  if ((uint64_t)params->kernel_h * params->kernel_w <= (uint64_t)kSmallWindow)
    avgpool_small(params, input, output);
  else
    avgpool_large(params, input, output);
  return DNNVP_OP_OK;
}
