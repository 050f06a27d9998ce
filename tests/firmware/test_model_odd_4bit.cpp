// The runtime on odd_4bit (4-bit bands and tiles that start mid-byte): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "odd_4bit"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/tests/firmware/odd_4bit.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/odd_4bit"
#include "odd_4bit/model.h"
#include "test_model.inc"
