# One Verilated DNN engine per engine shape: the part of the "rtl" engine (models/engine/rtl/) that touches
# the model, compiled against it (docs/platform.md, "Engine"):
#
#   include(<repo>/cmake/DnnvpEngineModel.cmake)
#   dnnvp_engine_model(TARGET dnnvp_engine_4x8
#     [SHAPE tiny]                   # a shape of rtl/engine_shapes.json; "default" if omitted
#     [ROWS 4 COLS 8 STREAM_BITS 64 ACT_BITS 8 WEIGHT_BITS 8 ACC_BITS 32 ACC_DEPTH 64
#      INPUT_BUFFER_BYTES 8192 WEIGHT_BUFFER_BYTES 2048 OUTPUT_BUFFER_BYTES 4096 FOLD_MAX 1]  # instead of SHAPE's
#     [TRACE]                        # FST tracing compiled in (EngineOptions::trace_file)
#     [ASSERT]                       # the RTL's assertions (--assert); off by default for speed
#     [VERILATOR_ARGS ...])          # extra Verilator options
#
# The target is an OBJECT library holding the Verilated rtl/dnn_engine.sv (verilated with --cc -O3
# --x-assign fast --x-initial fast and the parameters as -G overrides) and models/engine/rtl/
# verilated_pins.cpp compiled against it; linking it gives the engine "rtl" of dnnvp::make_engine()
# (models/engine/engine_factory.h) that shape. The rest of the engine is in dnnvp_models, whose factory
# refers to the shape's functions: an OBJECT library is linked whole, so that holds whatever the link
# order. Link one shape per executable (every shape defines the same functions).
#
# The shapes, their defaults and keys are not computed here: tools/engine_shapes.cpp (over
# models/base/engine_shape.h and rtl/engine_shapes.json), compiled at configure time, answers
# dnnvp_engine_shape(<prefix> [SHAPE name] [parameters] [TRACE] [ASSERT]), which sets <prefix>_ROWS, ...
# and <prefix>_KEY (e.g. "r4c8s64a8w8acc32d1024i262144wb16384o262144", + "-trace", "-assert").
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

# The engine's RTL: the lint waivers, then rtl/dnn_engine.f (the one file list, in compile order).
file(STRINGS ${_dnnvp_engine_model_root}/rtl/dnn_engine.f _dnnvp_rtl_lines)
set(DNNVP_ENGINE_RTL_FILES rtl/lint_waivers.vlt)
foreach(_line ${_dnnvp_rtl_lines})
  string(STRIP "${_line}" _line)
  if(_line AND NOT _line MATCHES "^//")
    list(APPEND DNNVP_ENGINE_RTL_FILES rtl/${_line})
  endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_dnnvp_engine_model_root}/rtl/dnn_engine.f)

set(DNNVP_ENGINE_SHAPES_FILE ${_dnnvp_engine_model_root}/rtl/engine_shapes.json)
# tools/engine_shapes, compiled once per build tree and again when its sources change; a change to any of
# them (or to the shapes) configures the tree again.
set(_dnnvp_engine_shapes_sources ${_dnnvp_engine_model_root}/tools/engine_shapes.cpp
    ${_dnnvp_engine_model_root}/models/base/engine_shape.cpp ${_dnnvp_engine_model_root}/models/base/engine_shape.h)
set(DNNVP_ENGINE_SHAPE_TOOL ${CMAKE_BINARY_DIR}/engine_shapes/engine_shapes CACHE INTERNAL
    "tools/engine_shapes, compiled at configure time (tools/rtl_lint.sh runs it too)")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${DNNVP_ENGINE_SHAPES_FILE}
             ${_dnnvp_engine_shapes_sources})
foreach(f ${_dnnvp_engine_shapes_sources})
  if(EXISTS ${DNNVP_ENGINE_SHAPE_TOOL} AND "${f}" IS_NEWER_THAN ${DNNVP_ENGINE_SHAPE_TOOL})
    file(REMOVE ${DNNVP_ENGINE_SHAPE_TOOL})
  endif()
