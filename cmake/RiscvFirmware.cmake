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
# The compiler, its flags, the startup sources, include directories and linker script every firmware gets
# are firmware/flags.txt's, the one list tools/build_firmware.sh reads too (each KEY there is DNNVP_FW_KEY
# here); NO_STARTUP drops the startup sources. The generated dnnvp_memory_map.h's directory comes last.
# FW_SIZE sets the firmware reservation at the DRAM base (default 16 MiB), STACK_SIZE the stack at its top
# (default 64 KiB).
#
# Without the cross compiler or picolibc, DNNVP_FIRMWARE_AVAILABLE is OFF and dnnvp_firmware() does
# nothing (callers test `if(TARGET firmware_<name>)`).
include_guard(GLOBAL)

set(DNNVP_FIRMWARE_DIR ${CMAKE_CURRENT_LIST_DIR}/../firmware)
get_filename_component(DNNVP_FIRMWARE_DIR ${DNNVP_FIRMWARE_DIR} ABSOLUTE)

# firmware/flags.txt: `KEY = value` lines (words separated by spaces), `#` comment lines.
set(_fw_flags_file ${DNNVP_FIRMWARE_DIR}/flags.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_fw_flags_file})
file(STRINGS ${_fw_flags_file} _fw_lines)
set(_fw_line_number 0)
set(_fw_keys)
foreach(_fw_line IN LISTS _fw_lines)
  math(EXPR _fw_line_number "${_fw_line_number} + 1")
  if(_fw_line MATCHES "^[ \t]*(#.*)?$")
    continue()
  elseif(NOT _fw_line MATCHES "^([A-Z_]+)[ \t]*=[ \t]*(.*)$")
    message(FATAL_ERROR "${_fw_flags_file}:${_fw_line_number}: expected `KEY = value`, got `${_fw_line}`")
  endif()
  separate_arguments(DNNVP_FW_${CMAKE_MATCH_1} UNIX_COMMAND "${CMAKE_MATCH_2}")
  list(APPEND _fw_keys ${CMAKE_MATCH_1})
endforeach()
foreach(_fw_key CC OBJDUMP SPECS_DIRS MARCH MABI OPT CFLAGS LDFLAGS STARTUP_SOURCES INCLUDE_DIRS LINKER_SCRIPT)
  if(NOT _fw_key IN_LIST _fw_keys)
    message(FATAL_ERROR "${_fw_flags_file}: no ${_fw_key}")
  endif()
endforeach()
list(TRANSFORM DNNVP_FW_STARTUP_SOURCES PREPEND ${DNNVP_FIRMWARE_DIR}/)
list(TRANSFORM DNNVP_FW_INCLUDE_DIRS PREPEND ${DNNVP_FIRMWARE_DIR}/)
list(TRANSFORM DNNVP_FW_APP_INCLUDE_DIRS PREPEND ${DNNVP_FIRMWARE_DIR}/)
set(DNNVP_FW_LINKER_SCRIPT ${DNNVP_FIRMWARE_DIR}/${DNNVP_FW_LINKER_SCRIPT})

find_program(DNNVP_RISCV_GCC ${DNNVP_FW_CC})
find_program(DNNVP_RISCV_OBJDUMP ${DNNVP_FW_OBJDUMP})
find_file(DNNVP_PICOLIBC_SPECS picolibc.specs PATHS ${DNNVP_FW_SPECS_DIRS} NO_DEFAULT_PATH)

if(DNNVP_RISCV_GCC AND DNNVP_PICOLIBC_SPECS)
  set(DNNVP_FIRMWARE_AVAILABLE ON)
else()
  set(DNNVP_FIRMWARE_AVAILABLE OFF)
  message(WARNING "riscv64-unknown-elf-gcc or picolibc not found: firmware and the tests that run it are "
                  "skipped (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)")
endif()

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
    set(FW_LINKER_SCRIPT ${DNNVP_FW_LINKER_SCRIPT})
  endif()
  set(sources ${FW_SOURCES})
  if(NOT FW_NO_STARTUP)
    list(PREPEND sources ${DNNVP_FW_STARTUP_SOURCES})
  endif()

  set(arch -march=${DNNVP_FW_MARCH} -mabi=${DNNVP_FW_MABI} --specs=${DNNVP_PICOLIBC_SPECS})
  set(cflags ${arch} ${DNNVP_FW_OPT} ${DNNVP_FW_CFLAGS})
  set(depends ${FW_DEPENDS})
  set(include_dirs ${FW_INCLUDE_DIRS} ${DNNVP_FW_INCLUDE_DIRS})
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
  set(ldflags ${arch} ${DNNVP_FW_LDFLAGS} -T ${FW_LINKER_SCRIPT} -Wl,-Map=${map})
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
