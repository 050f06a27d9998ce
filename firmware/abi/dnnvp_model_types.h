/* Types of the layer table that vp_gen writes into model.h (docs/formats.md). Shared by the
 * firmware runtime on every target; C11, freestanding. */
#ifndef DNNVP_MODEL_TYPES_H
#define DNNVP_MODEL_TYPES_H

#include <stdint.h>

/* Every layer type, in the order of its dnnvp_layer_type_t value (model.h holds the value, so a new type
 * goes at the end). The one list the C and C++ enums, the type names and the engine/CPU placement come
 * from: X(ID, Name, name, PLACE) with
 *   ID     the C enumerator's suffix (DNNVP_LAYER_ID),
 *   Name   the C++ enumerator (dnnvp::LayerType::Name),
 *   name   the scenario's `type`, the name in manifest.json and reports, the suffix of the generator's
 *          generators/layers/<name>.cpp and the firmware's runtime/ops/dnnvp_op_<name>.c,
 *   PLACE  ENGINE (weights in weights.bin, tiles planned by vp_gen, run by the engine) or CPU (run by
 *          the firmware's operation, a case of run_cpu_layer in firmware/runtime/dnnvp_rt.c). */
#define DNNVP_LAYER_TYPES(X)          \
  X(CONV, Conv, conv, ENGINE)         \
  X(DENSE, Dense, dense, ENGINE)      \
  X(MAXPOOL, MaxPool, maxpool, CPU)   \
  X(AVGPOOL, AvgPool, avgpool, CPU)   \
  X(FLATTEN, Flatten, flatten, CPU)   \
  X(ADD, Add, add, CPU)               \
  X(CLIP, Clip, clip, CPU)

/* 1 for a PLACE that is the engine. */
#define DNNVP_PLACE_ENGINE 1
#define DNNVP_PLACE_CPU 0

#define DNNVP_LAYER_ENUMERATOR_(ID, Name, name, PLACE) DNNVP_LAYER_##ID,
typedef enum { DNNVP_LAYER_TYPES(DNNVP_LAYER_ENUMERATOR_) DNNVP_LAYER_TYPE_COUNT } dnnvp_layer_type_t;
#undef DNNVP_LAYER_ENUMERATOR_

/* 1 if layers of `type` run on the engine, 0 on the CPU or for an unknown type: a constant expression
 * from the list (type == DNNVP_LAYER_CONV || type == DNNVP_LAYER_DENSE ...), which the compiler folds to
 * a compare, not a table load on every layer. */
#define DNNVP_LAYER_ON_ENGINE_(ID, Name, name, PLACE) || (DNNVP_PLACE_##PLACE && type == DNNVP_LAYER_##ID)
static inline int dnnvp_layer_on_engine(uint32_t type) { return 0 DNNVP_LAYER_TYPES(DNNVP_LAYER_ON_ENGINE_); }
#undef DNNVP_LAYER_ON_ENGINE_

/* The type's name ("conv"), "?" for an unknown type. */
static inline const char *dnnvp_layer_type_name(uint32_t type) {
#define DNNVP_LAYER_NAME_(ID, Name, name, PLACE) #name,
  static const char *const names[] = {DNNVP_LAYER_TYPES(DNNVP_LAYER_NAME_)};
#undef DNNVP_LAYER_NAME_
  return type < (uint32_t)DNNVP_LAYER_TYPE_COUNT ? names[type] : "?";
}

typedef enum {
  DNNVP_ACT_NONE = 0,
  DNNVP_ACT_RELU = 1,
  DNNVP_ACT_LEAKY_RELU = 2
} dnnvp_activation_t;

/* How a layer's output stage, average or add rounds a value halfway between two integers
 * (docs/numerics.md, "Rounding"); the values of dnnvp::Rounding. */
typedef enum {
  DNNVP_ROUND_HALF_UP = 0,  /* ties toward +infinity (generated models) */
  DNNVP_ROUND_HALF_EVEN = 1 /* ties to the even result (ONNX's, imported models) */
} dnnvp_rounding_t;

/* An HWC activation tensor (batch 1). */
typedef struct {
  uint32_t h, w, c;
} dnnvp_shape_t;

/* A quantised type: bits wide, signed or not, stored packed (<= 4 bits: two per byte). */
typedef struct {
  uint8_t bits;
  uint8_t is_signed;
  int16_t zero_point;
} dnnvp_qtype_t;

