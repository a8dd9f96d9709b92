#!/bin/sh
# Build the libFuzzer targets (clang -fsanitize=fuzzer,address,undefined) and run
# each for FUZZ_SECONDS (default 12, which keeps CI under ten minutes) from the committed seed corpus. Any finding
# fails the run; its input is left in build/fuzz/ to become a regression test.
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-12}
mkdir -p build/fuzz
passed=0; failed=0
# the implementation is compiled once (the slow part) and linked into every target
FLAGS="-std=c99 -g -O1 -fno-sanitize-recover=all -I."
if ! clang $FLAGS -fsanitize=fuzzer-no-link,address,undefined -c -o build/fuzz/impl.o tests/fuzz/impl.c \
       >build/fuzz/impl.build.log 2>&1; then
    echo "FAIL fuzz: building the implementation"; cat build/fuzz/impl.build.log
    echo "0 passed, 1 failed"; exit 1
fi
for t in csv formula fit glmm; do
    bin=build/fuzz/fuzz_$t
    if ! clang $FLAGS -fsanitize=fuzzer,address,undefined \
           -o $bin tests/fuzz/fuzz_$t.c build/fuzz/impl.o -lm >build/fuzz/$t.build.log 2>&1; then
        echo "FAIL fuzz_$t: build"; cat build/fuzz/$t.build.log; failed=$((failed + 1)); continue
    fi
    rm -rf build/fuzz/corpus_$t; mkdir -p build/fuzz/corpus_$t
    # every committed regression input must run clean first
    if [ -d tests/fuzz/regressions/$t ] && ! $bin tests/fuzz/regressions/$t/* >build/fuzz/$t.regress.log 2>&1; then
        echo "FAIL fuzz_$t: a regression input fails"; tail -n 30 build/fuzz/$t.regress.log; failed=$((failed + 1)); continue
    fi
    dict=; [ -f tests/fuzz/$t.dict ] && dict=-dict=tests/fuzz/$t.dict   # the formula syntax's tokens
    if $bin -max_total_time=$secs -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build/fuzz/${t}_ $dict \
           build/fuzz/corpus_$t tests/fuzz/corpus/$t >build/fuzz/$t.log 2>&1; then
        passed=$((passed + 1)); echo "fuzz_$t: $(grep -E '^#[0-9]+.*DONE' build/fuzz/$t.log | tail -n 1)"
    else
        echo "FAIL fuzz_$t:"; grep -E 'ERROR|SUMMARY|Test unit written' build/fuzz/$t.log | head -n 10; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
