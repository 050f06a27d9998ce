# The two entry points of the README. Each installs missing Debian packages and builds first.
BUILD ?= build
SCENARIO ?= scenarios/resnet50.yaml
OUT ?= out/$(basename $(notdir $(SCENARIO)))

.PHONY: deps build run test clean

deps:
	@bash tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)

run: build
	$(BUILD)/tools/vp_run $(SCENARIO) --out $(OUT) $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

clean:
	rm -rf $(BUILD) out
