#!/bin/sh
# Write the suite list for tests/main.c from the test files present.
cd "$(dirname "$0")" || exit 1
printf '#define LMM_SUITES(X)'
for f in test_*.c; do n=${f#test_}; printf ' X(%s)' "${n%.c}"; done
printf '\n'
