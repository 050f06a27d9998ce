// The runtime on the engine modes at 4 bits (tests/firmware/modes_4bit.yaml): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "modes_4bit"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/tests/firmware/modes_4bit.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/modes_4bit"
#include "modes_4bit/model.h"
#include "test_model.inc"
