/* The dnn-vp runtime as a Linux user-space library: the same runtime, drivers and CPU operations as the
 * bare-metal firmware, for a Zynq board whose processing system runs Linux (the PYNQ way), built per
 * model (tools/build_linux_runtime.sh: model.h of a vp_gen output directory is compiled in).
 *
 * Registers: the engine and the three DMAs are mapped from a memory device, each at the address of
 * platform/memory_map.yaml (the Vivado design uses the same address map, docs/fpga.md): /dev/mem at the
 * physical address, or a UIO device per region at offset 0. DRAM: the model's window (weights, input,
 * activations, output, expected output) and the runtime's state (DMA descriptor rings) live in one
 * physically contiguous buffer: a reserved-memory region mapped through /dev/mem, or a u-dma-buf device.
 * The runtime keeps computing with the model's addresses; the CPU reaches address A at
 * buffer + (A - window base) and the DMAs see it at buffer_phys + (A - window base).
 *
 * One accelerator per process (the HAL, hal_read32/hal_write32, has no handle). Not thread-safe.
 * Every function returns 0 on success or -1 with a message for dnnvp_linux_error(). */
#ifndef DNNVP_LINUX_H
#define DNNVP_LINUX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where one region is mapped from: `device` at file offset `offset`. */
typedef struct {
  const char* device; /* "/dev/mem", "/dev/uio3", or any file (host tests) */
  uint64_t offset;    /* the region's physical address for /dev/mem, 0 for a UIO device */
} dnnvp_linux_map_t;

typedef struct {
  dnnvp_linux_map_t engine, dma_x, dma_w, dma_r; /* the memory map's engine, dma0, dma1, dma2 */
  dnnvp_linux_map_t buffer;                      /* the DMA buffer */
  uint64_t buffer_phys;                          /* the address the DMAs see the buffer's first byte at */
  uint64_t buffer_bytes;                         /* at least dnnvp_linux_model_info().buffer_bytes */
  uint32_t poll_budget;                          /* polls without progress before a timeout; 0: 20 million */
} dnnvp_linux_config_t;

/* What the compiled-in model needs (model.h). */
typedef struct {
  const char* name;
  uint32_t num_layers;
  uint64_t weights_addr, weights_bytes;
  uint64_t input_addr, input_bytes;
  uint64_t output_addr, output_bytes, output_elements;
  uint64_t expected_addr;
  uint64_t window_base, window_end; /* the model's DRAM window [base, end) */
  uint64_t buffer_bytes;            /* the window plus the runtime's state: the smallest buffer */
} dnnvp_linux_model_info_t;

/* How a run ended. */
typedef struct {
  int32_t status;          /* dnnvp_rt_status_t: 0 = ok */
  const char* status_text; /* dnnvp_rt_status_str */
  int32_t error_layer;     /* -1: none */
  uint32_t error_tile;
  const char* error_what; /* the unit that failed ("engine", "band DMA", ...), or "" */
  uint32_t error_detail;  /* ERROR_CAUSE, DMASR, byte count, ... */
  uint32_t mismatches;    /* output elements that differ from the expected output (0 if not checked) */
  uint64_t nanoseconds;   /* wall time of the run (CLOCK_MONOTONIC) */
} dnnvp_linux_result_t;

void dnnvp_linux_model_info(dnnvp_linux_model_info_t* info);

/* Every register region from `mem_device` at its memory-map address; the buffer from `mem_device` at
 * buffer_phys (a reserved-memory region). */
void dnnvp_linux_config_devmem(dnnvp_linux_config_t* cfg, const char* mem_device, uint64_t buffer_phys,
                               uint64_t buffer_bytes);

/* The buffer from a u-dma-buf device: `device` (e.g. /dev/udmabuf0) mapped at 0, its physical address
 * and size read from `sysfs_dir` (e.g. /sys/class/u-dma-buf/udmabuf0: files phys_addr and size). */
int dnnvp_linux_config_udmabuf(dnnvp_linux_config_t* cfg, const char* device, const char* sysfs_dir);

/* Maps every region. Fails, mapping nothing, if a device cannot be opened or mapped or the buffer is
 * smaller than the model needs. */
int dnnvp_linux_open(const dnnvp_linux_config_t* cfg);
void dnnvp_linux_close(void);

/* Copies bytes to / from the model's DRAM window at model address `addr` (whole range inside it). */
int dnnvp_linux_write(uint64_t addr, const void* data, size_t bytes);
int dnnvp_linux_read(uint64_t addr, void* data, size_t bytes);

/* Runs the network on what the window holds (weights and input written before) and compares every
 * output element with the expected output at expected_addr if `check` is not 0. Returns 0 when the
 * runtime finished (result->status tells how), -1 when it could not start (closed, no result). */
int dnnvp_linux_run(int check, dnnvp_linux_result_t* result);

/* Why the last call failed. */
const char* dnnvp_linux_error(void);

#ifdef __cplusplus
}
#endif

#endif /* DNNVP_LINUX_H */
