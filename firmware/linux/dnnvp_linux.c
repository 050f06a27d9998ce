/* The Linux library (dnnvp_linux.h): maps the registers and the DMA buffer, then runs the runtime with
 * the CPU and DMA offsets that place the model's DRAM window in the buffer. */
#define _POSIX_C_SOURCE 200809L
#include "dnnvp_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dnnvp_memory_map.h"
#include "dnnvp_ops.h"
#include "dnnvp_rt.h"
#include "hal_linux.h"
#include "model_linux.h"

enum { REGION_ENGINE, REGION_DMA_X, REGION_DMA_W, REGION_DMA_R, REGION_COUNT };

/* Where the runtime's state goes after the model's window: DMA descriptors need 64-byte alignment. */
#define STATE_ALIGN 64u

typedef struct {
  void* virt;
  size_t bytes;
} mapping_t;

static struct {
  int open;
  mapping_t regs[REGION_COUNT];
  mapping_t buffer;
  uint64_t buffer_phys;
  uint32_t poll_budget;
} lib;

static char error_text[256];

static int fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error_text, sizeof error_text, format, args);
  va_end(args);
  return -1;
}

const char* dnnvp_linux_error(void) {
  return error_text;
}

static uint64_t window_base(void) {
  return model_linux.weights_addr < model_linux.input_addr ? model_linux.weights_addr
                                                           : model_linux.input_addr;
}

static uint64_t state_offset(void) {
  const uint64_t window = model_linux.end - window_base();
  return (window + STATE_ALIGN - 1u) / STATE_ALIGN * STATE_ALIGN;
}

void dnnvp_linux_model_info(dnnvp_linux_model_info_t* info) {
  info->name = model_linux.name;
  info->num_layers = model_linux.num_layers;
  info->weights_addr = model_linux.weights_addr;
  info->weights_bytes = model_linux.weights_bytes;
  info->input_addr = model_linux.input_addr;
  info->input_bytes = model_linux.input_bytes;
  info->output_addr = model_linux.output_addr;
  info->output_bytes = model_linux.output_bytes;
  info->output_elements = model_linux.output_elements;
  info->expected_addr = model_linux.expected_addr;
  info->window_base = window_base();
  info->window_end = model_linux.end;
  info->buffer_bytes = state_offset() + sizeof(dnnvp_rt_t);
}

void dnnvp_linux_config_devmem(dnnvp_linux_config_t* cfg, const char* mem_device, uint64_t buffer_phys,
                               uint64_t buffer_bytes) {
  memset(cfg, 0, sizeof *cfg);
  cfg->engine = (dnnvp_linux_map_t){mem_device, DNNVP_ENGINE_BASE};
  cfg->dma_x = (dnnvp_linux_map_t){mem_device, DNNVP_STREAM_X_DMA_BASE};
  cfg->dma_w = (dnnvp_linux_map_t){mem_device, DNNVP_STREAM_W_DMA_BASE};
  cfg->dma_r = (dnnvp_linux_map_t){mem_device, DNNVP_STREAM_R_DMA_BASE};
  cfg->buffer = (dnnvp_linux_map_t){mem_device, buffer_phys};
  cfg->buffer_phys = buffer_phys;
  cfg->buffer_bytes = buffer_bytes;
}

/* The number in a sysfs file (decimal or 0x-hex). */
static int read_sysfs_u64(const char* dir, const char* file, uint64_t* value) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE* f = fopen(path, "r");
  if (f == NULL) return fail("%s: %s", path, strerror(errno));
  unsigned long long v = 0;
  const int n = fscanf(f, "%lli", (long long*)&v);
  fclose(f);
  if (n != 1) return fail("%s: not a number", path);
  *value = v;
  return 0;
}

int dnnvp_linux_config_udmabuf(dnnvp_linux_config_t* cfg, const char* device, const char* sysfs_dir) {
  uint64_t phys = 0, size = 0;
  if (read_sysfs_u64(sysfs_dir, "phys_addr", &phys) != 0 || read_sysfs_u64(sysfs_dir, "size", &size) != 0)
    return -1;
  cfg->buffer = (dnnvp_linux_map_t){device, 0};
  cfg->buffer_phys = phys;
  cfg->buffer_bytes = size;
  return 0;
}

