/* The model a Linux library was built for: model_linux.c compiles a vp_gen output's model.h into it. */
#ifndef DNNVP_MODEL_LINUX_H
#define DNNVP_MODEL_LINUX_H

#include <stdint.h>

#include "dnnvp_model_types.h"

typedef struct {
  const char* name;
  const dnnvp_layer_t* layers;
  uint32_t num_layers;
  uint32_t weights_addr, weights_bytes;
  uint32_t input_addr, input_bytes;
  uint32_t output_addr, output_bytes, output_elements;
  uint32_t expected_addr;
  uint64_t end; /* the first address after the model's DRAM */
} model_linux_t;

extern const model_linux_t model_linux;

#endif /* DNNVP_MODEL_LINUX_H */
