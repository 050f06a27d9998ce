/* Hardware access layer: the only way firmware touches registers. Each target supplies these two
 * functions: hal_mmio.c for the VP and boards (volatile accesses), a mock or a bus-functional model
 * for host tests. */
#ifndef DNNVP_HAL_H
#define DNNVP_HAL_H

#include <stdint.h>

uint32_t hal_read32(uintptr_t addr);
void hal_write32(uintptr_t addr, uint32_t value);

#endif /* DNNVP_HAL_H */
