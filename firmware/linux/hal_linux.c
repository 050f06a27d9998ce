/* The HAL of the Linux library: register accesses go to the regions dnnvp_linux_open mapped. An address
 * outside all of them is a bug in the caller's configuration, not a reason to crash the process: the
 * access is dropped (a read gives all ones, as a bus with nothing there), and the first such address is
 * kept for dnnvp_linux_run to report. */
#include "hal_linux.h"

#include "dnnvp_hal.h"

static hal_linux_region_t regions[HAL_LINUX_MAX_REGIONS];
static uint32_t region_count;
static int unmapped_seen;
static uintptr_t unmapped_addr;

void hal_linux_set_regions(const hal_linux_region_t* r, uint32_t count) {
  region_count = count < HAL_LINUX_MAX_REGIONS ? count : HAL_LINUX_MAX_REGIONS;
  for (uint32_t i = 0; i < region_count; ++i) regions[i] = r[i];
  unmapped_seen = 0;
  unmapped_addr = 0;
}

int hal_linux_unmapped(uintptr_t* addr) {
  if (unmapped_seen && addr != NULL) *addr = unmapped_addr;
  return unmapped_seen;
}

static volatile uint32_t* word(uintptr_t addr) {
  for (uint32_t i = 0; i < region_count; ++i) {
    const hal_linux_region_t* r = &regions[i];
    if (addr >= r->base && addr - r->base <= r->size - 4u && addr % 4u == 0u)
      return (volatile uint32_t*)(r->virt + (addr - r->base));
  }
  if (!unmapped_seen) {
    unmapped_seen = 1;
    unmapped_addr = addr;
  }
  return NULL;
}

uint32_t hal_read32(uintptr_t addr) {
  volatile uint32_t* w = word(addr);
  return w != NULL ? *w : 0xFFFFFFFFu;
}

void hal_write32(uintptr_t addr, uint32_t value) {
  volatile uint32_t* w = word(addr);
  if (w != NULL) *w = value;
}

/* The library takes no interrupts (that would need a UIO driver): enabling them does nothing and a sleep
 * returns at once, so the runtime's interrupt-driven loop polls. */
void hal_irq_external(int on) { (void)on; }

void hal_irq_wait(void) {}
