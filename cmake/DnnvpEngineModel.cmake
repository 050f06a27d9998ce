# One Verilated DNN engine per parameter set: the part of the "rtl" engine (models/engine/rtl/) that touches
# the model, compiled against it (docs/platform.md, "Engine"):
#
#   include(<repo>/cmake/DnnvpEngineModel.cmake)
#   dnnvp_engine_model(TARGET dnnvp_engine_4x8
#     ROWS 4 COLS 8 STREAM_BITS 64 ACT_BITS 8 WEIGHT_BITS 8 ACC_BITS 32 ACC_DEPTH 64
#     INPUT_BUFFER_BYTES 8192 WEIGHT_BUFFER_BYTES 2048 OUTPUT_BUFFER_BYTES 4096
#     [TRACE]                        # FST tracing compiled in (EngineOptions::trace_file)
#     [ASSERT]                       # the RTL's assertions (--assert); off by default for speed
#     [VERILATOR_ARGS ...])          # extra Verilator options
#
# The target is an OBJECT library holding the Verilated rtl/dnn_engine.sv (verilated with --cc -O3
# --x-assign fast --x-initial fast and the parameters as -G overrides) and models/engine/rtl/
# verilated_pins.cpp compiled against it; linking it gives the engine "rtl" of dnnvp::make_engine()
# (models/engine/engine_factory.h) that shape. The rest of the engine is in dnnvp_models, whose factory
# refers to the shape's functions: an OBJECT library is linked whole, so that holds whatever the link
# order. Omitted parameters take the scenario defaults (8x16, 64-bit streams, 8-bit, AccBits 32, AccDepth
# 1024, 256/16/256 KiB buffers). Link one shape per executable (every shape defines the same functions).
#
# Needs the target dnnvp_models: the main build defines it, and a standalone project (cmake/vp_sim, for
# simulators of shapes the main build did not make) imports it from a main build tree.
include_guard(DIRECTORY)

get_filename_component(_dnnvp_engine_model_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set_property(GLOBAL PROPERTY DNNVP_ENGINE_MODEL_ROOT "${_dnnvp_engine_model_root}")

# verilate() needs variables of Verilator's package (VERILATOR_MT_CFLAGS) in the scope where
# dnnvp_engine_model() is called: find it in every directory that includes this file.
find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)
find_package(Threads REQUIRED)

# The engine's RTL, in dependency order (as tests/rtl/engine verilates it).
set(DNNVP_ENGINE_RTL_FILES
  rtl/lint_waivers.vlt rtl/dnn_regs_pkg.sv rtl/dnn_fifo.sv rtl/dnn_ram_1r1w.sv rtl/dnn_regs.sv rtl/dnn_input_loader.sv
  rtl/dnn_weight_loader.sv rtl/dnn_pe_array.sv rtl/dnn_requant.sv rtl/dnn_core.sv rtl/dnn_output_buffer.sv
  rtl/dnn_engine.sv)

# dnnvp_engine_model_key(<out-var> ROWS .. COLS .. ...): the canonical name of a parameter set, e.g.
# "r4c8s64a8w8acc32d64i8192wb2048o4096" (+ "-trace", "-assert"); vp_run caches shape builds under it.
function(dnnvp_engine_model_key out)
  _dnnvp_engine_model_args(K ${ARGN})
  set(key "r${K_ROWS}c${K_COLS}s${K_STREAM_BITS}a${K_ACT_BITS}w${K_WEIGHT_BITS}acc${K_ACC_BITS}d${K_ACC_DEPTH}")
  string(APPEND key "i${K_INPUT_BUFFER_BYTES}wb${K_WEIGHT_BUFFER_BYTES}o${K_OUTPUT_BUFFER_BYTES}")
  if(K_TRACE)
    string(APPEND key "-trace")
  endif()
  if(K_ASSERT)
    string(APPEND key "-assert")
  endif()
  set(${out} "${key}" PARENT_SCOPE)
endfunction()

