# The verbs people use. CMake does the building; see README.md.
#   make / make build   build the server at build/seau (release)
#   make run            install what is missing, build (server and web client), start Seau
#   make cluster        the same, as at scale: PostgreSQL, local S3, three replicas behind nginx
#   make test           every test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench          the benchmarks in bench/ (HTTP beside nginx, S3 transfers beside aws s3 cp,
#                       proxied transfers, the file API beside S3; see bench/README.md for the others)
# Delivery (the Jenkinsfile's steps; see deploy/README.md):
#   make lint           cppcheck + shellcheck; findings not in scripts/lint-baseline.txt fail
#   make fuzz-smoke     every fuzzer FUZZ_SECONDS (default 30) under ASan + UBSan
#   make web-audit      npm audit of web/ at WEB_AUDIT_LEVEL (default high); fails closed
#   make deploy ENV=staging|production IMAGE=registry/seau:tag   kustomize + kubectl, undo on failure
#   make rollback ENV=...                                           undo the last rollout
#   make smoke URL=https://...                                      health, ready, openapi, login page
#   make image          the container image seau:<version>-<revision> (podman, or docker where an engine runs)
#   make image-scan     checks the image: packages, user, setuid files, caches, secrets, size
#   make image-push     pushes it to $REGISTRY (REGISTRY_USER/REGISTRY_PASSWORD from the environment)
#   make test-image     runs the image (health, non-root user, volume, HEALTHCHECK, SIGTERM stop)
#                       and pushes it to a local registry with credentials
#   make test-fresh     `make test` and `make run` in a bare Debian bookworm container (what a new machine gets)
JOBS ?= $(shell nproc)

.PHONY: all build web run cluster test setup bench clean format
.PHONY: lint lint-baseline fuzz-smoke web-audit deploy rollback smoke
.PHONY: image image-scan image-push test-image test-fresh
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

# The container targets install podman & co. on first use (scripts/setup --only containers).
image:
	@scripts/setup --only containers
	@scripts/image build

image-scan: image
	@tests/image/scan

# Pushes what `make image` built for this revision (it says so when that is missing).
image-push:
	@scripts/image push

test-image: image
	@tests/image/run
	@tests/image/push

test-fresh:
	@scripts/setup --only containers
	@tests/image/fresh

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

clean:
	rm -rf build

lint:
	@scripts/lint

lint-baseline:
	@scripts/lint --update-baseline

fuzz-smoke:
	@scripts/fuzz-smoke

web-audit:
	@scripts/web-audit web

deploy:
	@[ -n "$(ENV)" ] && [ -n "$(IMAGE)" ] || { echo "usage: make deploy ENV=staging|production IMAGE=registry/seau:tag" >&2; exit 2; }
	@scripts/deploy "$(ENV)" "$(IMAGE)"

rollback:
	@[ -n "$(ENV)" ] || { echo "usage: make rollback ENV=staging|production" >&2; exit 2; }
	@scripts/deploy --rollback "$(ENV)"

smoke:
	@[ -n "$(URL)" ] || { echo "usage: make smoke URL=https://seau.example.com" >&2; exit 2; }
	@scripts/smoke "$(URL)"
