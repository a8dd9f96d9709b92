#!/bin/sh
# The benchmark suite (make bench): builds one program per workload, runs each
# (median of several repetitions, timed inside the program after the data are
# loaded), and, when R with lme4 is installed, times lme4 on the same work in
# the same run (bench/lme4.R) and prints the ratio.
#   CC, BENCH_CFLAGS       compiler and flags (default: cc -std=c99 -O2 -march=native)
#   BENCH_REPS             repetitions of the C programs (default per workload)
#   BENCH_R_REPS           repetitions of the R side (default: 20 for single fits, 1 for loops)
#   BENCH_NO_R=1           skip lme4 even if it is installed
#   BENCH_ROUNDS           C/R pairs per workload (default 3; the maximal model 1): the
#                          machine's speed drifts over minutes, so each row alternates
#                          the two sides ROUNDS times and reports the median of the
#                          per-round ratios (and the medians of the two times)
# Both sides run on one core: R's BLAS is held to one thread (OpenBLAS would
# otherwise use every core for lme4's dense steps).
#   BENCH_ONLY="a b"       run only these workloads
set -e
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out/data"
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:-"-std=c99 -O2 -march=native"}
if ! echo 'int main(void){return 0;}' | $CC $CFLAGS -x c -o "$out/probe" - 2>/dev/null; then
    CFLAGS="-std=c99 -O2"   # -march=native is not understood here
fi
rm -f "$out/probe"
[ -f "$out/data/InstEval.csv" ] || gzip -dc bench/data/InstEval.csv.gz > "$out/data/InstEval.csv"
for f in pulp.csv sleepstudy.csv sleepstudy_w.csv Penicillin.csv soybean_sim.csv cbpp.csv VerbAgg.csv; do cp tests/data/$f "$out/data/"; done
cp bench/data/maximal.csv "$out/data/"

workloads=${BENCH_ONLY:-"pulp_boot sleepstudy_fit sleepstudy_wfit sleepstudy_poly penicillin_fit soybean_loop sleepstudy_boot sleepstudy_satt sleepstudy_confint insteval maximal cbpp_fit verbagg_fit cbpp_boot"}
for w in $workloads; do
    $CC $CFLAGS -I. -o "$out/$w" "bench/$w.c" -lm
done

have_r=0
if [ -z "$BENCH_NO_R" ] && command -v Rscript >/dev/null 2>&1 && Rscript -e 'suppressMessages(library(lme4))' >/dev/null 2>&1; then
    have_r=1
fi

c_reps() {
    case $1 in
        sleepstudy_fit|sleepstudy_wfit|sleepstudy_poly|penicillin_fit|cbpp_fit) echo "${BENCH_REPS:-200}" ;;
        insteval|verbagg_fit|cbpp_boot) echo "${BENCH_REPS:-3}" ;;
        maximal) echo "${BENCH_REPS:-1}" ;;
        *) echo "${BENCH_REPS:-5}" ;;
    esac
}
r_reps() {
    case $1 in
        sleepstudy_fit|sleepstudy_wfit|sleepstudy_poly|penicillin_fit|sleepstudy_satt|cbpp_fit) echo "${BENCH_R_REPS:-20}" ;;
        verbagg_fit) echo "${BENCH_R_REPS:-3}" ;;
        *) echo "${BENCH_R_REPS:-1}" ;;
    esac
}
# the maximal model's lme4 fit alone takes a minute and a half: one round
rounds() {
    case $1 in
        maximal) echo "${BENCH_ROUNDS:-1}" ;;
        *) echo "${BENCH_ROUNDS:-3}" ;;
    esac
}
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { echo "$1" | awk -v k="$2" '{print $k}'; }