endforeach()
if(NOT EXISTS ${DNNVP_ENGINE_SHAPE_TOOL})
  try_compile(_dnnvp_engine_shape_ok ${CMAKE_BINARY_DIR}/engine_shapes/build
    SOURCES ${_dnnvp_engine_model_root}/tools/engine_shapes.cpp ${_dnnvp_engine_model_root}/models/base/engine_shape.cpp
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${_dnnvp_engine_model_root}/models/base"
    LINK_LIBRARIES nlohmann_json::nlohmann_json
    CXX_STANDARD 17
    COPY_FILE ${DNNVP_ENGINE_SHAPE_TOOL}
    OUTPUT_VARIABLE _dnnvp_engine_shape_log)
  if(NOT _dnnvp_engine_shape_ok)
    message(FATAL_ERROR "cannot compile tools/engine_shapes.cpp:\n${_dnnvp_engine_shape_log}")
  endif()
endif()

# Runs tools/engine_shapes with `args` (see there); its output in <out>, a failure is fatal.
function(dnnvp_engine_shape_tool out)
  execute_process(COMMAND ${DNNVP_ENGINE_SHAPE_TOOL} ${DNNVP_ENGINE_SHAPES_FILE} ${ARGN}
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The parameters' names (ROWS COLS STREAM_BITS ...), as dnnvp_engine_model() takes them.
dnnvp_engine_shape_tool(DNNVP_ENGINE_PARAMETERS parameters)

# dnnvp_engine_shape(<prefix> [SHAPE name] [ROWS n ...] [TRACE] [ASSERT]): the shape's parameters in
# <prefix>_ROWS, ... and its key in <prefix>_KEY, in the caller's scope. The other arguments of
# dnnvp_engine_model() and dnnvp_vp_sim() are ignored, so both pass theirs on whole.
function(dnnvp_engine_shape prefix)
  cmake_parse_arguments(A "TRACE;ASSERT" "SHAPE;TARGET;OUTPUT_DIR;${DNNVP_ENGINE_PARAMETERS}" "VERILATOR_ARGS"
                        ${ARGN})
  if(NOT A_SHAPE)
    set(A_SHAPE default)
  endif()
  set(args shape ${A_SHAPE})
  foreach(p ${DNNVP_ENGINE_PARAMETERS})
    if(DEFINED A_${p})
      list(APPEND args "${p}=${A_${p}}")
    endif()
  endforeach()
  if(A_TRACE)
    list(APPEND args TRACE)
  endif()
  if(A_ASSERT)
    list(APPEND args ASSERT)
  endif()
  dnnvp_engine_shape_tool(values ${args})
  cmake_parse_arguments(V "" "${DNNVP_ENGINE_PARAMETERS};KEY" "" ${values})
  foreach(p ${DNNVP_ENGINE_PARAMETERS} KEY)
    set(${prefix}_${p} ${V_${p}} PARENT_SCOPE)
  endforeach()
endfunction()

function(dnnvp_engine_model)
  cmake_parse_arguments(E "TRACE;ASSERT" "TARGET;SHAPE;${DNNVP_ENGINE_PARAMETERS}" "VERILATOR_ARGS" ${ARGN})
  if(E_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dnnvp_engine_model: unknown arguments ${E_UNPARSED_ARGUMENTS}")
  endif()
  dnnvp_engine_shape(E ${ARGN})
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
    -GOutputBufferBytes=${E_OUTPUT_BUFFER_BYTES} -GFoldMax=${E_FOLD_MAX} -GDwLinePixels=${E_DW_LINE_PIXELS})
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
    DNNVP_ENGINE_OUTPUT_BUFFER_BYTES=${E_OUTPUT_BUFFER_BYTES} DNNVP_ENGINE_FOLD_MAX=${E_FOLD_MAX}
    DNNVP_ENGINE_DW_LINE_PIXELS=${E_DW_LINE_PIXELS}
    DNNVP_ENGINE_ASSERT=$<BOOL:${E_ASSERT}>)
  set_target_properties(${E_TARGET} PROPERTIES DNNVP_ENGINE_KEY "${E_KEY}")
endfunction()