/* Number of producers a layer may read (Add reads two). */
#define DNNVP_MAX_INPUTS 2
/* Producer index of the network input. */
#define DNNVP_NETWORK_INPUT (-1)
/* A layer index that names no layer (dnnvp_layer_t::fused_add, fused_into). */
#define DNNVP_NO_LAYER (-1)
/* Number of a layer's own parameters (dnnvp_layer_t::param). */
#define DNNVP_LAYER_PARAMS 2
/* Rows a row_step band (dnnvp_layer_t::row_step) has at most: the runtime gathers them with one
 * scatter/gather descriptor each from a ring of this many, and vp_gen plans no longer band. */
#define DNNVP_ROW_STEP_MAX_BAND_ROWS 64
/* Pixels a block-group tile (dnnvp_layer_t::block_group) has at most: the runtime writes its output, and
 * reads a fused add's operand b, with one scatter/gather descriptor per pixel from rings of this many
 * (AccDepth's default: the shipped networks' tiles fit), and vp_gen plans no longer tile. */
#define DNNVP_BLOCK_GROUP_MAX_PIXELS 1024

/* A row of the layer table, as a list of its fields in order: F(C type, name, how) for one value,
 * A(C type, name, count, how) for an array. The struct below is declared from it and vp_gen writes
 * model.h's rows from it (generators/emit.cpp), so the initializers follow the struct by construction.
 * `how` is how vp_gen spells a value: INT decimal, U32 decimal with u, U64 with ull, ADDR hex with u,
 * STR a string literal, SHAPE and QTYPE the nested structs. */
