# The two entry points of the README. Each installs missing Debian packages and builds first. `run` builds
# (target `vp_run`, also what tools/bench's vp_run-only parts build) only what vp_run needs (the generators, the simulator of the default 8x16 engine shape, the firmware's
# headers; vp_run builds the firmware and any other shape's simulator itself) and configures a new build
# tree without the tests (DNNVP_TESTS=OFF: their Verilated models are generated at configure time);
# `test` turns the tests on and builds everything. Both configure explicitly before building: after the engine's
# RTL file list changes, ninja's own re-configure of an existing tree would first re-run the old Verilator
# command (which no longer names every file) and fail.
BUILD ?= build
SCENARIO ?= scenarios/resnet50.yaml
OUT ?= out/$(basename $(notdir $(SCENARIO)))
CMAKE_CONFIGURE = cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

.PHONY: deps build vp_run run test clean

deps:
	@bash tools/install-deps.sh

build: deps
	@$(CMAKE_CONFIGURE) -DDNNVP_TESTS=ON >/dev/null
	@cmake --build $(BUILD)

vp_run: deps
	@test -f $(BUILD)/CMakeCache.txt || $(CMAKE_CONFIGURE) -DDNNVP_TESTS=OFF >/dev/null
	@cmake -S . -B $(BUILD) >/dev/null
	@cmake --build $(BUILD) --target vp_run

run: vp_run
	$(BUILD)/tools/vp_run $(SCENARIO) --out $(OUT) $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

clean:
	rm -rf $(BUILD) out
