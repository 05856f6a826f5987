# The verbs people use. CMake does the building; see README.md.
#   make / make build   build the server at build/seau (release)
#   make run            install what is missing, build, start Seau on its defaults
#   make test           every test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench          the benchmarks in bench/ (HTTP beside nginx, S3 transfers beside aws s3 cp)
JOBS ?= $(shell nproc)

.PHONY: all build run test setup bench clean format
all: build

build:
	@[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
	@cmake --build build -j$(JOBS) --target seau

setup:
	@scripts/setup

run: setup build
	@scripts/run

test: setup
	@scripts/run-tests

bench: setup build
	@bench/run
	@BENCH_NO_BUILD=1 bench/s3-transfer

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf build
