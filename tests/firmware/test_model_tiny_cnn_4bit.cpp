// The runtime on the whole tiny_cnn_4bit network (4-bit activations and weights, signed input): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "tiny_cnn_4bit"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/tests/firmware/tiny_cnn_4bit.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/tiny_cnn_4bit"
#include "tiny_cnn_4bit/model.h"
#include "test_model.inc"