#define DNNVP_LAYER_FIELDS(F, A)                                                                   \
  F(const char *, name, STR)                                                                       \
  F(uint8_t, type, INT)        /* dnnvp_layer_type_t */                                            \
  F(uint8_t, activation, INT)  /* dnnvp_activation_t */                                            \
  F(uint8_t, leaky_shift, INT) /* LeakyReLU slope 2^-leaky_shift */                                \
  F(uint8_t, num_inputs, INT)                                                                      \
  A(int16_t, input_layer, DNNVP_MAX_INPUTS, INT) /* producer layer index or DNNVP_NETWORK_INPUT */  \
  /* The window (a global pool's is the whole input). */                                           \
  F(uint16_t, kernel_h, INT)                                                                       \
  F(uint16_t, kernel_w, INT)                                                                       \
  F(uint16_t, stride_h, INT)                                                                       \
  F(uint16_t, stride_w, INT)                                                                       \
  F(uint16_t, pad_top, INT)                                                                        \
  F(uint16_t, pad_left, INT)                                                                       \
  F(uint16_t, pad_bottom, INT)                                                                     \
  F(uint16_t, pad_right, INT)                                                                      \
  F(dnnvp_shape_t, in_shape, SHAPE)                                                                \
  F(dnnvp_shape_t, out_shape, SHAPE)                                                               \
  A(dnnvp_qtype_t, in_q, DNNVP_MAX_INPUTS, QTYPE)                                                  \
  F(dnnvp_qtype_t, out_q, QTYPE)                                                                   \
  F(dnnvp_qtype_t, weight_q, QTYPE)                                                                \
  A(uint32_t, in_addr, DNNVP_MAX_INPUTS, ADDR)                                                     \
  F(uint32_t, out_addr, ADDR)                                                                      \
  /* Engine layers (0 for the others): the weight blob in weights.bin, streamed to the engine once \
   * per tile, and the engine plan: tiles of tile_pixels output pixels (the last may be shorter),  \
   * Cin in chunks of Rows, Cout in blocks of Cols, kernel_h * kernel_w * chunks passes per block. */ \
  F(uint32_t, blob_addr, ADDR)                                                                     \
  F(uint32_t, blob_bytes, U32)                                                                     \
  F(uint32_t, tile_pixels, U32)                                                                    \
  F(uint32_t, num_tiles, U32)                                                                      \
  F(uint32_t, chunks, U32)                                                                         \
  F(uint32_t, blocks, U32)                                                                         \
  F(uint32_t, passes, U32)                                                                         \
  /* The type's own parameters, meaning what the type says (0 for types without):                 \
   * Add   param = {m0, m1}: y = sat(zy + round(((a - za) * m0 + (b - zb) * m1) / 2^add_shift)),   \
   * Clip  param = {lo, hi}: y = min(max(x, lo), hi) in stored values of the input's type. */       \
  A(int32_t, param, DNNVP_LAYER_PARAMS, INT)                                                       \
  F(uint8_t, add_shift, INT)                                                                       \
  /* Conv, Dense, AvgPool, Add: dnnvp_rounding_t of the rounding (in the struct's padding before     \
   * macs, so no other field moves); others 0. */                                                  \
  F(uint8_t, rounding, INT)                                                                        \
  F(uint64_t, macs, U64)                                                                           \
  /* Engine work beyond a dense convolution (docs/engine.md, "Modes"); 0 unless said otherwise:     \
   * engine_op     the engine's MODE.OP for this layer: 0 convolution, 1 max pool, 2 average pool;  \
   *               3 depthwise taps on rows (blocks = chunks / F, passes ceil(kh*kw / Rows) sweeps, \
   *               tiles of whole output rows);                                                     \
   * group_chunks  grouped convolution: chunks each block's passes walk, from chunk                 \
   *               block * chunk_step (0: a dense convolution walks all chunks);                     \
   * group_cols    grouped convolution: output channels per group (the MACs one input channel feeds); \
   * clip          1: the output stage saturates to [clip_lo, clip_hi] (a Clip folded into the layer);\
   * pool_count, pool_magic, pool_shift  average pool on the engine: the window's element count and \
   *               the exact divider for it (generators/pool_divider.h);                             \
   * fused_add     the Add whose result this layer writes at out_addr, its other operand read from  \
   *               res_addr (DNNVP_NO_LAYER: none);                                                  \
   * fused_into    the layer that runs this one as part of its own (DNNVP_NO_LAYER: runs itself). */ \
  F(uint8_t, engine_op, INT)                                                                       \
  F(uint8_t, clip, INT)                                                                            \
  F(int16_t, clip_lo, INT)                                                                         \
  F(int16_t, clip_hi, INT)                                                                         \
  F(uint16_t, group_chunks, INT)                                                                   \
  F(uint16_t, chunk_step, INT)                                                                     \
  F(uint16_t, group_cols, INT)                                                                     \
  F(uint16_t, pool_count, INT)                                                                     \
  F(uint8_t, pool_shift, INT)                                                                      \
  F(uint32_t, pool_magic, U32)                                                                     \
  F(int16_t, fused_add, INT)                                                                       \
  F(int16_t, fused_into, INT)                                                                      \
  F(uint32_t, res_addr, ADDR)                                                                      \
  /* Cin-fold F of an engine layer (docs/engine.md "Cin-fold"; 1: none, always for grouped         \
   * convolutions; 0 in rows without an engine plan): a pass reads F input words, a block holds     \
   * Cv = Cols / F output channels, so chunks = ceil(Cin / Rows) rounded up to a multiple of F,     \
   * blocks = ceil(Cout / Cv), passes = kernel_h * kernel_w * chunks / F; a pool at F reads F words \
   * a tap into F * Rows lanes: blocks = chunks / F, passes = kernel_h * kernel_w. */               \
  F(uint8_t, fold, INT)                                                                            \
  /* DRAM options of an engine layer (docs/engine.md "Tiling"); 0 (or the value said) is today:    \
   * row_step     s > 1 (kh 1, no vertical padding, stride_h s): the engine sees h' = ceil(h / s)  \
   *              rows at stride 1, band row y' gathered from DRAM row y' * s (one scatter/gather  \
   *              descriptor per row); tile_pixels and num_tiles are planned on h';                \
   * block_group  G > 0: each pixel tile runs as groups of G output blocks (group g: blocks        \
   *              g * G .., the blob from byte g * G * blob_bytes / blocks), outputs at pitch      \
   *              out_shape.c, the band reused by groups g > 0; num_tiles counts pixel tiles;      \
   * band_whole   1: every band fills the whole input buffer (BAND.WHOLE). */                      \
  F(uint8_t, row_step, INT)                                                                        \
  F(uint16_t, block_group, INT)                                                                    \
  F(uint8_t, band_whole, INT)

#define DNNVP_LAYER_FIELD_(TYPE, NAME, HOW) TYPE NAME;
#define DNNVP_LAYER_ARRAY_(TYPE, NAME, COUNT, HOW) TYPE NAME[COUNT];
typedef struct {
  DNNVP_LAYER_FIELDS(DNNVP_LAYER_FIELD_, DNNVP_LAYER_ARRAY_)
} dnnvp_layer_t;
#undef DNNVP_LAYER_FIELD_
#undef DNNVP_LAYER_ARRAY_

#endif /* DNNVP_MODEL_TYPES_H */
