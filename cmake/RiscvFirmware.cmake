# Cross-compiling dnn-vp firmware (RV32IMC, ilp32, picolibc) from the host build, without touching the
# project's own compilers: every object and the link are custom commands calling riscv64-unknown-elf-gcc.
#
#   dnnvp_firmware(<name> SOURCES <file>...
#                  [INCLUDE_DIRS <dir>...] [DEFINES <NAME[=value]>...] [CFLAGS <flag>...] [LDFLAGS <flag>...]
#                  [DEPENDS <target-or-file>...] [LINKER_SCRIPT <file>] [NO_STARTUP]
#                  [FW_SIZE <bytes>] [STACK_SIZE <bytes>])
#
# builds ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf (with <name>.map and a disassembly <name>.lst) through the
# custom target firmware_<name> (part of ALL). The ELF's path is the target property DNNVP_ELF:
#   $<TARGET_PROPERTY:firmware_<name>,DNNVP_ELF>
# Every firmware gets firmware/startup (crt0.S, syscalls.c: _exit -> sysctl EXIT, stdout -> UART) and
# firmware/hal/hal_mmio.c,
# firmware/abi, firmware/hal and the generated dnnvp_memory_map.h, unless NO_STARTUP drops the startup
# sources. FW_SIZE sets the firmware reservation at the DRAM base (default 16 MiB), STACK_SIZE the stack at
# its top (default 64 KiB).
#
# Without the cross compiler or picolibc, DNNVP_FIRMWARE_AVAILABLE is OFF and dnnvp_firmware() does
# nothing (callers test `if(TARGET firmware_<name>)`).
include_guard(GLOBAL)

set(DNNVP_FW_MARCH "rv32imc" CACHE STRING "-march of the firmware")
set(DNNVP_FW_MABI "ilp32" CACHE STRING "-mabi of the firmware")
set(DNNVP_FW_OPT "-O2" CACHE STRING "Optimisation flags of the firmware")

find_program(DNNVP_RISCV_GCC riscv64-unknown-elf-gcc)
find_program(DNNVP_RISCV_OBJDUMP riscv64-unknown-elf-objdump)
find_file(DNNVP_PICOLIBC_SPECS picolibc.specs
  PATHS /usr/lib/picolibc/riscv64-unknown-elf /usr/local/lib/picolibc/riscv64-unknown-elf
  NO_DEFAULT_PATH)

if(DNNVP_RISCV_GCC AND DNNVP_PICOLIBC_SPECS)
  set(DNNVP_FIRMWARE_AVAILABLE ON)
else()
  set(DNNVP_FIRMWARE_AVAILABLE OFF)
  message(WARNING "riscv64-unknown-elf-gcc or picolibc not found: firmware and the tests that run it are "
                  "skipped (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)")
endif()

set(DNNVP_FIRMWARE_DIR ${CMAKE_CURRENT_LIST_DIR}/../firmware)
get_filename_component(DNNVP_FIRMWARE_DIR ${DNNVP_FIRMWARE_DIR} ABSOLUTE)

