# The check builds .ci/run adds to `make test` (README, "Tests"), each in its own build directory:
#   DNNVP_SANITIZE=ON  ASan + UBSan on the host C/C++ (any error aborts the test). The RISC-V firmware is
#                      cross-compiled by custom commands and never sees these flags; Verilated code would,
#                      but the check builds only the host-side tests (target dnnvp_host_tests).
#   DNNVP_FUZZ=ON      libFuzzer targets (tests/fuzz, target dnnvp_fuzz_targets, ctest label `fuzz`);
#                      needs clang and implies DNNVP_SANITIZE (libFuzzer finds memory errors through ASan,
#                      whose runtime also serves the coverage hooks), so one clang build directory serves
#                      both checks. Only the libraries under fuzz get coverage instrumentation
#                      (tests/fuzz/CMakeLists.txt).
option(DNNVP_SANITIZE "Build host C/C++ with -fsanitize=address,undefined" OFF)
option(DNNVP_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)

if(DNNVP_FUZZ)
  set(DNNVP_SANITIZE ON CACHE BOOL "" FORCE)
endif()

if(DNNVP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

if(DNNVP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DNNVP_FUZZ=ON needs clang: cmake -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_custom_target(dnnvp_fuzz_targets)
endif()

# Host-side tests and the label ctest selects them by (`ctest -L host`): everything but the RTL benches and
# the whole-platform runs (tests/rtl, tests/platform), which build and run Verilated engines.
set(DNNVP_HOST_TEST_DIRS tests/generators tests/onnx tests/models tests/cpu tests/firmware tests/fuzz)
function(dnnvp_checks_finish)
  add_custom_target(dnnvp_host_tests)
  foreach(dir ${DNNVP_HOST_TEST_DIRS})
    set_property(DIRECTORY ${dir} APPEND PROPERTY LABELS host)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t ${targets})
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "EXECUTABLE")
        add_dependencies(dnnvp_host_tests ${t})
      endif()
    endforeach()
  endforeach()
  # The tools the generator tests run, and the firmware the firmware build test compares.
  foreach(t vp_gen engine_plan firmware_dnn_tiny_cnn)
    if(TARGET ${t})
      add_dependencies(dnnvp_host_tests ${t})
    endif()
  endforeach()
endfunction()
