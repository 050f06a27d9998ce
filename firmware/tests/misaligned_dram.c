/* A misaligned 32-bit load from DRAM (misaligned_word + 1). Performed by default (exit code 0 if it read
 * the right bytes); a fault with the CPU's strict DRAM alignment. */
#include <stdint.h>

__attribute__((aligned(8))) volatile uint8_t misaligned_word[8] = {4, 5, 6, 7, 8, 9, 10, 11};

int main(void) {
  uint32_t v;
  __asm__ volatile(".globl misaligned_load\nmisaligned_load: lw %0, 1(%1)" : "=r"(v) : "r"(misaligned_word) : "memory");
  return (int)(v - 0x08070605u);
}
