/* For the timing tests: COUNT writes of 0, 1, 2, ... to sysctl SCRATCH from a loop of exactly three
 * instructions (sw, addi, bne), then exit 0. */
#include <stdint.h>

#include "dnnvp_memory_map.h"

#ifndef COUNT
#define COUNT 2000
#endif

int main(void) {
  uint32_t i = 0;
  const uintptr_t scratch = DNNVP_SYSCTL_BASE + DNNVP_SYSCTL_SCRATCH_OFFSET;
  const uint32_t n = COUNT;
  __asm__ volatile(
      ".option push\n.option norvc\n"
      "1: sw %0, 0(%1)\n"
      "   addi %0, %0, 1\n"
      "   bne %0, %2, 1b\n"
      ".option pop"
      : "+r"(i)
      : "r"(scratch), "r"(n)
      : "memory");
  return 0;
}
