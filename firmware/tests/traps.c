/* One trap per build, chosen by TRAP: 1 ebreak, 2 illegal instruction, 3 ecall exit (a7 = 93, a0 = 7),
 * 4 unsupported ecall (a7 = 64), 5 jump to 0x20000000 (fetch outside DRAM). The instruction is labelled
 * trap_insn so tests can check the fault's PC. */
#include <stdint.h>

int main(void) {
#if TRAP == 1
  __asm__ volatile(".globl trap_insn\ntrap_insn: ebreak");
#elif TRAP == 2
  __asm__ volatile(".globl trap_insn\ntrap_insn: .4byte 0xffffffff");
#elif TRAP == 3
  register uint32_t a0 __asm__("a0") = 7;
  register uint32_t a7 __asm__("a7") = 93;
  __asm__ volatile(".globl trap_insn\ntrap_insn: ecall" : : "r"(a0), "r"(a7));
#elif TRAP == 4
  register uint32_t a0 __asm__("a0") = 1;
  register uint32_t a7 __asm__("a7") = 64;
  __asm__ volatile(".globl trap_insn\ntrap_insn: ecall" : : "r"(a0), "r"(a7));
#elif TRAP == 5
  __asm__ volatile(".globl trap_insn\ntrap_insn: jr %0" : : "r"(0x20000000u));
#else
#error "define TRAP"
#endif
  return 0;
}
