# Entry points: `make run` starts the control node, `make test` runs every test.
# Both build first and, when run as root, install the Debian packages the build needs.
# `make fuzz` builds the libFuzzer targets with clang in FUZZ_BUILD and runs each for
# FUZZ_SECONDS.
BUILD ?= build
CMAKE_FLAGS ?=
PACKAGES := cmake make gcc pkg-config libzmq3-dev libedit-dev libcmocka-dev python3 iproute2
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev

.PHONY: all build run test bench deps fuzz-deps fuzz clean

all: build

deps:
	@sh tools/deps.sh $(PACKAGES)

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j2

run: build
	@$(BUILD)/mqtree $(ARGS)

# Four tests at a time on two cores: most of them wait on their nodes, not on the CPU. Those
# that assert timing windows run alone all the same (RUN_SERIAL, tests/CMakeLists.txt).
test: build
	cd $(BUILD) && ctest -j4 --output-on-failure --timeout 300

bench: build
	python3 bench/bench.py --build $(BUILD)

fuzz-deps:
	@sh tools/deps.sh $(PACKAGES) $(FUZZ_PACKAGES)

$(FUZZ_BUILD)/Makefile: CMakeLists.txt fuzz/CMakeLists.txt | fuzz-deps
	CC=clang-14 cmake -S . -B $(FUZZ_BUILD) -DMQTREE_FUZZ=ON -DMQTREE_WERROR=ON

fuzz: fuzz-deps $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) --target fuzz_targets -j2
	sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
