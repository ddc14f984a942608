# gox86 build, test and benchmark entry points. `make test` is what CI runs.

GO        ?= go
SHARED    ?= ../shared
SST286    ?= $(SHARED)/conformance/sst286
BENCH_ELF ?= $(SHARED)/bench/bench.elf
BIN       := bin/gox86
LINUX_FIXTURE_DIR ?= .cache/linux

.PHONY: all build test check bench conformance guests clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gox86

# The whole suite: unit, device, integration and differential tests, then
# the 80286 hardware conformance run with its per-opcode table.
test:
	$(GO) test ./... -count=1 -timeout 40m
	$(GO) run ./tests/conformance/cmd/sst286 -dir $(SST286)

# Formatting, vet and module tidiness; fails on any difference.
check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cp go.mod /tmp/gox86-go.mod.bak; cp go.sum /tmp/gox86-go.sum.bak
	$(GO) mod tidy
	@if ! cmp -s go.mod /tmp/gox86-go.mod.bak || ! cmp -s go.sum /tmp/gox86-go.sum.bak; then \
		echo "go mod tidy changed go.mod/go.sum"; cp /tmp/gox86-go.mod.bak go.mod; cp /tmp/gox86-go.sum.bak go.sum; exit 1; fi

conformance:
	$(GO) run ./tests/conformance/cmd/sst286 -dir $(SST286) -v

# Speed: Go benchmarks, then bench.elf under gox86 and (when installed)
# QEMU in the same run, with the ratio.
bench: build
	$(GO) test ./cpu -run '^$$' -bench . -benchtime 2x
	$(GO) run ./tests/benchcmp -gox86 $(BIN) -elf $(BENCH_ELF)
	$(GO) run ./tests/linux/benchboot -gox86 $(BIN)

# Rebuild the committed guest binaries (needs nasm).
guests:
	$(MAKE) -C cmd/gox86/demo
	$(MAKE) -C cmd/gox86/demoos
	$(MAKE) -C tests/guests
	$(MAKE) -C tests/platform

# The Linux boot fixture tests/linux uses (Debian's i386 kernel, a busybox
# initramfs and a SYSLINUX disk), built into LINUX_FIXTURE_DIR.
.PHONY: linux-fixture
linux-fixture:
	bash scripts/linux-fixture.sh $(LINUX_FIXTURE_DIR)

clean:
	rm -rf bin
