# syncgap — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/syncgap
DEMO    := fixtures/demo
DEMOOUT := demo-out

.PHONY: all build demo test test-deps vet check-imports bench bench-graph bench-ldap samba-deps clean

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

## test: the whole suite, integration tests included (they never skip in CI)
test: test-deps check-imports vet
	$(GO) test -count=1 -vet=off -timeout 30m ./...

## samba-deps: the Debian packages of the Samba AD DC the live LDAP tests and benchmark run against
samba-deps:
	sh fixtures/samba/samba-dc.sh install

## bench: per-stage wall time, throughput and peak RSS on a generated 1M-user tenant (cached in .bench/),
## then the live Graph extract of a 200,000-user tenant from the test server on loopback, and the
## live LDAP extract of 20,000 users from a Samba DC beside ldapsearch (needs root)
bench: build samba-deps
	$(GO) run ./fixtures/bench -users 1000000 -graph-users 200000 -ldap-users 20000 -dir .bench -bin $(BIN)

## bench-graph: only the live Graph row
bench-graph: build
	$(GO) run ./fixtures/bench -graph-only -graph-users 200000 -ldap-users 0 -dir .bench -bin $(BIN)

## bench-ldap: only the live LDAP row
bench-ldap: build samba-deps
	$(GO) run ./fixtures/bench -ldap-only -ldap-users 20000 -dir .bench -bin $(BIN)

clean:
	rm -rf bin $(DEMOOUT)
