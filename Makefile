# The verbs people use. CMake does the building; see README.md.
#   make / make build   build the server at build/seau (release)
#   make run            install what is missing, build (server and web client), start Seau
#   make cluster        the same, as at scale: PostgreSQL, local S3, three replicas behind nginx
#   make test           every test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench          the benchmarks in bench/ (HTTP beside nginx, S3 transfers beside aws s3 cp,
#                       proxied transfers, the file API beside S3; see bench/README.md for the others)
JOBS ?= $(shell nproc)

.PHONY: all build web run cluster test setup bench clean format
all: build

build:
	@[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
	@cmake --build build -j$(JOBS) --target seau

setup:
	@scripts/setup

# The web client (Next.js static export in web/out), rebuilt only when its sources changed.
web:
	@web/scripts/build-if-stale.sh

run: setup build web
	@scripts/run

cluster: setup build web
	@scripts/cluster

test: setup
	@scripts/run-tests

bench: setup build
	@bench/run
	@BENCH_NO_BUILD=1 bench/s3-transfer
	@BENCH_NO_BUILD=1 bench/proxy-transfer
	@BENCH_NO_BUILD=1 bench/files-api

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf build
