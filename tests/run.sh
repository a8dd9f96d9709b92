#!/bin/sh
# Build and run the test suite under each compiler; print one total line,
# "N passed, N failed" (", N skipped" follows when a run was skipped).
# Every build uses -std=c99 -pedantic -Wall -Wextra -Werror.
# The runs go in two lanes (the machines have two cores): each lane is a
# background subshell that counts its own results; the totals are summed at
# the end and each lane's report is printed in a fixed order. In CI each lane's
# valgrind / fuzz work follows its own compiler runs directly.
# gcc/cc is required. clang/clang++, g++, tcc, rsvg-convert (and, in the full
# run, valgrind and OpenBLAS) are optional: a missing one is reported as
# skipped with the command that installs it. In CI (CI=true), where .ci/run
# installs them all, a missing one is a failure.
cd "$(dirname "$0")/.." || exit 2
mkdir -p build
W="-std=c99 -pedantic -Wall -Wextra -Werror"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
SRC="$(ls tests/test_*.c) tests/main.c tests/impl.c tests/json.c"
passed=0; failed=0; skipped=0
sh tests/suites.sh > build/suites.h

# skip NAME WHY PACKAGE: a run that needs an optional tool which is not installed
skip() {
    if [ "${CI:-}" = true ]; then
        echo "[$1] $2 (apt-get install $3): required in CI"; failed=$((failed + 1))
    else
        echo "[$1] skipped: $2 (apt-get install $3)"; skipped=$((skipped + 1))
    fi
}
# have TOOL: TOOL is on PATH
have() { command -v "$1" >/dev/null 2>&1; }

run_suite() { # name, command...
    name=$1; shift
    out=build/test_$name.log
    if "$@" >"$out" 2>&1; then :; fi
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "[$name] no result line (crash or build failure):"; tail -n 30 "$out"
        failed=$((failed + 1)); return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
    echo "[$name] $line"
    [ "$f" -eq 0 ] || grep -E '^(FAIL|  )' "$out" | head -n 40
}

build_and_run() { # name, compiler, flags
    name=$1; cc=$2; flags=$3
    if ! have "$cc"; then echo "[$name] $cc not found"; failed=$((failed + 1)); return; fi
    if ! $cc $W $flags -I. -Ibuild -o build/test_$name $SRC -lm >build/test_$name.build.log 2>&1; then
        echo "[$name] build failed:"; head -n 30 build/test_$name.build.log; failed=$((failed + 1)); return
    fi
    run_suite "$name" ./build/test_$name
}

check_compiles() { # name, command...
    name=$1; shift
    if "$@" >build/test_$name.build.log 2>&1; then
        run_suite "$name" ./build/test_$name
    else
        echo "[$name] build failed:"; head -n 30 build/test_$name.build.log; failed=$((failed + 1))
    fi
}
# lane NAME CODE: run the shell CODE in a background subshell, its
# counts in build/lane_NAME.counts and its report (ending with its seconds,
# to see which lane bounds CI's time) in build/lane_NAME.out
lane() {
    rm -f build/lane_$1.counts
    ( passed=0; failed=0; skipped=0; t0=$(date +%s); eval "$2"; echo "$passed $failed $skipped" >build/lane_$1.counts
      echo "(lane $1: $(( $(date +%s) - t0 )) s)" ) \
        >build/lane_$1.out 2>&1 &
}
# collect NAME...: wait for the lanes, print their reports, add up their counts
collect() {
    wait
    for l in "$@"; do
        cat build/lane_$l.out
        if [ -s build/lane_$l.counts ]; then
            read -r p f s <build/lane_$l.counts
            passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
        else
            echo "[$l] lane ended without counts"; failed=$((failed + 1))
        fi
    done
}

