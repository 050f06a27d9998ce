/* The compiled-in model: model.h of the vp_gen output directory the library is built for. */
#include "model_linux.h"

#include "model.h"

const model_linux_t model_linux = {
    DNNVP_MODEL_NAME,    dnnvp_layers,          DNNVP_NUM_LAYERS,    DNNVP_WEIGHTS_ADDR,
    DNNVP_WEIGHTS_BYTES, DNNVP_INPUT_ADDR,      DNNVP_INPUT_BYTES,   DNNVP_OUTPUT_ADDR,
    DNNVP_OUTPUT_BYTES,  DNNVP_OUTPUT_ELEMENTS, DNNVP_EXPECTED_ADDR, DNNVP_MODEL_END,
};