static void unmap_all(void) {
  for (int i = 0; i < REGION_COUNT; ++i)
    if (lib.regs[i].virt != NULL) munmap(lib.regs[i].virt, lib.regs[i].bytes);
  if (lib.buffer.virt != NULL) munmap(lib.buffer.virt, lib.buffer.bytes);
  memset(&lib, 0, sizeof lib);
  hal_linux_set_regions(NULL, 0);
}

/* Maps `bytes` of m.device from m.offset (which must be page-aligned, as mmap needs). */
static int map(const char* what, const dnnvp_linux_map_t* m, size_t bytes, mapping_t* out) {
  if (m->device == NULL) return fail("%s: no device", what);
  const long page = sysconf(_SC_PAGESIZE);
  if (m->offset % (uint64_t)page != 0u)
    return fail("%s: %s offset 0x%llx is not a multiple of the page size (%ld)", what, m->device,
                (unsigned long long)m->offset, page);
  const int fd = open(m->device, O_RDWR | O_SYNC);
  if (fd < 0) return fail("%s: cannot open %s: %s", what, m->device, strerror(errno));
  void* v = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m->offset);
  const int e = errno;
  close(fd); /* the mapping stays */
  if (v == MAP_FAILED)
    return fail("%s: cannot map 0x%zx bytes of %s at 0x%llx: %s", what, bytes, m->device,
                (unsigned long long)m->offset, strerror(e));
  out->virt = v;
  out->bytes = bytes;
  return 0;
}

int dnnvp_linux_open(const dnnvp_linux_config_t* cfg) {
  if (lib.open) return fail("already open (one accelerator per process)");
  if (cfg == NULL) return fail("no configuration");
  dnnvp_linux_model_info_t info;
  dnnvp_linux_model_info(&info);
  if (cfg->buffer_bytes < info.buffer_bytes)
    return fail("buffer: %llu bytes, model '%s' needs %llu (its DRAM window and the runtime's state)",
                (unsigned long long)cfg->buffer_bytes, info.name, (unsigned long long)info.buffer_bytes);
  if (cfg->buffer_phys % STATE_ALIGN != 0u)
    return fail("buffer: physical address 0x%llx is not %u-byte aligned",
                (unsigned long long)cfg->buffer_phys, STATE_ALIGN);
  const struct {
    const char* name;
    const dnnvp_linux_map_t* map;
    uintptr_t base, size;
  } regions[REGION_COUNT] = {
      {"engine", &cfg->engine, DNNVP_ENGINE_BASE, DNNVP_ENGINE_SIZE},
      {DNNVP_STREAM_X_DMA_NAME, &cfg->dma_x, DNNVP_STREAM_X_DMA_BASE, DNNVP_STREAM_X_DMA_SIZE},
      {DNNVP_STREAM_W_DMA_NAME, &cfg->dma_w, DNNVP_STREAM_W_DMA_BASE, DNNVP_STREAM_W_DMA_SIZE},
      {DNNVP_STREAM_R_DMA_NAME, &cfg->dma_r, DNNVP_STREAM_R_DMA_BASE, DNNVP_STREAM_R_DMA_SIZE}};
  hal_linux_region_t table[REGION_COUNT];
  for (int i = 0; i < REGION_COUNT; ++i) {
    if (map(regions[i].name, regions[i].map, regions[i].size, &lib.regs[i]) != 0) {
      unmap_all();
      return -1;
    }
    table[i] = (hal_linux_region_t){regions[i].base, regions[i].size, (volatile uint8_t*)lib.regs[i].virt};
  }
  if (map("buffer", &cfg->buffer, (size_t)info.buffer_bytes, &lib.buffer) != 0) {
    unmap_all();
    return -1;
  }
  hal_linux_set_regions(table, REGION_COUNT);
  lib.buffer_phys = cfg->buffer_phys;
  lib.poll_budget = cfg->poll_budget != 0u ? cfg->poll_budget : 20000000u;
  lib.open = 1;
  return 0;
}

void dnnvp_linux_close(void) {
  unmap_all();
}