echo "lmm.h benchmarks: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc 2>/dev/null || echo '?') cores"
echo "compiler: $CC $CFLAGS"
if [ $have_r = 1 ]; then
    echo "lme4: $(Rscript -e 'cat(R.version.string, "/ lme4", as.character(packageVersion("lme4")))' 2>/dev/null), one thread"
    echo "R's BLAS: $(Rscript -e 'cat(extSoftVersion()[["BLAS"]])' 2>/dev/null) (installing libopenblas-dev switches Debian's R to OpenBLAS)"
else
    echo "R/lme4 not found: absolute times only"
fi
echo
if [ $have_r = 1 ]; then
    printf '%-16s %12s %10s %12s %10s %9s %13s  %s\n' workload "lmm.h (s)" "peak MB" "lme4 (s)" "peak MB" speedup "round ratios" "check (lmm.h | lme4)"
else
    printf '%-16s %12s %10s  %s\n' workload "lmm.h (s)" "peak MB" check
fi
for w in $workloads; do
    n=$(rounds $w)
    [ $have_r = 1 ] || n=1
    rr=$(r_reps $w); rr=$(( (rr + n - 1) / n ))   # the R repetitions split among the rounds
    cts=""; rts=""; ratios=""; c=""; r=""; cm=0; rm_=0; i=0
    while [ $i -lt $n ]; do
        i=$((i + 1))
        ci=$(LMM_BENCH_DATA="$out/data" "$out/$w" "$(c_reps $w)" | grep '^RESULT' || true)
        [ -n "$ci" ] || break
        c=$ci; cts="$cts $(field "$c" 3)"
        cm=$(awk -v a="$cm" -v b="$(field "$c" 4)" 'BEGIN { print (b > a) ? b : a }')
        [ $have_r = 1 ] || continue
        ri=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 Rscript bench/lme4.R "$w" "$rr" "$out/data" "$out/data/InstEval.csv" 2>/dev/null | grep '^RESULT' || true)
        [ -n "$ri" ] || { r=""; break; }
        r=$ri; rts="$rts $(field "$r" 3)"
        rm_=$(awk -v a="$rm_" -v b="$(field "$r" 4)" 'BEGIN { print (b > a) ? b : a }')
        ratios="$ratios $(awk -v a="$(field "$r" 3)" -v b="$(field "$c" 3)" 'BEGIN { print a / b }')"
    done
    if [ -z "$c" ]; then echo "$w: the lmm.h program failed"; continue; fi
    ct=$(echo $cts | tr ' ' '\n' | median); cc=$(field "$c" 6)
    if [ $have_r = 1 ]; then
        if [ -n "$r" ]; then
            rt=$(echo $rts | tr ' ' '\n' | median); rc=$(field "$r" 6)
            ratio=$(echo $ratios | tr ' ' '\n' | median)
            spread=$(echo $ratios | tr ' ' '\n' | sort -g | awk 'function f(v) { return sprintf(v >= 100 ? "%.0f" : "%.1f", v) }
                NR == 1 { lo = $1 } { hi = $1 } END { if (NR > 1) printf "%s-%s", f(lo), f(hi); else printf "-" }')
            awk -v w="$w" -v ct="$ct" -v cm="$cm" -v rt="$rt" -v rm="$rm_" -v q="$ratio" -v sp="$spread" -v cc="$cc" -v rc="$rc" 'BEGIN {
                printf "%-16s %12.4g %10.1f %12.4g %10.1f %8.1fx %13s  %s | %s\n", w, ct, cm / 1024, rt, rm / 1024, q, sp, cc, rc }'
        else
            awk -v w="$w" -v ct="$ct" -v cm="$cm" -v cc="$cc" 'BEGIN {
                printf "%-16s %12.4g %10.1f %12s %10s %9s %13s  %s | lme4 failed\n", w, ct, cm / 1024, "-", "-", "-", "-", cc }'
        fi
    else
        awk -v w="$w" -v ct="$ct" -v cm="$cm" -v cc="$cc" 'BEGIN { printf "%-16s %12.4g %10.1f  %s\n", w, ct, cm / 1024, cc }'
    fi
done
