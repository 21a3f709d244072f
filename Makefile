# Entry points: `make run` starts the control node, `make test` runs every test.
# Both build first and, when run as root, install the Debian packages the build needs.
BUILD ?= build
CMAKE_FLAGS ?=
PACKAGES := cmake make gcc pkg-config libzmq3-dev libedit-dev libcmocka-dev python3

.PHONY: all build run test bench deps clean

all: build

deps:
	@sh tools/deps.sh $(PACKAGES)

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j2

run: build
	@$(BUILD)/mqtree $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300

bench: build
	python3 bench/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)
