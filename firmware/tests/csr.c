/* CSR accesses on the ISS, one case per build, chosen by CSR:
 * 1 counters: csr_values[] = instret, instret, cycle, cycle, time, timer CYCLES_LO (MMIO), time, then
 *   cycleh, timeh, instreth; consecutive instructions (no RVC), so the test knows every difference;
 * 2 `csrw mtvec` (a write, which must fault); 3 `csrr mstatus` (a read the ISS does not model).
 * The faulting instruction is labelled trap_insn. Binutils wants Zicsr named for CSR instructions. */
#include <stdint.h>

#include "dnnvp_memory_map.h"

volatile uint32_t csr_values[10];

int main(void) {
#if CSR == 1
  const uintptr_t timer = DNNVP_TIMER_BASE + DNNVP_TIMER_CYCLES_LO_OFFSET;
  __asm__ volatile(
      ".option push\n.option norvc\n.option arch, +zicsr\n"
      "rdinstret t0\n"
      "rdinstret t1\n"
      "rdcycle t2\n"
      "rdcycle t3\n"
      "rdtime t4\n"
      "lw t5, 0(%1)\n"
      "rdtime t6\n"
      "sw t0, 0(%0)\n sw t1, 4(%0)\n sw t2, 8(%0)\n sw t3, 12(%0)\n sw t4, 16(%0)\n sw t5, 20(%0)\n"
      "sw t6, 24(%0)\n"
      "rdcycleh t0\n"
      "rdtimeh t1\n"
      "rdinstreth t2\n"
      "sw t0, 28(%0)\n sw t1, 32(%0)\n sw t2, 36(%0)\n"
      ".option pop"
      :
      : "r"(csr_values), "r"(timer)
      : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "memory");
#elif CSR == 2
  __asm__ volatile(".option push\n.option arch, +zicsr\n.globl trap_insn\ntrap_insn: csrw mtvec, %0\n.option pop"
                   :
                   : "r"(0x80000000u));
#elif CSR == 3
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\n.globl trap_insn\ntrap_insn: csrr %0, mstatus\n.option pop"
                   : "=r"(v));
  csr_values[0] = v;
#else
#error "define CSR"
#endif
  return 0;
}
