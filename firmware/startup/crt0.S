/* Reset entry of every dnn-vp firmware (docs/platform.md, section "CPU").
 * The platform loads the whole image into DRAM, so nothing is copied: set gp, sp and tp, clear .tbss and
 * .bss, run constructors, call main(0, 0) and pass its result to exit(), which ends in _exit() (syscalls.c:
 * a write to sysctl EXIT). No trap vector: the ISS has no interrupts and treats every trap as a fault. */

  .section .text.init.enter, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack
  /* picolibc keeps errno and friends in thread-local storage (local-exec model: tp-relative). One thread:
   * the .tdata image loaded in place is the TLS block. */
  la tp, __tls_base

  la a0, __dnnvp_bss_start
  la a2, __bss_end
  sub a2, a2, a0
  li a1, 0
  call memset

  call __libc_init_array

  li a0, 0
  li a1, 0
  call main
  call exit
1:
  j 1b
  .size _start, . - _start