# Lane "gcc": gcc with ASan+UBSan, then the C++/tcc/portability/thread builds.
gcc_lane() {
    build_and_run gcc-asan gcc "-O1 -g $SAN"
    # OpenMP: the bootstraps on a two-thread team (the suites compare threads = 1 and 2 bit for bit);
    # built for this CPU (-march=native: the factor kernels' fused multiply-adds where it has FMA),
    # with the suites that run the dense, pair and sparse factor paths
    if gcc $W -O2 -march=native -fopenmp -I. -Ibuild -o build/test_openmp $SRC -lm >build/test_openmp.build.log 2>&1; then
        run_suite openmp env OMP_NUM_THREADS=2 ./build/test_openmp sim glmmsim predint confint fit dense betaat weights vecstart
    else
        echo "[openmp] build failed:"; head -n 30 build/test_openmp.build.log; failed=$((failed + 1))
    fi
    # C++: the whole header (declarations and implementation) as C++, then a smoke fit.
    if have g++; then
        check_compiles cxx g++ -x c++ -I. -Wall -Wextra -Werror -O1 -o build/test_cxx tests/smoke.c -lm
    else
        skip cxx "no g++" g++
    fi
    if have tcc; then
        check_compiles tcc tcc -I. -Wall -o build/test_tcc tests/smoke.c -lm
    else
        skip tcc "no tcc" tcc
    fi
    # Portability: clang++, -DLMM_STATIC in two translation units, declarations in one
    # unit and the implementation in another, 32-bit if the toolchain has it.
    if have clang++; then
        check_compiles clangxx clang++ -x c++ -I. -Wall -Wextra -Werror -O1 -o build/test_clangxx tests/smoke.c -lm
    else
        skip clangxx "no clang++" clang
    fi
    check_compiles static cc $W -I. -o build/test_static tests/tu_static_a.c tests/tu_static_b.c -lm
    check_compiles twotu cc $W -I. -o build/test_twotu tests/smoke.c tests/tu_decl.c -lm
    if echo 'int main(void){return 0;}' | cc -m32 -x c - -o build/m32probe >/dev/null 2>&1; then
        check_compiles m32 cc -m32 $W -I. -o build/test_m32 tests/smoke.c -lm
    else
        echo "[m32] skipped: no 32-bit toolchain (apt-get install gcc-multilib)"; skipped=$((skipped + 1))
    fi
}

# Lane "clang": clang with ASan+UBSan, ThreadSanitizer, the examples and the CLI
# (and gcc -O3's smoke build, which balances the lanes).
clang_lane() {
    # -O3 runs more of gcc's flow-based warnings (truncation, overflow) than -O2
    check_compiles gcc-O3 gcc $W -O3 -I. -o build/test_gcc-O3 tests/smoke.c -lm
    if have clang; then build_and_run clang-asan clang "-O1 -g $SAN"; else skip clang-asan "no clang" clang; fi
    # Thread safety: two fits in parallel threads equal the serial results, under ThreadSanitizer.
    if have clang; then
        check_compiles threads clang -std=c99 -g -O1 -fsanitize=thread -I. -o build/test_threads tests/threads.c -lm -lpthread
    else
        skip threads "no clang for ThreadSanitizer" clang
    fi
    # The examples, built with the strict flags and checked for their key figures.
    run_suite examples sh tests/examples.sh
    # The command-line tool: every subcommand, its JSON and every error path.
    if cc $W -O2 -I. -o build/lmm examples/lmm.c -lm >build/lmm.build.log 2>&1; then
        # without rsvg-convert the SVG plots are checked as text only
        have rsvg-convert || skip cli-svg-render "no rsvg-convert, SVG plots checked as text only" librsvg2-bin
        run_suite cli sh tests/cli.sh
        # the scale-out recipes (GNU parallel, Slurm array) equal the one-process bootstrap
        if have parallel; then run_suite scaleout sh tests/scaleout.sh; else skip scaleout "no GNU parallel" parallel; fi
    else
        echo "[cli] build failed:"; head -n 30 build/lmm.build.log; failed=$((failed + 1))
    fi
}

