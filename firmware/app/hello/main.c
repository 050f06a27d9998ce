/* The first firmware: a line on the UART, some M/C-extension arithmetic, the timer, exit code 0. */
#include <stdint.h>
#include <stdio.h>

#include "dnnvp_hal.h"
#include "dnnvp_memory_map.h"

static uint64_t read_cycles(void) {
  /* Reading CYCLES_LO latches CYCLES_HI. */
  const uint32_t lo = hal_read32(DNNVP_TIMER_BASE + DNNVP_TIMER_CYCLES_LO_OFFSET);
  const uint32_t hi = hal_read32(DNNVP_TIMER_BASE + DNNVP_TIMER_CYCLES_HI_OFFSET);
  return ((uint64_t)hi << 32) | lo;
}

/* Multiplies, divides and remainders (RV32M), signed and unsigned. tests/cpu computes the same. */
static uint32_t mixed_arith(uint32_t n) {
  uint32_t acc = 1;
  int32_t s = -1000;
  for (uint32_t i = 1; i <= n; ++i) {
    acc = acc * 2654435761u + i;
    acc ^= acc / (i + 7u);
    acc += acc % (i * 3u + 1u);
    s = s * 3 / 2 + (int32_t)(acc % 17u) - 8;
    s %= 100003;
  }
  return acc ^ (uint32_t)s;
}

#ifndef HELLO_ITERATIONS
#define HELLO_ITERATIONS 1000
#endif

int main(void) {
  printf("hello from dnn-vp firmware\n");
  volatile uint32_t n = HELLO_ITERATIONS; /* not a compile-time constant: the loop runs on the CPU */
  const uint64_t t0 = read_cycles();
  const uint32_t value = mixed_arith(n);
  const uint64_t t1 = read_cycles();
  printf("mixed_arith(%lu) = 0x%08lx\n", (unsigned long)n, (unsigned long)value);
  printf("timer: %lu cycles\n", (unsigned long)(t1 - t0));
  return 0;
}