function(dnnvp_firmware NAME)
  cmake_parse_arguments(FW "NO_STARTUP" "LINKER_SCRIPT;FW_SIZE;STACK_SIZE"
                        "SOURCES;INCLUDE_DIRS;DEFINES;CFLAGS;LDFLAGS;DEPENDS" ${ARGN})
  if(NOT DNNVP_FIRMWARE_AVAILABLE)
    return()
  endif()
  if(NOT FW_SOURCES)
    message(FATAL_ERROR "dnnvp_firmware(${NAME}): no SOURCES")
  endif()
  if(NOT FW_LINKER_SCRIPT)
    set(FW_LINKER_SCRIPT ${DNNVP_FIRMWARE_DIR}/startup/dnnvp_fw.ld)
  endif()
  set(sources ${FW_SOURCES})
  if(NOT FW_NO_STARTUP)
    list(PREPEND sources ${DNNVP_FIRMWARE_DIR}/startup/crt0.S ${DNNVP_FIRMWARE_DIR}/startup/syscalls.c
                         ${DNNVP_FIRMWARE_DIR}/hal/hal_mmio.c)
  endif()

  set(arch -march=${DNNVP_FW_MARCH} -mabi=${DNNVP_FW_MABI} --specs=${DNNVP_PICOLIBC_SPECS})
  set(cflags ${arch} ${DNNVP_FW_OPT} -g -std=c11 -ffreestanding -ffunction-sections -fdata-sections
             -fno-common -fno-asynchronous-unwind-tables -Wall -Wextra)
  set(depends ${FW_DEPENDS})
  set(include_dirs ${FW_INCLUDE_DIRS} ${DNNVP_FIRMWARE_DIR}/abi ${DNNVP_FIRMWARE_DIR}/hal
                   ${DNNVP_FIRMWARE_DIR}/startup)
  if(DNNVP_MEMORY_MAP_INCLUDE_DIR)
    list(APPEND include_dirs ${DNNVP_MEMORY_MAP_INCLUDE_DIR})
  endif()
  foreach(dir ${include_dirs})
    list(APPEND cflags -I${dir})
  endforeach()
  foreach(def ${FW_DEFINES})
    list(APPEND cflags -D${def})
  endforeach()
  list(APPEND cflags ${FW_CFLAGS})
  # The generated memory-map header: order after its custom target (a file-level dependency on it from a
  # custom command in another directory would not know how to make it).
  set(order_targets)
  if(TARGET dnnvp_memory_map_headers)
    list(APPEND order_targets dnnvp_memory_map_headers)
  endif()

  set(objdir ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.fw)
  set(objects)
  foreach(src ${sources})
    get_filename_component(abs ${src} ABSOLUTE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
    if(rel MATCHES "^\\.\\.")  # outside the source tree (generated): flatten the path
      string(MAKE_C_IDENTIFIER "${abs}" rel)
    endif()
    set(obj ${objdir}/${rel}.o)
    get_filename_component(obj_dir ${obj} DIRECTORY)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${obj_dir}
      COMMAND ${DNNVP_RISCV_GCC} ${cflags} -MD -MF ${obj}.d -c ${abs} -o ${obj}
      DEPENDS ${abs} ${depends} ${order_targets}
      DEPFILE ${obj}.d
      COMMENT "RV32 CC ${NAME}: ${rel}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects ${obj})
  endforeach()

  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.elf)
  set(map ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.map)
  set(lst ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.lst)
  set(ldflags ${arch} -nostartfiles -T ${FW_LINKER_SCRIPT} -Wl,--gc-sections -Wl,-Map=${map}
              -Wl,--no-warn-rwx-segments)
  if(FW_FW_SIZE)
    list(APPEND ldflags -Wl,--defsym=__dnnvp_fw_size=${FW_FW_SIZE})
  endif()
  if(FW_STACK_SIZE)
    list(APPEND ldflags -Wl,--defsym=__dnnvp_stack_size=${FW_STACK_SIZE})
  endif()
  list(APPEND ldflags ${FW_LDFLAGS})
  set(listing_cmd)
  if(DNNVP_RISCV_OBJDUMP)
    set(listing_cmd COMMAND sh -c "\"${DNNVP_RISCV_OBJDUMP}\" -d -S \"${elf}\" > \"${lst}\"")
  endif()
  add_custom_command(
    OUTPUT ${elf} ${map}
    COMMAND ${DNNVP_RISCV_GCC} ${ldflags} ${objects} -o ${elf}
    ${listing_cmd}
    DEPENDS ${objects} ${FW_LINKER_SCRIPT}
    BYPRODUCTS ${lst}
    COMMENT "RV32 LD ${NAME}.elf"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(firmware_${NAME} ALL DEPENDS ${elf})
  set_target_properties(firmware_${NAME} PROPERTIES DNNVP_ELF ${elf})
endfunction()
