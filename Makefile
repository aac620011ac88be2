# go-libssh2: a Go binding over the real libssh2, through cgo.
GO ?= go
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: help deps build test test-libssh2-1.11 demo lint docker-test
help:
	@echo "make demo         upload a generated file to a throw-away local sshd and verify it"
	@echo "make test         run every test (go vet, go test -race) against a real local sshd"
	@echo "make test-libssh2-1.11  the same against libssh2 $(LIBSSH2_1_11), built once from Debian $(LIBSSH2_1_11_SUITE)'s source package"
	@echo "make build        build everything"
	@echo "make lint         gofmt, go vet, and the cgo boundary check"
	@echo "make docker-test  build the Docker images (DOCKER_RELEASES=\"$(DOCKER_RELEASES)\") and run the tests in each"
	@echo "make bench        loopback: uploads, downloads and a tree of 1000 small files against C libssh2, OpenSSH"
	@echo "                  (sftp, scp, 4 parallel ssh sessions), pkg/sftp and lftp, each target printed MET or MISSED,"
	@echo "                  and the 1 GiB peak-RSS check of every binding mode (about 10 min). A quick look:"
	@echo "                  BENCH_ARGS=\"-size 16777216 -rounds 1 -rows up,tree -treefiles 200\"; rows and clients:"
	@echo "                  -rows up,down,tree -only NAME,... (bench/README.md)"
	@echo "make bench-latency  the same at ~50 ms round trip through ../shared/tools/netdelay (root; about 25 min)"
	@echo "make deps         install libssh2-1-dev, openssh-server, pkg-config when missing (make bench: and lftp)"
	@echo "make compat LIBSSH2_PREFIX=DIR [COMPAT_TEST=1] [COMPAT_WANT=VERSION]"
	@echo "                  build and vet (and test) against the libssh2 installed under DIR"

deps:
	@bash scripts/deps.sh

build: deps
	$(GO) build ./...

test: deps
	@echo "test: libssh2 $$(pkg-config --modversion libssh2) (pkg-config)"
	$(GO) vet ./...
	GO="$(GO)" bash scripts/gotest.sh $(TESTFLAGS) ./...

demo: deps
	$(GO) run ./examples/demo $(DEMO_ARGS)

lint: deps
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@bash scripts/check-cgo-boundary.sh

# One image per Debian release, each testing that release's libssh2-1-dev (bookworm: 1.10.0, trixie:
# 1.11.1).
DOCKER_RELEASES ?= bookworm trixie
docker-test:
	@set -e; for r in $(DOCKER_RELEASES); do \
		echo "docker-test: $$r"; \
		docker build --build-arg DEBIAN_RELEASE=$$r -t go-libssh2:$$r . ; \
		docker run --rm go-libssh2:$$r; \
	done

NETDELAY ?= ../shared/tools/netdelay/link

.PHONY: bench bench-latency bench-deps
# The benchmarks are their own module (bench/), so that the library does not depend on pkg/sftp.
bench-deps:
	@DEPS_BENCH=1 bash scripts/deps.sh

bench: bench-deps
	cd bench && $(GO) run ./cmd/bench -memcheck $(BENCH_ARGS)

bench-latency: bench-deps
	@if [ ! -x "$(NETDELAY)" ]; then \
		echo "make bench-latency: the netdelay tool is missing: expected $(NETDELAY) (../shared/tools/netdelay next to the project; see its README)"; \
		exit 1; \
	fi
	cd bench && $(GO) run ./cmd/bench -latency -netdelay "$(abspath $(NETDELAY))" $(BENCH_ARGS)

# make compat LIBSSH2_PREFIX=DIR builds and vets against the libssh2 installed under DIR (its
# lib/pkgconfig/libssh2.pc, include/ and lib/); COMPAT_TEST=1 also runs the tests with that library
# loaded. It neither downloads nor builds libssh2. CGO_CFLAGS and CGO_LDFLAGS name the prefix too:
# Go's build cache does not key on pkg-config's output, so without them it would reuse a build
# against another libssh2's header. The rpath makes the binaries load that library.
LIBSSH2_LIBDIR ?= $(LIBSSH2_PREFIX)/lib
COMPAT_ENV = PKG_CONFIG_PATH="$(LIBSSH2_LIBDIR)/pkgconfig" LD_LIBRARY_PATH="$(LIBSSH2_LIBDIR)" \
	CGO_CFLAGS="-g -O2 -I$(LIBSSH2_PREFIX)/include" \
	CGO_LDFLAGS="-g -O2 -L$(LIBSSH2_LIBDIR) -Wl,-rpath,$(LIBSSH2_LIBDIR)" \
	GO_LIBSSH2_WANT_VERSION="$(COMPAT_WANT)"

.PHONY: compat
compat:
	@if [ -z "$(LIBSSH2_PREFIX)" ]; then echo "make compat needs LIBSSH2_PREFIX=DIR, the prefix of an installed libssh2"; exit 2; fi
	@if [ ! -f "$(LIBSSH2_LIBDIR)/pkgconfig/libssh2.pc" ] || [ ! -f "$(LIBSSH2_PREFIX)/include/libssh2.h" ]; then \
		echo "make compat: no libssh2 under $(LIBSSH2_PREFIX) (want include/libssh2.h and $(LIBSSH2_LIBDIR)/pkgconfig/libssh2.pc; set LIBSSH2_LIBDIR for lib64)"; exit 2; fi
	@v=$$(PKG_CONFIG_PATH="$(LIBSSH2_LIBDIR)/pkgconfig" pkg-config --modversion libssh2); \
		echo "compat: libssh2 $$v under $(LIBSSH2_PREFIX)"; \
		if [ -n "$(COMPAT_WANT)" ] && [ "$$v" != "$(COMPAT_WANT)" ]; then echo "compat: want libssh2 $(COMPAT_WANT)"; exit 1; fi
	$(COMPAT_ENV) $(GO) build ./...
	$(COMPAT_ENV) $(GO) vet ./...
ifneq ($(COMPAT_TEST),)
	$(COMPAT_ENV) $(GO) test -count=1 -v -run '^TestVersion$$' ./cshim
	$(COMPAT_ENV) GO="$(GO)" bash scripts/gotest.sh $(TESTFLAGS) ./...
endif

# make test-libssh2-1.11 builds libssh2 1.11.1 from Debian trixie's source package (Debian's patches
# applied, this machine's OpenSSL and zlib) into .cache/ once, then runs make compat's build, vet and
# whole test suite with it; TestVersion fails unless 1.11.1 is the library loaded.
LIBSSH2_1_11 = 1.11.1
LIBSSH2_1_11_SUITE = trixie
LIBSSH2_1_11_CACHE = $(CURDIR)/.cache/libssh2-$(LIBSSH2_1_11)

.PHONY: libssh2-1.11
libssh2-1.11:
	@bash scripts/build-libssh2.sh $(LIBSSH2_1_11) $(LIBSSH2_1_11_SUITE) "$(LIBSSH2_1_11_CACHE)"

test-libssh2-1.11: deps libssh2-1.11
	@$(MAKE) --no-print-directory compat COMPAT_TEST=1 COMPAT_WANT=$(LIBSSH2_1_11) \
		LIBSSH2_PREFIX="$(LIBSSH2_1_11_CACHE)/prefix" LIBSSH2_LIBDIR="$(LIBSSH2_1_11_CACHE)/prefix/lib"