/* The process's pointer to model address addr, or NULL unless [addr, addr + bytes) is in the window. */
static uint8_t* window_ptr(uint64_t addr, size_t bytes) {
  const uint64_t base = window_base();
  if (addr < base || addr > model_linux.end || bytes > model_linux.end - addr) return NULL;
  return (uint8_t*)lib.buffer.virt + (addr - base);
}

static int copy_check(uint64_t addr, size_t bytes, uint8_t** p) {
  if (!lib.open) return fail("not open");
  *p = window_ptr(addr, bytes);
  if (*p == NULL)
    return fail("0x%llx + %zu bytes is outside model '%s''s window 0x%llx..0x%llx", (unsigned long long)addr,
                bytes, model_linux.name, (unsigned long long)window_base(),
                (unsigned long long)model_linux.end);
  return 0;
}

int dnnvp_linux_write(uint64_t addr, const void* data, size_t bytes) {
  uint8_t* p;
  if (copy_check(addr, bytes, &p) != 0) return -1;
  memcpy(p, data, bytes);
  return 0;
}

int dnnvp_linux_read(uint64_t addr, void* data, size_t bytes) {
  uint8_t* p;
  if (copy_check(addr, bytes, &p) != 0) return -1;
  memcpy(data, p, bytes);
  return 0;
}

/* The runtime's configuration: the memory map's registers, no platform hooks, no timer, and the two
 * offsets of the window. */
static void runtime_config(dnnvp_rt_config_t* cfg) {
  dnnvp_rt_config_vp(cfg);
  const uint64_t base = window_base();
  cfg->cpu_offset = (uintptr_t)lib.buffer.virt - (uintptr_t)base;
  cfg->dma_x.bus_offset = cfg->dma_w.bus_offset = cfg->dma_r.bus_offset = lib.buffer_phys - base;
  cfg->timer_base = 0;
  cfg->layer_mark_addr = 0;
  cfg->report_addr = 0;
  cfg->poll_budget = lib.poll_budget;
}

static int32_t element(const uint8_t* data, uint32_t i, const dnnvp_qtype_t* q) {
  const uint32_t raw = q->bits <= 4u ? dnnvp_nibble_get(data, i) : data[i];
  const uint32_t flip = dnnvp_sign_flip(q);
  return (int32_t)(raw ^ flip) - (int32_t)flip;
}

static uint32_t count_mismatches(void) {
  const dnnvp_qtype_t* q = &model_linux.layers[model_linux.num_layers - 1u].out_q;
  const uint8_t* got = window_ptr(model_linux.output_addr, model_linux.output_bytes);
  const uint8_t* want = window_ptr(model_linux.expected_addr, model_linux.output_bytes);
  uint32_t mismatches = 0;
  for (uint32_t i = 0; i < model_linux.output_elements; ++i)
    mismatches += element(got, i, q) != element(want, i, q);
  return mismatches;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int dnnvp_linux_run(int check, dnnvp_linux_result_t* result) {
  if (!lib.open) return fail("not open");
  if (result == NULL) return fail("no result");
  dnnvp_rt_t* rt = (dnnvp_rt_t*)((uint8_t*)lib.buffer.virt + state_offset());
  dnnvp_rt_config_t cfg;
  runtime_config(&cfg);
  const uint64_t t0 = now_ns();
  dnnvp_rt_status_t s = dnnvp_rt_init(rt, &cfg);
  if (s == DNNVP_RT_OK) s = dnnvp_rt_run(rt, model_linux.layers, model_linux.num_layers, NULL);
  memset(result, 0, sizeof *result);
  result->nanoseconds = now_ns() - t0;
  result->status = (int32_t)s;
  result->status_text = dnnvp_rt_status_str(s);
  result->error_layer = s == DNNVP_RT_OK ? -1 : rt->error_layer;
  result->error_tile = rt->error_tile;
  result->error_what = s != DNNVP_RT_OK && rt->error_what != NULL ? rt->error_what : "";
  result->error_detail = rt->error_detail;
  uintptr_t missed = 0;
  if (hal_linux_unmapped(&missed))
    return fail("register access at 0x%lx, outside the engine and DMA regions", (unsigned long)missed);
  if (s == DNNVP_RT_OK && check) result->mismatches = count_mismatches();
  return 0;
}
