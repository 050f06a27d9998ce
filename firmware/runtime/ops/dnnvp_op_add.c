/* Residual add (docs/numerics.md):
 *   v = (a - za) * Ma + (b - zb) * Mb                      64-bit
 *   ReLU: v < 0 -> 0; LeakyReLU: v < 0 -> shift + leaky_shift (one rounding)
 *   y = saturate(zy + round_shift(v, shift), out type)     round to nearest, ties toward +inf or to
 *                                                          even (params->rounding)
 * Each tensor has its own width, signedness and zero point.
 *
 * Ties to even take the 64-bit definition for every element (v + 2^(shift-1) - 1 + bit shift of v); the
 * rest of this comment is about ties toward +inf.
 *
 * Three exact ways to compute an element, fastest first:
 *  - a lookup table over every pair of stored values (8-bit: 64 KiB, 4-bit: 256 bytes), built with one
 *    of the two below, when the tensor is large enough to repay building it (all three tensors with
 *    the same storage width);
 *  - 32-bit arithmetic: split each multiplier as M = Mh * 2^16 + Ml (0 <= Ml < 2^16), so with
 *    H = a*Mha + b*Mhb and L = a*Mla + b*Mlb, v = H * 2^16 + L and, for shift s >= 17,
 *      floor((v + 2^(s-1)) / 2^s) = floor((K + 2^(s-17)) / 2^(s-16)),  K = H + floor(L / 2^16),
 *    where sign(v) = sign(K); used when the value ranges keep |K| < 2^30 (always for generated models:
 *    the generator's shift is about 30, multipliers below 2^31, values at most 9 bits);
 *  - 64-bit arithmetic, the definition itself, for everything else. */
#include <stddef.h>

#include "dnnvp_ops.h"

#ifndef DNNVP_ADD_TABLE
#define DNNVP_ADD_TABLE 1 /* 0: no 64 KiB table (memory-tight targets) */
#endif
/* Elements from which building the 8-bit table (65536 entries) pays off. */
#define TABLE8_MIN_ELEMENTS 81920u
/* ... and the 4-bit one (256 entries). */
#define TABLE4_MIN_ELEMENTS 512u

/* Loop-invariant part of the computation. */
typedef struct {
  uint32_t fa, fb;    /* sign flips of a and b (see dnnvp_sign_flip) */
  int32_t ca, cb;     /* flip + zero point: value - zero point = (raw ^ flip) - c */
  int relu;
  int32_t zy, lo, hi; /* output zero point and range */
  int use32;
  /* 64-bit path */
  int32_t ma, mb;
  int64_t half_pos, half_neg; /* rounding constants and shifts of v >= 0 and v < 0 */
  uint32_t shift_pos, shift_neg;
  /* 32-bit path */
  int32_t mha, mla, mhb, mlb;
  int32_t c_pos, c_neg;
  uint32_t t_pos, t_neg;
} add_ctx_t;

static inline int64_t half_of(uint32_t shift) { return shift == 0u ? 0 : (int64_t)1 << (shift - 1u); }

static inline uint32_t clamp_store(const add_ctx_t *x, int32_t r) {
  int32_t y = r + x->zy;
  if (y < x->lo) y = x->lo;
  if (y > x->hi) y = x->hi;
  return (uint32_t)y; /* truncated to the storage width by the caller */
}

