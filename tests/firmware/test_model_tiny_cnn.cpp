// The runtime on the whole tiny_cnn network (8-bit): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "tiny_cnn"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/scenarios/tiny_cnn.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/tiny_cnn"
#include "tiny_cnn/model.h"
#include "test_model.inc"
