# ormshift: the two commands a fresh machine needs are `make demo` (the main
# job on the bundled example) and `make test` (everything CI runs).
GO        ?= go
GOFILES    = $(shell find . -name '*.go' -not -path './testdata/*' -not -path '*/testdata/*' -not -path './.git/*')
TESTFLAGS ?= -timeout 20m

.PHONY: all build test fmt-check vet selfvet demo bench accuracy clean

all: build

build:
	$(GO) build -o bin/ormshift ./cmd/ormshift

## test: PostgreSQL check (installs/starts what is missing), gofmt, go vet, go test, ormshift vet on itself
test: fmt-check vet
	bash scripts/ensure-postgres.sh
	$(GO) test $(TESTFLAGS) ./...
	$(MAKE) --no-print-directory selfvet

fmt-check:
	@out="$$(gofmt -l $(GOFILES))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## selfvet: the project's own analyzers are clean on the project's own code
selfvet: build
	./bin/ormshift vet ./...

## demo: vet, inventory, rewrite and baseline on the bundled legacy app (testdata/pkgpulse)
demo: build
	bash scripts/ensure-postgres.sh
	$(GO) run ./internal/pgtest/withdb -- bash scripts/demo.sh

## bench: benchmarks and comparison tables (slow: minutes)
bench: build
	bash scripts/ensure-postgres.sh
	bash scripts/bench.sh

clean:
	rm -rf bin
