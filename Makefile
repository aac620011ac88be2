# go-libssh2: a Go binding over the real libssh2, through cgo.
GO ?= go
TESTFLAGS ?= -race -count=1 -timeout 9m

.PHONY: help deps build test demo lint docker-test
help:
	@echo "make demo         upload a generated file to a throw-away local sshd and verify it"
	@echo "make test         run every test (go vet, go test -race) against a real local sshd"
	@echo "make build        build everything"
	@echo "make lint         gofmt, go vet, and the cgo boundary check"
	@echo "make docker-test  build the Docker image and run the tests in it"
	@echo "make bench        upload and download benchmarks against C libssh2, OpenSSH and pkg/sftp (BENCH_ARGS=\"-size 67108864 -rounds 3\")"
	@echo "make bench-latency  the same at ~50 ms round trip through ../shared/tools/netdelay (root)"
	@echo "make deps         install libssh2-1-dev, openssh-server, pkg-config when missing"

deps:
	@bash scripts/deps.sh

build: deps
	$(GO) build ./...

test: deps
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...

demo: deps
	$(GO) run ./examples/demo $(DEMO_ARGS)

lint: deps
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@bash scripts/check-cgo-boundary.sh

docker-test:
	docker build -t go-libssh2 .
	docker run --rm go-libssh2

NETDELAY ?= ../shared/tools/netdelay/link

.PHONY: bench bench-latency
# The benchmarks are their own module (bench/), so that the library does not depend on pkg/sftp.
bench: deps
	cd bench && $(GO) run ./cmd/bench -memcheck $(BENCH_ARGS)

bench-latency: deps
	@if [ ! -x "$(NETDELAY)" ]; then \
		echo "make bench-latency: the netdelay tool is missing: expected $(NETDELAY) (../shared/tools/netdelay next to the project; see its README)"; \
		exit 1; \
	fi
	cd bench && $(GO) run ./cmd/bench -latency -netdelay "$(abspath $(NETDELAY))" $(BENCH_ARGS)