# Lane "valgrind" (CI or LMM_FULL=1): the whole suite under valgrind.
valgrind_lane() {
    if ! have valgrind; then
        skip valgrind "no valgrind" valgrind
    elif cc $W -O1 -g -I. -Ibuild -o build/test_valgrind $SRC -lm >build/test_valgrind.build.log 2>&1; then
        run_valgrind valgrind ""
    else
        echo "[valgrind] build failed:"; head -n 30 build/test_valgrind.build.log; failed=$((failed + 1))
    fi
}

# run_valgrind NAME ARG: build/test_valgrind ARG (a suite, -suite for all but it, "" for all) under
# valgrind; LMM_TEST_LIGHT: the slowest fits (the ASan runs keep them) stay out of valgrind's 30x
run_valgrind() {
    LMM_TEST_LIGHT=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        ./build/test_valgrind ${2:+"$2"} >build/$1.out 2>&1
    vstatus=$?
    run_suite "$1" cat build/$1.out
    if [ "$vstatus" -ne 0 ] || grep -q "==[0-9]*==" build/$1.out; then
        echo "[$1] reported errors (status $vstatus):"; grep "==[0-9]*==" build/$1.out | head -n 20; failed=$((failed + 1))
    fi
}

# Lane "fuzz" (CI or LMM_FULL=1): each libFuzzer target for FUZZ_SECONDS (20) from the seed corpus.
fuzz_lane() {
    if have clang; then run_suite fuzz sh tests/fuzz/run.sh; else skip fuzz "no clang for libFuzzer" clang; fi
}

# Lane "cblas" (CI or LMM_FULL=1): the LMM_USE_CBLAS suite against OpenBLAS and its agreement
# with the plain build (criterion and theta to 1e-10, beta to 1e-9).
cblas_lane() {
    CBLAS="-DLMM_USE_CBLAS -I/usr/include/x86_64-linux-gnu"
    if ! echo 'int main(void){return 0;}' | cc -x c - -o build/openblas_probe -lopenblas >/dev/null 2>&1; then
        skip cblas "no OpenBLAS" libopenblas-dev
    elif cc $W -O1 -g $CBLAS -I. -Ibuild -o build/test_cblas $SRC -lopenblas -lm >build/test_cblas.build.log 2>&1 &&
       cc $W -O1 -I. -o build/cmp_plain tests/cblas_compare.c -lm &&
       cc $W -O1 $CBLAS -I. -o build/cmp_cblas tests/cblas_compare.c -lopenblas -lm; then
        # one BLAS thread: the other lane has the other core
        export OPENBLAS_NUM_THREADS=1
        run_suite cblas ./build/test_cblas
        if ./build/cmp_plain >build/cmp_plain.out && ./build/cmp_cblas >build/cmp_cblas.out &&
           paste build/cmp_plain.out build/cmp_cblas.out | awk '
               { d = $3 - $6; if (d < 0) d = -d; s = $3 < 0 ? -$3 : $3; r = d / (s > 1e-3 ? s : 1e-3)
                 tol = $2 == "beta" ? 1e-9 : 1e-10
                 if (r > tol) { print "  " $1 " " $2 ": " $3 " vs " $6; bad = 1 } }
               END { exit bad }'; then
            passed=$((passed + 1)); echo "[cblas-agree] plain and CBLAS fits agree"
        else
            failed=$((failed + 1)); echo "[cblas-agree] plain and CBLAS fits differ"
        fi
    else
        echo "[cblas] build failed (apt-get install libopenblas-dev):"; head -n 10 build/test_cblas.build.log; failed=$((failed + 1))
    fi
}

# Two lanes, one a core: gcc's runs then (full) valgrind's and the CBLAS suite; clang's runs
# then (full) the fuzzers. Each lane's report is printed when both are done.
full=""
if [ "${CI:-}" = true ] || [ -n "${LMM_FULL:-}" ]; then full=1; fi
lane a "gcc_lane; [ -z \"$full\" ] || { valgrind_lane; cblas_lane; }"
lane b "clang_lane; [ -z \"$full\" ] || fuzz_lane"
collect a b

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
