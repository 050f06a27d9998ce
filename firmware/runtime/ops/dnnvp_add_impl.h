/* The Add operation for one rounding, included once per rounding by dnnvp_op_add.c with
 *   ADD_NAME        the operation's function,
 *   ADD_FAST_PATHS  1: the lookup tables and the 32-bit path where they apply (ties toward +inf only);
 *                   0: every element through ADD_ONE,
 *   ADD_ONE(x, ra, rb)  one element of any storage widths,
 * so there is one text of the operation and each rounding's loops are their own (none tests the mode). */

#define ADD_CAT_(a, b) a##_##b
#define ADD_CAT(a, b) ADD_CAT_(a, b)
#define ADD_FN(part) ADD_CAT(ADD_NAME, part)

/* Its own copy per rounding, so each operation calls it once and inlines it (no_icf: the copies are
 * identical and would otherwise be folded into one function called twice). */
static __attribute__((no_icf)) void ADD_FN(init_ctx)(add_ctx_t *x, const dnnvp_add_params_t *p,
                                                     const dnnvp_tensor_t *a,
                             const dnnvp_tensor_t *b, const dnnvp_tensor_t *y, uint32_t leaky) {
  x->fa = dnnvp_sign_flip(&a->q);
  x->fb = dnnvp_sign_flip(&b->q);
  x->ca = (int32_t)x->fa + a->q.zero_point;
  x->cb = (int32_t)x->fb + b->q.zero_point;
  x->relu = p->activation == DNNVP_ACT_RELU;
  x->zy = y->q.zero_point;
  x->lo = dnnvp_qmin(&y->q);
  x->hi = dnnvp_qmax(&y->q);
  x->ma = p->multiplier[0];
  x->mb = p->multiplier[1];
  x->shift_pos = p->shift;
  x->half_pos = half_of(x->shift_pos);
  x->shift_neg = p->shift + leaky;
  x->half_neg = half_of(x->shift_neg);

  x->mha = x->ma >> 16; /* arithmetic: floor, so Ml = M - Mh * 2^16 is in 0 .. 65535 */
  x->mla = x->ma & 0xFFFF;
  x->mhb = x->mb >> 16;
  x->mlb = x->mb & 0xFFFF;
  const uint64_t amag = abs_max(&a->q), bmag = abs_max(&b->q);
  const uint64_t hmax = amag * (uint64_t)(x->mha < 0 ? -(int64_t)x->mha : x->mha) +
                        bmag * (uint64_t)(x->mhb < 0 ? -(int64_t)x->mhb : x->mhb);
  const uint64_t lmax = (amag + bmag) * 65535u;
  const uint64_t kmax = hmax + (lmax >> 16) + 1u;
  x->use32 = p->shift >= 17u && hmax < (1u << 31) && lmax < (1u << 31) && kmax < (1u << 30);
  x->c_pos = x->c_neg = 0;
  x->t_pos = x->t_neg = 0;
  if (x->use32) {
    split_shift(x->shift_pos, &x->c_pos, &x->t_pos);
    split_shift(x->shift_neg, &x->c_neg, &x->t_neg);
  }
}

#ifdef ADD_OTHER_ROUNDING
/* The operation itself: ties up here, any other rounding in ADD_OTHER_ROUNDING. */
dnnvp_op_status_t ADD_NAME(const dnnvp_add_params_t *params, const dnnvp_tensor_t *input_a,
                           const dnnvp_tensor_t *input_b, const dnnvp_tensor_t *output) {
  if (params != NULL && params->rounding != DNNVP_ROUND_HALF_UP)
    return params->rounding == DNNVP_ROUND_HALF_EVEN ? ADD_OTHER_ROUNDING(params, input_a, input_b, output)
                                                     : DNNVP_OP_ERR_ARG;
#else
/* Not analysed across calls (noipa): compiled like an external function. */
static __attribute__((noipa)) dnnvp_op_status_t ADD_NAME(const dnnvp_add_params_t *params,
                                                       const dnnvp_tensor_t *input_a,
                                                       const dnnvp_tensor_t *input_b,
                                                       const dnnvp_tensor_t *output) {
#endif
  if (params == NULL || input_a == NULL || input_b == NULL || output == NULL || input_a->data == NULL ||
      input_b->data == NULL || output->data == NULL)
    return DNNVP_OP_ERR_ARG;
  if (!dnnvp_qtype_valid(&input_a->q) || !dnnvp_qtype_valid(&input_b->q) || !dnnvp_qtype_valid(&output->q))
    return DNNVP_OP_ERR_ARG;
  const uint32_t n = output->shape.h * output->shape.w * output->shape.c;
  if (input_a->shape.h * input_a->shape.w * input_a->shape.c != n ||
      input_b->shape.h * input_b->shape.w * input_b->shape.c != n)
    return DNNVP_OP_ERR_ARG;
  const uint32_t leaky = params->activation == DNNVP_ACT_LEAKY_RELU ? params->leaky_shift : 0u;
  if (params->shift + leaky > 62u || params->activation > DNNVP_ACT_LEAKY_RELU) return DNNVP_OP_ERR_ARG;

  add_ctx_t x;
  ADD_FN(init_ctx)(&x, params, input_a, input_b, output, leaky);

  const uint8_t *pa = input_a->data, *pb = input_b->data;
  uint8_t *po = output->data;
  const int a4 = input_a->q.bits <= 4u, b4 = input_b->q.bits <= 4u, o4 = output->q.bits <= 4u;
  if (ADD_FAST_PATHS && !a4 && !b4 && !o4) {
#if DNNVP_ADD_TABLE
    if (n >= TABLE8_MIN_ELEMENTS) {
      build_table(&x, table8, 8u, 8u);
      lookup8(table8, pa, pb, po, n);
      return DNNVP_OP_OK;
    }
#endif
    if (x.use32)
      add8_32(&x, pa, pb, po, n);
    else
      add8_64(&x, pa, pb, po, n);
  } else if (ADD_FAST_PATHS && a4 && b4 && o4) {
    /* Two elements per byte of every tensor. */
    if (n >= TABLE4_MIN_ELEMENTS) {
      uint8_t t4[256]; /* index: a nibble << 4 | b nibble */
      build_table(&x, t4, 4u, 4u);
      lookup4(t4, pa, pb, po, n);
    } else {
      const uint32_t pairs = n >> 1;
      for (uint32_t i = 0; i < pairs; ++i) {
        const uint32_t a = pa[i], b = pb[i];
        const uint32_t lo = add_one(&x, a & 0xFu, b & 0xFu);
        const uint32_t hi = add_one(&x, a >> 4, b >> 4);
        po[i] = (uint8_t)((lo & 0xFu) | (hi << 4));
      }
      if (n & 1u) po[pairs] = (uint8_t)(add_one(&x, pa[pairs] & 0xFu, pb[pairs] & 0xFu) & 0xFu);
    }
  } else {
    /* Mixed storage widths. */
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t ra = a4 ? dnnvp_nibble_get(pa, i) : pa[i];
      const uint32_t rb = b4 ? dnnvp_nibble_get(pb, i) : pb[i];
      const uint32_t y = ADD_ONE(&x, ra, rb);
      if (o4)
        dnnvp_nibble_put(po, i, y);
      else
        po[i] = (uint8_t)y;
    }
    if (o4 && (n & 1u)) po[n >> 1] &= 0x0Fu;
  }
  return DNNVP_OP_OK;
}

#undef ADD_FN
#undef ADD_CAT
#undef ADD_CAT_
#undef ADD_NAME
#undef ADD_FAST_PATHS
#undef ADD_ONE
#undef ADD_OTHER_ROUNDING
