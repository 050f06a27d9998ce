/* The Linux library's register regions, shared by its HAL (hal_linux.c) and dnnvp_linux.c. */
#ifndef DNNVP_HAL_LINUX_H
#define DNNVP_HAL_LINUX_H

#include <stddef.h>
#include <stdint.h>

#define HAL_LINUX_MAX_REGIONS 4u

typedef struct {
  uintptr_t base;         /* the memory map's address of the region's first register */
  uintptr_t size;         /* bytes */
  volatile uint8_t* virt; /* where the process sees it */
} hal_linux_region_t;

/* Replaces the region table and forgets any earlier unmapped access. */
void hal_linux_set_regions(const hal_linux_region_t* regions, uint32_t count);

/* 1 (and *addr, if not NULL) if an access missed every region since the table was set. */
int hal_linux_unmapped(uintptr_t* addr);

#endif /* DNNVP_HAL_LINUX_H */
