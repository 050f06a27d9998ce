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
 *   name   the scenario's `type`, the name in manifest.json and reports, the firmware runner's suffix,
 *   PLACE  ENGINE (weights in weights.bin, tiles planned by vp_gen, run by the engine) or CPU (run by
 *          the firmware's runner dnnvp_layer_<name>, firmware/runtime/dnnvp_ops.h). */
#define DNNVP_LAYER_TYPES(X)          \
  X(CONV, Conv, conv, ENGINE)         \
  X(DENSE, Dense, dense, ENGINE)      \
  X(MAXPOOL, MaxPool, maxpool, CPU)   \
  X(AVGPOOL, AvgPool, avgpool, CPU)   \
  X(FLATTEN, Flatten, flatten, CPU)   \
  X(ADD, Add, add, CPU)

/* 1 for a PLACE that is the engine. */
#define DNNVP_PLACE_ENGINE 1
#define DNNVP_PLACE_CPU 0

#define DNNVP_LAYER_ENUMERATOR_(ID, Name, name, PLACE) DNNVP_LAYER_##ID,
typedef enum { DNNVP_LAYER_TYPES(DNNVP_LAYER_ENUMERATOR_) DNNVP_LAYER_TYPE_COUNT } dnnvp_layer_type_t;
#undef DNNVP_LAYER_ENUMERATOR_

/* 1 if layers of `type` run on the engine, 0 on the CPU or for an unknown type. */
static inline int dnnvp_layer_on_engine(uint32_t type) {
#define DNNVP_LAYER_PLACE_(ID, Name, name, PLACE) DNNVP_PLACE_##PLACE,
  static const uint8_t on_engine[] = {DNNVP_LAYER_TYPES(DNNVP_LAYER_PLACE_)};
#undef DNNVP_LAYER_PLACE_
  return type < (uint32_t)DNNVP_LAYER_TYPE_COUNT && on_engine[type];
}

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

typedef struct {
  const char *name;
  uint8_t type;       /* dnnvp_layer_type_t */
  uint8_t activation; /* dnnvp_activation_t */
  uint8_t leaky_shift; /* LeakyReLU slope 2^-leaky_shift */
  uint8_t num_inputs;
  int16_t input_layer[DNNVP_MAX_INPUTS]; /* producer layer index or DNNVP_NETWORK_INPUT */
  uint16_t kernel_h, kernel_w, stride_h, stride_w; /* a global pool's window is the whole input */
  uint16_t pad_top, pad_left, pad_bottom, pad_right;
  dnnvp_shape_t in_shape, out_shape;
  dnnvp_qtype_t in_q[DNNVP_MAX_INPUTS], out_q, weight_q;
  uint32_t in_addr[DNNVP_MAX_INPUTS], out_addr;
  /* Conv / Dense (0 for other layers): the weight blob in weights.bin, streamed to the engine once
   * per tile, and the engine plan: tiles of tile_pixels output pixels (the last may be shorter),
   * Cin in chunks of Rows, Cout in blocks of Cols, kernel_h * kernel_w * chunks passes per block. */
  uint32_t blob_addr, blob_bytes;
  uint32_t tile_pixels, num_tiles;
  uint32_t chunks, blocks, passes;
  /* Add: y = sat(zy + round(((a - za) * m0 + (b - zb) * m1) / 2^add_shift)). */
  int32_t add_multiplier[DNNVP_MAX_INPUTS];
  uint8_t add_shift;
  uint64_t macs;
} dnnvp_layer_t;

#endif /* DNNVP_MODEL_TYPES_H */
