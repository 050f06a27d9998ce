/* A hung firmware for the run-bound tests (tests/platform/test_run_bounds.cpp): prints one line, then
 * spins forever without touching memory or registers (the system watchdog must name the loop; with the
 * watchdog off the default run bound must stop it). */
#include <stdio.h>

int main(void) {
  printf("hanging\n");
  for (;;) __asm__ volatile("");
}
