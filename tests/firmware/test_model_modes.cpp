// The runtime on the engine modes' network (tests/firmware/modes.yaml): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "modes"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/tests/firmware/modes.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/modes"
#include "modes/model.h"
#include "test_model.inc"