# Parses the shared argument list into <prefix>_* in the caller's scope, with defaults and checks.
macro(_dnnvp_engine_model_args prefix)
  cmake_parse_arguments(${prefix} "TRACE;ASSERT"
    "TARGET;ROWS;COLS;STREAM_BITS;ACT_BITS;WEIGHT_BITS;ACC_BITS;ACC_DEPTH;INPUT_BUFFER_BYTES;WEIGHT_BUFFER_BYTES;OUTPUT_BUFFER_BYTES"
    "VERILATOR_ARGS" ${ARGN})
  if(${prefix}_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dnnvp_engine_model: unknown arguments ${${prefix}_UNPARSED_ARGUMENTS}")
  endif()
  foreach(_p ROWS=8 COLS=16 STREAM_BITS=64 ACT_BITS=8 WEIGHT_BITS=8 ACC_BITS=32 ACC_DEPTH=1024
             INPUT_BUFFER_BYTES=262144 WEIGHT_BUFFER_BYTES=16384 OUTPUT_BUFFER_BYTES=262144)
    string(REPLACE "=" ";" _kv "${_p}")
    list(GET _kv 0 _k)
    list(GET _kv 1 _v)
    if("${${prefix}_${_k}}" STREQUAL "")
      set(${prefix}_${_k} ${_v})
    endif()
    if(NOT "${${prefix}_${_k}}" MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "dnnvp_engine_model: ${_k} must be a positive integer, got '${${prefix}_${_k}}'")
    endif()
  endforeach()
  math(EXPR _rem "${${prefix}_STREAM_BITS} % 8")
  if(NOT _rem EQUAL 0)
    message(FATAL_ERROR "dnnvp_engine_model: STREAM_BITS must be a multiple of 8, got ${${prefix}_STREAM_BITS}")
  endif()
endmacro()

function(dnnvp_engine_model)
  _dnnvp_engine_model_args(E ${ARGN})
  if(NOT E_TARGET)
    message(FATAL_ERROR "dnnvp_engine_model: TARGET is required")
  endif()
  if(NOT TARGET dnnvp_models)
    message(FATAL_ERROR "dnnvp_engine_model: needs the target dnnvp_models (models/CMakeLists.txt, or imported from a build tree)")
  endif()
  get_property(root GLOBAL PROPERTY DNNVP_ENGINE_MODEL_ROOT)

  add_library(${E_TARGET} OBJECT ${root}/models/engine/rtl/verilated_pins.cpp)

  set(rtl "")
  foreach(f ${DNNVP_ENGINE_RTL_FILES})
    list(APPEND rtl ${root}/${f})
  endforeach()
  set(vargs -O3 --x-assign fast --x-initial fast
    -GRows=${E_ROWS} -GCols=${E_COLS} -GStreamBits=${E_STREAM_BITS} -GActBits=${E_ACT_BITS}
    -GWeightBits=${E_WEIGHT_BITS} -GAccBits=${E_ACC_BITS} -GAccDepth=${E_ACC_DEPTH}
    -GInputBufferBytes=${E_INPUT_BUFFER_BYTES} -GWeightBufferBytes=${E_WEIGHT_BUFFER_BYTES}
    -GOutputBufferBytes=${E_OUTPUT_BUFFER_BYTES})
  if(E_ASSERT)
    list(APPEND vargs --assert)
  endif()
  set(trace_opt "")
  if(E_TRACE)
    set(trace_opt TRACE_FST)
  endif()
  verilate(${E_TARGET} ${trace_opt}
    SOURCES ${rtl}
    TOP_MODULE dnn_engine
    PREFIX Vdnn_engine
    INCLUDE_DIRS ${root}/rtl
    VERILATOR_ARGS ${vargs} ${E_VERILATOR_ARGS}
    # The model's hot code is optimised whatever the build type.
    OPT_FAST -O3
    OPT_GLOBAL -O2)

  # dnnvp_models brings SystemC; the Verilator runtime needs threads.
  target_link_libraries(${E_TARGET} PUBLIC dnnvp_models Threads::Threads)
  target_compile_features(${E_TARGET} PUBLIC cxx_std_17)
  # Verilated code is not -Wpedantic / -Wunused-parameter clean.
  target_compile_options(${E_TARGET} PRIVATE -Wno-unused-parameter -Wno-pedantic)
  target_compile_definitions(${E_TARGET} PRIVATE
    DNNVP_ENGINE_ROWS=${E_ROWS} DNNVP_ENGINE_COLS=${E_COLS} DNNVP_ENGINE_STREAM_BITS=${E_STREAM_BITS}
    DNNVP_ENGINE_ACT_BITS=${E_ACT_BITS} DNNVP_ENGINE_WEIGHT_BITS=${E_WEIGHT_BITS}
    DNNVP_ENGINE_ACC_BITS=${E_ACC_BITS} DNNVP_ENGINE_ACC_DEPTH=${E_ACC_DEPTH}
    DNNVP_ENGINE_INPUT_BUFFER_BYTES=${E_INPUT_BUFFER_BYTES}
    DNNVP_ENGINE_WEIGHT_BUFFER_BYTES=${E_WEIGHT_BUFFER_BYTES}
    DNNVP_ENGINE_OUTPUT_BUFFER_BYTES=${E_OUTPUT_BUFFER_BYTES}
    DNNVP_ENGINE_ASSERT=$<BOOL:${E_ASSERT}>)
  dnnvp_engine_model_key(key ${ARGN})
  set_target_properties(${E_TARGET} PROPERTIES DNNVP_ENGINE_KEY "${key}")
endfunction()
