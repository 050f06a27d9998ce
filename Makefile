# The two entry points of the README. Each installs missing Debian packages and builds first: `run` only
# what vp_run needs (the generators, the simulator of the default 8x16 engine shape, the firmware's
# headers; vp_run builds another shape's simulator and the firmware itself), `test` everything.
BUILD ?= build
SCENARIO ?= scenarios/resnet50.yaml
OUT ?= out/$(basename $(notdir $(SCENARIO)))

.PHONY: deps configure build run test clean

deps:
	@bash tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD)

run: configure
	@cmake --build $(BUILD) --target vp_run
	$(BUILD)/tools/vp_run $(SCENARIO) --out $(OUT) $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

clean:
	rm -rf $(BUILD) out