/* `even` a constant: ties to even take one less than half and add bit `shift` of v (0 for shift 0). */
static inline __attribute__((always_inline)) uint32_t add_one64_rounded(const add_ctx_t *x, uint32_t ra,
                                                                        uint32_t rb, int even) {
  const int32_t a = (int32_t)(ra ^ x->fa) - x->ca;
  const int32_t b = (int32_t)(rb ^ x->fb) - x->cb;
  const int64_t v = (int64_t)a * x->ma + (int64_t)b * x->mb;
  int64_t r;
  if (v >= 0) {
    const int64_t e = even && x->shift_pos != 0u;
    r = (v + x->half_pos - e + ((v >> x->shift_pos) & e)) >> x->shift_pos;
  } else if (x->relu) {
    r = 0;
  } else {
    const int64_t e = even && x->shift_neg != 0u;
    r = (v + x->half_neg - e + ((v >> x->shift_neg) & e)) >> x->shift_neg; /* arithmetic shift: floor */
  }
  /* Clamp in 64 bits first: r may exceed 32 bits when the shift is small. */
  if (r < -(int64_t)0x40000000) r = -(int64_t)0x40000000;
  if (r > (int64_t)0x40000000) r = (int64_t)0x40000000;
  return clamp_store(x, (int32_t)r);
}

static inline uint32_t add_one64(const add_ctx_t *x, uint32_t ra, uint32_t rb) {
  return add_one64_rounded(x, ra, rb, 0);
}

static inline uint32_t add_one32(const add_ctx_t *x, uint32_t ra, uint32_t rb) {
  const int32_t a = (int32_t)(ra ^ x->fa) - x->ca;
  const int32_t b = (int32_t)(rb ^ x->fb) - x->cb;
  const int32_t h = a * x->mha + b * x->mhb;
  const int32_t l = a * x->mla + b * x->mlb;
  const int32_t k = h + (l >> 16); /* arithmetic shift: floor */
  int32_t r;
  if (k >= 0)
    r = (k + x->c_pos) >> x->t_pos;
  else if (x->relu)
    r = 0;
  else
    r = (k + x->c_neg) >> x->t_neg;
  return clamp_store(x, r);
}

static inline uint32_t add_one(const add_ctx_t *x, uint32_t ra, uint32_t rb) {
  return x->use32 ? add_one32(x, ra, rb) : add_one64(x, ra, rb);
}

/* 32-bit path constants of a shift s >= 17: t = s - 16, c = 2^(t-1); for t >= 31 the result is 0
 * (|K| < 2^30 < 2^(t-1)), which c = 2^30, t = 31 also gives. */
static void split_shift(uint32_t s, int32_t *c, uint32_t *t) {
  const uint32_t tt = s - 16u;
  if (tt >= 31u) {
    *c = (int32_t)1 << 30;
    *t = 31u;
  } else {
    *c = (int32_t)1 << (tt - 1u);
    *t = tt;
  }
}

static uint32_t abs_max(const dnnvp_qtype_t *q) {
  const int32_t lo = dnnvp_qmin(q) - q->zero_point, hi = dnnvp_qmax(q) - q->zero_point;
  const uint32_t alo = (uint32_t)(lo < 0 ? -lo : lo), ahi = (uint32_t)(hi < 0 ? -hi : hi);
  return alo > ahi ? alo : ahi;
}

/* The hot loops, each in its own function so the compiler keeps the loop-invariant values in
 * registers (inlined into one function they spill to the stack). */
#define NOINLINE __attribute__((noinline))

/* out[i] = f(a[i], b[i]) for 8-bit storage, 32-bit path. */
static NOINLINE void add8_32(const add_ctx_t *x, const uint8_t *pa, const uint8_t *pb, uint8_t *po, uint32_t n) {
  const uint32_t fa = x->fa, fb = x->fb;
  const int32_t ca = x->ca, cb = x->cb, mha = x->mha, mla = x->mla, mhb = x->mhb, mlb = x->mlb;
  const int32_t c_pos = x->c_pos, c_neg = x->c_neg, zy = x->zy, lo = x->lo, hi = x->hi;
  const uint32_t t_pos = x->t_pos, t_neg = x->t_neg;
  const int relu = x->relu;
  for (uint32_t i = 0; i < n; ++i) {
    const int32_t a = (int32_t)(pa[i] ^ fa) - ca;
    const int32_t b = (int32_t)(pb[i] ^ fb) - cb;
    const int32_t k = a * mha + b * mhb + ((a * mla + b * mlb) >> 16);
    int32_t y;
    if (k >= 0)
      y = ((k + c_pos) >> t_pos) + zy;
    else
      y = relu ? zy : ((k + c_neg) >> t_neg) + zy;
    if (y < lo) y = lo;
    if (y > hi) y = hi;
    po[i] = (uint8_t)y;
  }
}

