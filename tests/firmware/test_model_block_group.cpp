// The runtime on the block-group network (tests/firmware/block_group.yaml): see test_model.inc.
#define DNNVP_TEST_MODEL_NAME "block_group"
#define DNNVP_TEST_MODEL_SCENARIO DNNVP_SOURCE_DIR "/tests/firmware/block_group.yaml"
#define DNNVP_TEST_MODEL_DIR DNNVP_TEST_MODELS_DIR "/block_group"
#include "block_group/model.h"
#include "test_model.inc"
