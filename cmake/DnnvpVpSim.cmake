# dnnvp_vp_sim(TARGET <name> [OUTPUT_DIR <dir>] [SHAPE <name>] [engine parameters, TRACE, ASSERT as for
# dnnvp_engine_model()]): the platform simulator (platform/vp_sim_main.cpp + dnnvp_platform) for one engine
# shape, written to <dir>/vp_sim; the default <dir> is ${CMAKE_BINARY_DIR}/vp_sim/<key>, where vp_run looks
# for it (docs/platform.md, "vp_run"). The target's DNNVP_ENGINE_KEY property is the key. Needs the target
# dnnvp_platform (the main build defines it; cmake/vp_sim imports it from a main build tree).
include_guard(DIRECTORY)
include(${CMAKE_CURRENT_LIST_DIR}/DnnvpEngineModel.cmake)

function(dnnvp_vp_sim)
  cmake_parse_arguments(S "" "TARGET;OUTPUT_DIR" "" ${ARGN})
  if(NOT S_TARGET)
    message(FATAL_ERROR "dnnvp_vp_sim: TARGET is required")
  endif()
  get_property(root GLOBAL PROPERTY DNNVP_ENGINE_MODEL_ROOT)
  dnnvp_engine_model(TARGET ${S_TARGET}_engine ${S_UNPARSED_ARGUMENTS})
  get_target_property(key ${S_TARGET}_engine DNNVP_ENGINE_KEY)
  if(NOT S_OUTPUT_DIR)
    set(S_OUTPUT_DIR ${CMAKE_BINARY_DIR}/vp_sim/${key})
  endif()
  add_executable(${S_TARGET} ${root}/platform/vp_sim_main.cpp)
  target_link_libraries(${S_TARGET} PRIVATE dnnvp_platform ${S_TARGET}_engine)
  set_target_properties(${S_TARGET} PROPERTIES OUTPUT_NAME vp_sim RUNTIME_OUTPUT_DIRECTORY ${S_OUTPUT_DIR}
                                               DNNVP_ENGINE_KEY ${key})
endfunction()
