/* CSR accesses on the ISS, one case per build, chosen by CSR:
 * 1 counters: csr_values[] = instret, instret, cycle, cycle, time, timer CYCLES_LO (MMIO), time, then
 *   cycleh, timeh, instreth; consecutive instructions (no RVC), so the test knows every difference;
 * 2 `csrw mcycle` (a counter write, which must fault); 3 `csrr misa` (a CSR the ISS does not model);
 * 4 the machine trap CSRs: csr_values[] = mscratch, mtvec, mepc, mstatus, mie, mip read back after
 *   writing 0x12345678, 0x80000103 (a reserved mode), 0x80000101, all ones, all ones.
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
  __asm__ volatile(".option push\n.option arch, +zicsr\n.globl trap_insn\ntrap_insn: csrw mcycle, %0\n.option pop"
                   :
                   : "r"(0u));
#elif CSR == 3
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\n.globl trap_insn\ntrap_insn: csrr %0, misa\n.option pop"
                   : "=r"(v));
  csr_values[0] = v;
#elif CSR == 4
  __asm__ volatile(
      ".option push\n.option arch, +zicsr\n"
      "csrw mscratch, %1\n csrr t0, mscratch\n sw t0, 0(%0)\n"
      "csrw mtvec, %2\n csrr t0, mtvec\n sw t0, 4(%0)\n"
      "csrw mepc, %3\n csrr t0, mepc\n sw t0, 8(%0)\n"
      "csrw mstatus, %4\n csrr t0, mstatus\n sw t0, 12(%0)\n"
      "csrw mie, %4\n csrr t0, mie\n sw t0, 16(%0)\n"
      "csrr t0, mip\n sw t0, 20(%0)\n"
      ".option pop"
      :
      : "r"(csr_values), "r"(0x12345678u), "r"(0x80000103u), "r"(0x80000101u), "r"(0xFFFFFFFFu)
      : "t0", "memory");
#else
#error "define CSR"
#endif
  return 0;
}
