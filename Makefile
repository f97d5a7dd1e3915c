# syncgap — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/syncgap
DEMO    := fixtures/demo
DEMOOUT := demo-out

.PHONY: all build demo test test-deps vet check-imports bench bench-graph bench-ldap bench-scale samba-deps release clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/syncgap

## demo: run the offline audit on the embedded demo tenant and say where the report is
demo: build
	rm -rf $(DEMOOUT)
	$(BIN) audit --ldif $(DEMO)/ad.ldif --export $(DEMO)/graph --export $(DEMO)/msol.csv \
		--tenant-features $(DEMO)/tenant-features.json --out $(DEMOOUT)

## test-deps: install what the integration tests use (gnumeric's ssconvert, Node.js, DuckDB from npm, a Samba AD DC)
test-deps:
	sh fixtures/install-test-deps.sh

## vet: every package, stages/extractentra/livegraph included. Vetting it needs the
## msgraph-sdk-go build its tests need anyway (once, then cached), so vet stays whole;
## the test run below then skips go test's own, smaller vet pass.
vet:
	$(GO) vet ./...

## check-imports: only stages/extractentra/livegraph and the binary may depend on
## msgraph-sdk-go, so no other package's tests compile it (go list only: no build)
check-imports:
	@bad=$$($(GO) list -test -f '{{.ImportPath}} {{join .Deps " "}}' ./... \
		| grep -v -e '^syncgap/stages/extractentra/livegraph' -e '^syncgap/cmd/syncgap' \
		| grep -e ' github.com/microsoftgraph/' | cut -d' ' -f1 | sort -u); \
	if [ -n "$$bad" ]; then echo "these depend on msgraph-sdk-go, which only livegraph may import:"; echo "$$bad"; exit 1; fi

## test: the whole suite, integration tests included (they never skip in CI), and the tests
## of our patched libphonenumber (phone/libphonenumber, a module of its own). The release
## binaries are built first, into .test-dist/, outside go test's timeout (from a cold cache
## that is the slowest step); fixtures/wine's tests check and run them.
test: test-deps check-imports vet
	$(MAKE) -s release DIST=.test-dist
	SYNCGAP_TEST_DIST=$(CURDIR)/.test-dist $(GO) test -count=1 -vet=off -timeout 30m ./...
	cd phone/libphonenumber && $(GO) test -count=1 .

## samba-deps: the Debian packages of the Samba AD DC the live LDAP tests and benchmark run against
samba-deps:
	sh fixtures/samba/samba-dc.sh install

## bench: per-stage wall time, throughput and peak RSS on a generated 1M-user tenant (cached in .bench/),
## the same work in DuckDB beside extract-entra and join + classify (ratios), then the live Graph
## extract of a 200,000-user tenant from the test server on loopback, and the live LDAP extract of
## 20,000 users from a Samba DC beside ldapsearch (needs root), and the whole audit at 1M, 3M and 10M
## users for the time per user and peak RSS by size (bench-scale alone). The tenants are generated
## once (1M: 0.9 GB, 3M: 3.6 GB, 10M: 12 GB of disk).
bench: build test-deps
	$(GO) run ./fixtures/bench -users 1000000 -graph-users 200000 -ldap-users 20000 -scale $(SCALE) -dir .bench -bin $(BIN)

SCALE := 1000000,3000000,10000000

## bench-scale: only the audit by tenant size
bench-scale: build
	$(GO) run ./fixtures/bench -scale-only -scale $(SCALE) -dir .bench -bin $(BIN)

## bench-graph: only the live Graph row
bench-graph: build
	$(GO) run ./fixtures/bench -graph-only -graph-users 200000 -ldap-users 0 -dir .bench -bin $(BIN)

## bench-ldap: only the live LDAP row
bench-ldap: build samba-deps
	$(GO) run ./fixtures/bench -ldap-only -ldap-users 20000 -dir .bench -bin $(BIN)

## release: syncgap for every platform below in $(DIST)/, with SHA256SUMS and the version
## (git describe) linked in. The same commit and Go toolchain give the same bytes: no paths
## (-trimpath), no cgo, no VCS stamp, no build ID, the default CPU levels, only go.sum's modules.
## fixtures/wine's TestRelease builds it in make test. Override on the command line only
## (make release VERSION=v1.2.0): a VERSION in the environment is not taken.
DIST            := dist
VERSION         := $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
RELEASE_TARGETS := windows/amd64 windows/arm64 linux/amd64 linux/arm64 darwin/arm64
release:
	@mkdir -p $(DIST) && rm -f $(DIST)/syncgap-* $(DIST)/SHA256SUMS
	@for t in $(RELEASE_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		echo "build $(DIST)/syncgap-$$os-$$arch$$ext ($(VERSION))"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly \
			$(GO) build -trimpath -buildvcs=false \
			-ldflags "-s -w -buildid= -X syncgap/pipeline.stampedVersion=$(VERSION)" \
			-o $(DIST)/syncgap-$$os-$$arch$$ext ./cmd/syncgap || exit 1; \
	done
	@cd $(DIST) && sha256sum syncgap-* > SHA256SUMS

clean:
	rm -rf bin $(DEMOOUT)
