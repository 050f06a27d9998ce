/* Memory-mapped register access for the VP and for boards. */
#include "dnnvp_hal.h"

uint32_t hal_read32(uintptr_t addr) { return *(volatile const uint32_t *)addr; }

void hal_write32(uintptr_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }
