/* The firmware's connection to the platform: _exit() writes sysctl EXIT, stdout/stderr write the UART.
 * Addresses come from the generated memory map (platform/memory_map.yaml); registers are touched only
 * through the HAL (aligned 32-bit accesses). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "dnnvp_hal.h"
#include "dnnvp_memory_map.h"

void _exit(int code) {
  hal_write32(DNNVP_SYSCTL_BASE + DNNVP_SYSCTL_EXIT_OFFSET, (uint32_t)code);
  /* The CPU model halts on this write; elsewhere wait here for the simulation to end. */
  for (;;) {
  }
}

static int dnnvp_uart_putc(char c, FILE *file) {
  (void)file;
  hal_write32(DNNVP_UART_BASE + DNNVP_UART_TX_DATA_OFFSET, (uint8_t)c);
  return (unsigned char)c;
}

static int dnnvp_no_getc(FILE *file) {
  (void)file;
  return EOF; /* no UART receiver */
}

static FILE dnnvp_console = FDEV_SETUP_STREAM(dnnvp_uart_putc, dnnvp_no_getc, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &dnnvp_console;
FILE *const stdout = &dnnvp_console;
FILE *const stderr = &dnnvp_console;