/* The same on the 64-bit path. */
static NOINLINE void add8_64(const add_ctx_t *x, const uint8_t *pa, const uint8_t *pb, uint8_t *po, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) po[i] = (uint8_t)add_one64(x, pa[i], pb[i]);
}

/* table[ra << bits_b | rb] = f(ra, rb) for every pair of stored values (storage widths sa, sb). */
static NOINLINE void build_table(const add_ctx_t *x, uint8_t *table, uint32_t sa, uint32_t sb) {
  for (uint32_t ra = 0; ra < (1u << sa); ++ra) {
    uint8_t *row = table + (ra << sb);
    if (x->use32) {
      const int32_t a = (int32_t)(ra ^ x->fa) - x->ca;
      const int32_t ha = a * x->mha, la = a * x->mla;
      const uint32_t fb = x->fb;
      const int32_t cb = x->cb, mhb = x->mhb, mlb = x->mlb;
      const int32_t c_pos = x->c_pos, c_neg = x->c_neg, zy = x->zy, lo = x->lo, hi = x->hi;
      const uint32_t t_pos = x->t_pos, t_neg = x->t_neg;
      const int relu = x->relu;
      for (uint32_t rb = 0; rb < (1u << sb); ++rb) {
        const int32_t b = (int32_t)(rb ^ fb) - cb;
        const int32_t k = ha + b * mhb + ((la + b * mlb) >> 16);
        int32_t y;
        if (k >= 0)
          y = ((k + c_pos) >> t_pos) + zy;
        else
          y = relu ? zy : ((k + c_neg) >> t_neg) + zy;
        if (y < lo) y = lo;
        if (y > hi) y = hi;
        row[rb] = (uint8_t)y;
      }
    } else {
      for (uint32_t rb = 0; rb < (1u << sb); ++rb) row[rb] = (uint8_t)add_one64(x, ra, rb);
    }
  }
}

static NOINLINE void lookup8(const uint8_t *table, const uint8_t *pa, const uint8_t *pb, uint8_t *po, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) po[i] = table[(uint32_t)pa[i] << 8 | pb[i]];
}

static NOINLINE void lookup4(const uint8_t *table, const uint8_t *pa, const uint8_t *pb, uint8_t *po, uint32_t n) {
  const uint32_t pairs = n >> 1;
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint32_t a = pa[i], b = pb[i];
    po[i] = (uint8_t)((table[(a & 0xFu) << 4 | (b & 0xFu)] & 0xFu) | table[(a & 0xF0u) | b >> 4] << 4);
  }
  if (n & 1u) po[pairs] = (uint8_t)(table[(pa[pairs] & 0xFu) << 4 | (pb[pairs] & 0xFu)] & 0xFu);
}

#if DNNVP_ADD_TABLE
static uint8_t table8[256u * 256u];
#endif

/* The operation once per rounding, from dnnvp_add_impl.h: the half-up one with every fast path, the
 * half-even one element by element through the 64-bit definition. */
#define ADD_NAME add_half_even
#define ADD_FAST_PATHS 0
#define ADD_ONE(x, ra, rb) add_one64_rounded(x, ra, rb, 1)
#include "dnnvp_add_impl.h"

#define ADD_NAME dnnvp_op_add
#define ADD_FAST_PATHS 1
#define ADD_ONE(x, ra, rb) add_one(x, ra, rb)
#define ADD_OTHER_ROUNDING add_half_even
#include "dnnvp_add_impl.h"
