# Vigil: the two commands (see README.md).
#   make run    set up, build, start vigild on its embedded store with sample data
#   make check  set up, build with sanitizers, run unit, fuzz and integration tests
# Both install what they need with scripts/deps.sh (apt-get, idempotent).

BUILD       ?= build
CHECK_BUILD ?= build-check
FUZZ_SECONDS ?= 5

.PHONY: all deps build run check fuzz bench clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release -Dtests=disabled
	ninja -C $(BUILD)

run: build
	scripts/run-sample.sh $(BUILD)

check: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release -Dtests=disabled
	ninja -C $(BUILD)
	@[ -f $(CHECK_BUILD)/build.ninja ] || CC=clang meson setup $(CHECK_BUILD) \
	    -Dtests=enabled -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(CHECK_BUILD)
	python3 scripts/check-i18n.py
	meson test -C $(CHECK_BUILD) --print-errorlogs --num-processes 2
	scripts/fuzz-short.sh $(CHECK_BUILD) $(FUZZ_SECONDS)

fuzz: deps
	@[ -f $(CHECK_BUILD)/build.ninja ] || CC=clang meson setup $(CHECK_BUILD) \
	    -Dtests=enabled -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(CHECK_BUILD)
	scripts/fuzz-short.sh $(CHECK_BUILD) 300

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
