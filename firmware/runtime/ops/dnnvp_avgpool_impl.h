/* The AvgPool operation for one rounding, included once per rounding by dnnvp_op_avgpool.c with
 *   AVGPOOL_NAME   the operation's function (its helpers are AVGPOOL_NAME_small and _large),
 *   AVGPOOL_DIV32  z + the rounded quotient (sum - n z) / n as a function of (2 sum + n, 2 n, z), 32-bit
 *                  (sum over the stored values, z the input's zero point),
 *   AVGPOOL_DIV64  the same, 64-bit,
 * so each rounding's loops are their own (none tests the mode) and there is one text of them. */
#define AVGPOOL_CAT_(a, b) a##_##b
#define AVGPOOL_CAT(a, b) AVGPOOL_CAT_(a, b)
#define AVGPOOL_FN(part) AVGPOOL_CAT(AVGPOOL_NAME, part)


static void AVGPOOL_FN(small)(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t row_elems = in_w * c;
  const uint32_t flip = dnnvp_sign_flip(&in->q);
  const int32_t z = in->q.zero_point;
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
          dst[k] = (uint8_t)AVGPOOL_DIV32(2 * (int32_t)sum + bias, den, z);
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
          dnnvp_nibble_put(out->data, o, (uint32_t)AVGPOOL_DIV32(2 * (int32_t)sum + bias, den, z));
        }
      }
    }
  }
  if (is4 && (o & 1u)) out->data[o >> 1] &= 0x0Fu;
}

/* Windows of more than kSmallWindow positions: 64-bit sums and division (rare: huge global pools). */
static void AVGPOOL_FN(large)(const dnnvp_pool_params_t *p, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out) {
  const uint32_t in_w = in->shape.w, in_h = in->shape.h, c = in->shape.c;
  const uint32_t flip = dnnvp_sign_flip(&in->q);
  const int32_t z = in->q.zero_point;
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
        const uint32_t v = (uint32_t)AVGPOOL_DIV64(2 * sum + n, 2 * n, z);
        if (is4)
          dnnvp_nibble_put(out->data, o, v);
        else
          out->data[o] = (uint8_t)v;
      }
    }
  }
  if (is4 && (o & 1u)) out->data[o >> 1] &= 0x0Fu;
}

/* Not analysed across calls (noipa): compiled like an external function, as the operation always was. */
static __attribute__((noipa)) dnnvp_op_status_t AVGPOOL_NAME(const dnnvp_pool_params_t *params,
                                                           const dnnvp_tensor_t *input,
                                                           const dnnvp_tensor_t *output) {
  if (!dnnvp_pool_args_valid(params, input, output)) return DNNVP_OP_ERR_ARG;
  if ((uint64_t)params->kernel_h * params->kernel_w <= (uint64_t)kSmallWindow)
    AVGPOOL_FN(small)(params, input, output);
  else
    AVGPOOL_FN(large)(params, input, output);
  return DNNVP_OP_OK;
}

#undef AVGPOOL_FN
#undef AVGPOOL_CAT
#undef AVGPOOL_CAT_
#undef AVGPOOL_NAME
#undef AVGPOOL_DIV32
#undef AVGPOOL_DIV64
