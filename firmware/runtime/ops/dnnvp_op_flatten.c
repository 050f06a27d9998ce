/* Flatten: HWC is already the flattened order, so the output aliases the input (vp_gen lays it out
 * so) and there is nothing to compute; the runner only checks that. */
#include "dnnvp_ops.h"

dnnvp_op_status_t dnnvp_layer_flatten(const dnnvp_layer_t *l, const dnnvp_tensor_t *in, const dnnvp_tensor_t *out,
                                      const char **what) {
  (void)in;
  (void)out;
  const uint32_t in_n = l->in_shape.h * l->in_shape.w * l->in_shape.c;
  const uint32_t out_n = l->out_shape.h * l->out_shape.w * l->out_shape.c;
  if (l->out_addr != l->in_addr[0] || in_n != out_n) {
    *what = "flatten does not alias its input";
    return DNNVP_OP_ERR_ARG;
  }
  return DNNVP_OP_OK;
}
