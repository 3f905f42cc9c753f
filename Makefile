# Countersign: `make run` starts the app, `make test` runs every test. Both install what is
# missing first (Debian/Ubuntu packages, npm packages, tauri-driver, Python test oracles).

CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(CURDIR)/target

.PHONY: run test deps-run deps-test ui app cli server lint fuzz bench clean-test

run: deps-run ui
	$(CARGO) run --features custom-protocol --bin countersign-app

test: deps-test
	scripts/test.sh

deps-run:
	scripts/install-deps.sh run

deps-test:
	scripts/install-deps.sh test

ui:
	npm --prefix ui run build

app: ui
	$(CARGO) build --release --features custom-protocol --bin countersign-app

cli:
	$(CARGO) build --release -p countersign-cli

server:
	$(CARGO) build --release -p countersign-server

lint:
	scripts/test.sh lint

# Runs every fuzz target for FUZZ_SECONDS each (libFuzzer via cargo-fuzz on the stable toolchain).
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $$(RUSTC_BOOTSTRAP=1 cargo fuzz list); do \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

bench:
	scripts/bench.sh
