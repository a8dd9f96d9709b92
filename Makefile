# lmm.h build: `make` builds the lmm tool and the examples into build/,
# `make test` runs the test suite under every compiler we promise.
CC      ?= cc
CFLAGS  ?= -std=c99 -pedantic -Wall -Wextra -O2
LDLIBS  ?= -lm
BUILD   := build

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/%,$(filter-out examples/lmm.c,$(wildcard examples/*.c)))
TEST_SRC := $(wildcard tests/test_*.c) tests/main.c tests/impl.c tests/json.c

.PHONY: all test test-quick bench bench-scaling clean

all: $(BUILD)/lmm $(EXAMPLES)

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/lmm: examples/lmm.c lmm.h | $(BUILD)
	$(CC) $(CFLAGS) -I. -o $@ examples/lmm.c $(LDLIBS)

$(BUILD)/%: examples/%.c lmm.h | $(BUILD)
	$(CC) $(CFLAGS) -I. -o $@ $< $(LDLIBS)

# The full suite: gcc and clang with ASan+UBSan, C++ and tcc builds (a missing
# optional compiler or tool is skipped; see README.md, Tests).
test:
	sh tests/run.sh

# One quick build with the default compiler, for the edit-compile loop.
test-quick: $(BUILD)
	sh tests/suites.sh > $(BUILD)/suites.h
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -O1 -g -I. -I$(BUILD) -o $(BUILD)/test_quick $(TEST_SRC) $(LDLIBS)
	./$(BUILD)/test_quick $(SUITE)

bench: all
	sh bench/run.sh

# The scaling series (10^4..10^7 rows; data generated into build/bench/scaling).
bench-scaling:
	sh bench/scaling.sh

clean:
	rm -rf $(BUILD)
