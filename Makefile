# syncgap — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/syncgap
DEMO    := fixtures/demo
DEMOOUT := demo-out

.PHONY: all build demo test test-deps vet bench bench-ldap samba-deps clean

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

vet:
	$(GO) vet ./...

## test: the whole suite, integration tests included (they never skip in CI)
test: test-deps vet
	$(GO) test -count=1 -timeout 30m ./...

## samba-deps: the Debian packages of the Samba AD DC the live LDAP tests and benchmark run against
samba-deps:
	sh fixtures/samba/samba-dc.sh install

## bench: per-stage wall time, throughput and peak RSS on a generated 1M-user tenant (cached in .bench/),
## then the live LDAP extract of 20,000 users from a Samba DC beside ldapsearch (needs root)
bench: build samba-deps
	$(GO) run ./fixtures/bench -users 1000000 -dir .bench -bin $(BIN) -ldap-users 20000

## bench-ldap: only the live LDAP row
bench-ldap: build samba-deps
	$(GO) run ./fixtures/bench -users 0 -dir .bench -bin $(BIN) -ldap-users 20000

clean:
	rm -rf bin $(DEMOOUT)
