/* MaxPool (docs/numerics.md): the maximum over the in-bounds positions of each window; padding never
 * takes part. Output type = input type. */
#include <stddef.h>
#include <string.h>

#include "dnnvp_ops.h"
#include "dnnvp_pool_window.h"

/* 8-bit storage: the output pixel's C bytes serve as the running maximum; the window's pixels are
 * folded in one after the other, channels innermost (contiguous in HWC). */
static void maxpool_8bit(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t row_bytes = in_w * c;
  uint8_t *dst = out->data;
  for (uint32_t oy = 0; oy < out->shape.h; ++oy) {
    dnnvp_window_t wy;
    dnnvp_window_clip(&wy, oy, p->stride_h, p->pad_top, p->kernel_h, in_h);
    for (uint32_t ox = 0; ox < out->shape.w; ++ox, dst += c) {
      dnnvp_window_t wx;
      dnnvp_window_clip(&wx, ox, p->stride_w, p->pad_left, p->kernel_w, in_w);
      const uint8_t *row = in->data + wy.lo * row_bytes + wx.lo * c;
      /* First in-bounds position: copy; then fold the rest in. */
      memcpy(dst, row, c);
      uint32_t skip = 1; /* positions of the first row already taken */
      for (uint32_t y = wy.lo; y < wy.hi; ++y, row += row_bytes) {
        const uint8_t *src = row + skip * c;
        for (uint32_t x = wx.lo + skip; x < wx.hi; ++x, src += c) {
          if (in->q.is_signed) {
            const int8_t *s = (const int8_t *)src;
            int8_t *d = (int8_t *)dst;
            for (uint32_t k = 0; k < c; ++k)
              if (s[k] > d[k]) d[k] = s[k];
          } else {
            for (uint32_t k = 0; k < c; ++k)
              if (src[k] > dst[k]) dst[k] = src[k];
          }
        }
        skip = 0;
      }
    }
  }
}

/* 4-bit storage: channel outermost per output pixel, values compared as raw ^ flip, which orders
 * signed nibbles like their values (-8..7 -> 0..15). */
static void maxpool_4bit(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t flip = dnnvp_sign_flip(&in->q);
  uint32_t o = 0; /* output element index */
  for (uint32_t oy = 0; oy < out->shape.h; ++oy) {
    dnnvp_window_t wy;
    dnnvp_window_clip(&wy, oy, p->stride_h, p->pad_top, p->kernel_h, in_h);
    for (uint32_t ox = 0; ox < out->shape.w; ++ox) {
      dnnvp_window_t wx;
      dnnvp_window_clip(&wx, ox, p->stride_w, p->pad_left, p->kernel_w, in_w);
      const uint32_t first = (wy.lo * in_w + wx.lo) * c;
      for (uint32_t k = 0; k < c; ++k, ++o) {
        uint32_t m = 0;
        uint32_t row = first + k;
        for (uint32_t y = wy.lo; y < wy.hi; ++y, row += in_w * c) {
          uint32_t i = row;
          for (uint32_t x = wx.lo; x < wx.hi; ++x, i += c) {
            const uint32_t v = dnnvp_nibble_get(in->data, i) ^ flip;
            if (v > m) m = v;
          }
        }
        dnnvp_nibble_put(out->data, o, m ^ flip);
      }
    }
  }
  if (o & 1u) out->data[o >> 1] &= 0x0Fu; /* odd count: the last byte's high nibble is 0 */
}

dnnvp_op_status_t dnnvp_op_maxpool(const dnnvp_pool_params_t *params, const dnnvp_tensor_t *input,
                                   const dnnvp_tensor_t *output) {
  if (!dnnvp_pool_args_valid(params, input, output)) return DNNVP_OP_ERR_ARG;
  if (input->q.bits <= 4u)
    maxpool_4bit(params, input, output);
  else
    maxpool_8bit(params, input, output);
  return DNNVP_OP_OK;
}
