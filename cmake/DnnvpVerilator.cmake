# Verilator test benches: one executable per (module, parameter set), a C++ test bench around the
# Verilated model, registered with ctest. Assertions are on (--assert) and lint warnings are errors.
find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)

# dnnvp_rtl_test(NAME test TOP module TB tb.cpp SOURCES a.sv b.sv [ARGS -GRows=4 ...])
function(dnnvp_rtl_test)
  cmake_parse_arguments(T "" "NAME;TOP;TB" "SOURCES;ARGS" ${ARGN})
  add_executable(${T_NAME} ${T_TB})
  verilate(${T_NAME}
    SOURCES ${PROJECT_SOURCE_DIR}/rtl/lint_waivers.vlt ${T_SOURCES}
    TOP_MODULE ${T_TOP}
    PREFIX V${T_TOP}
    INCLUDE_DIRS ${PROJECT_SOURCE_DIR}/rtl
    VERILATOR_ARGS -Wall --assert -O3 --x-assign unique --x-initial unique ${T_ARGS}
    # Unit benches run for seconds: compile time matters more than simulation speed here.
    OPT_SLOW -O0 OPT_FAST -O1 OPT_GLOBAL -O1)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/rtl/common)
  target_compile_options(${T_NAME} PRIVATE -Wno-unused-parameter -Wno-pedantic)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
endfunction()
