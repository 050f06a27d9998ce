# Rounding ties through the engine bridge: tests/scenarios/numerics_ties_pow2.yaml (power-of-two scales,
# ties of both signs in its Conv layers' output stages, docs/numerics.md) and numerics_ties_half_even.yaml
# (the same ties rounded to even) with every Conv layer compared element by element against the golden
# model, without and with random stalls. Each scenario is written into the build directory with the
# bridge's hardware (tiny_cnn_4x8.yaml's one-line `hardware:` mapping) in place of the scenario's own,
# whose other keys (its datapath widths) are kept.
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/tiny_cnn_4x8.yaml bridge_yaml)
string(REGEX MATCH "\nhardware: {([^}\n]*)}" bridge_line "${bridge_yaml}")
set(bridge_hw "${CMAKE_MATCH_1}")
foreach(case "numerics_ties_pow2;toward +infinity" "numerics_ties_half_even;to even")
  list(GET case 0 name)
  list(GET case 1 rule)
  set(numerics_scenario ${PROJECT_SOURCE_DIR}/tests/scenarios/${name}.yaml)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${numerics_scenario} ${CMAKE_CURRENT_SOURCE_DIR}/tiny_cnn_4x8.yaml)
  file(READ ${numerics_scenario} numerics_yaml)
  string(REGEX MATCH "\nhardware: {([^}\n]*)}" numerics_line "${numerics_yaml}")
  if(NOT bridge_line OR NOT numerics_line)
    message(FATAL_ERROR "numerics_cases.cmake: tiny_cnn_4x8.yaml and ${numerics_scenario} need a one-line "
                        "hardware: {...} mapping")
  endif()
  string(REPLACE ", " ";" numerics_keys "${CMAKE_MATCH_1}")
  set(hw "${bridge_hw}")
  foreach(kv IN LISTS numerics_keys)
    string(REGEX REPLACE ":.*" "" key "${kv}")
    if(NOT bridge_hw MATCHES "(^|, )${key}:")
      string(APPEND hw ", ${kv}")
    endif()
  endforeach()
  string(REPLACE "${numerics_line}" "\nhardware: {${hw}}" numerics_yaml "${numerics_yaml}")
  set(numerics_bridge_scenario ${CMAKE_CURRENT_BINARY_DIR}/${name}_bridge.yaml)
  file(WRITE ${numerics_bridge_scenario} "${numerics_yaml}")

  add_test(NAME "engine bridge rounds ${name}'s requantisation ties ${rule}, bit-exact"
    COMMAND engine_bridge_run ${numerics_bridge_scenario})
  add_test(NAME "engine bridge rounds ${name}'s requantisation ties bit-exact under random stalls"
    COMMAND engine_bridge_run ${numerics_bridge_scenario} --stall-seed 7 --stall-probability 0.5)
endforeach()
