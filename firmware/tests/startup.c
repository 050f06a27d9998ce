/* Checks what crt0.S and dnnvp_fw.ld set up; exit code 0, or a bit per failed check:
 *   1 .bss is zero          2 constructors ran           4 initialised thread-local data (tp, .tdata)
 *   8 errno (thread-local)  16 malloc (heap below stack)  32 sp near the top of the reservation */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint32_t zeroed[1024];
static volatile int constructed;
static __thread volatile uint32_t tls_value = 0x12345678u;

__attribute__((constructor)) static void mark_constructed(void) { constructed = 42; }

extern char __stack[];
extern char __heap_start[], __heap_end[];

int main(void) {
  int failed = 0;
  for (unsigned i = 0; i < sizeof zeroed / sizeof zeroed[0]; ++i)
    if (zeroed[i]) failed |= 1;
  if (constructed != 42) failed |= 2;
  if (tls_value != 0x12345678u) failed |= 4;
  errno = 0;
  (void)strtoul("99999999999999999999", NULL, 10);
  if (errno != ERANGE) failed |= 8;
  char *p = malloc(100000);
  if (!p || p < __heap_start || p + 100000 > __heap_end) failed |= 16;
  free(p);
  char here;
  const uintptr_t sp = (uintptr_t)&here, top = (uintptr_t)__stack;
  if (sp > top || sp < top - 4096) failed |= 32;
  printf("startup checks: %d\n", failed);
  return failed;
}
