#!/bin/sh
# The scaling series (make bench-scaling; not part of make bench: the largest
# file is ~270 MB of CSV). bench/gen_scaling.c writes y ~ x + g1 + g2 data into
# build/bench/scaling/, bench/scaling.c reads each file and builds and fits
#   intercept:  y ~ x + (1|g1)
#   crossed:    y ~ x + (1|g1) + (1|g2)
# and this script prints the table. Sizes (rows:levels) are 1e4:1e2 1e5:1e3
# 1e6:1e4 1e7:1e5 and, to show an evaluation does not depend on the rows, a
# fixed 1e3 levels at 1e4 and 1e6 rows. With lme4 installed, R times read.csv
# and lmer on the files up to SCALING_R_MAX rows.
#   SCALING_SIZES="10000:100 ..."   rows:levels to run
#   SCALING_CROSSED_MAX=100000      largest row count fitted with the crossed pair
#                                   (its second factor's block is dense, levels^2)
#   SCALING_R_MAX=1000000           largest row count given to lme4
#   BENCH_NO_R=1                    skip lme4
set -e
cd "$(dirname "$0")/.."
out=build/bench/scaling
mkdir -p "$out"
CC=${CC:-cc}
CFLAGS=${BENCH_CFLAGS:-"-std=c99 -O2 -march=native"}
if ! echo 'int main(void){return 0;}' | $CC $CFLAGS -x c -o "$out/probe" - 2>/dev/null; then CFLAGS="-std=c99 -O2"; fi
rm -f "$out/probe"
$CC $CFLAGS -I. -o "$out/gen_scaling" bench/gen_scaling.c -lm
$CC $CFLAGS -I. -o "$out/scaling" bench/scaling.c -lm
sizes=${SCALING_SIZES:-"10000:100 100000:1000 1000000:10000 10000000:100000 10000:1000 1000000:1000"}
crossed_max=${SCALING_CROSSED_MAX:-100000}
r_max=${SCALING_R_MAX:-1000000}
have_r=0
if [ -z "$BENCH_NO_R" ] && command -v Rscript >/dev/null 2>&1 && Rscript -e 'suppressMessages(library(lme4))' >/dev/null 2>&1; then have_r=1; fi

echo "lmm.h scaling series: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc 2>/dev/null || echo '?') cores"
echo "compiler: $CC $CFLAGS; times are user CPU seconds, peak MB is VmHWM per stage (the frame included)"
[ $have_r = 1 ] && echo "lme4: $(Rscript -e 'cat(R.version.string, "/ lme4", as.character(packageVersion("lme4")))' 2>/dev/null), read.csv + lmer, one thread"
echo
printf '%-6s %9s %7s %-9s %8s %8s %8s %8s %6s %11s %8s  %s\n' side rows levels model "CSV MB" "read s" "MB/s" "build s" evals "ms/eval" "peak MB" "REML crit"
row() {  # side rows levels model read-line model-line
    echo "$5" | awk -v side="$1" -v n="$2" -v L="$3" -v md="$4" -v ml="$6" 'BEGIN { split(ml, m, " ") }
      { printf "%-6s %9d %7d %-9s %8.1f %8.3f %8.1f %8s %6d %11.4g %8.1f  %.4f   (fit %.3f s)\n", side, n, L, md,
        $3 / 1e6, $4, $5, m[3] == "-" ? "-" : sprintf("%.3f", m[3]), m[5], 1000 * m[6], m[7] / 1024, m[8], m[4] }'
}
for s in $sizes; do
    n=${s%%:*}; L=${s##*:}
    f="$out/n${n}_L${L}.csv"
    [ -f "$f" ] || "$out/gen_scaling" "$n" "$L" "$f"
    which=both; [ "$n" -le "$crossed_max" ] || which=intercept
    res=$("$out/scaling" "$f" 5 "$which")
    rd=$(echo "$res" | grep '^READ')
    echo "$res" | grep '^MODEL' | while read -r line; do row lmm.h "$n" "$L" "$(echo "$line" | awk '{print $2}')" "$rd" "$line"; done
    if [ $have_r = 1 ] && [ "$n" -le "$r_max" ]; then
        res=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 Rscript bench/scaling_lme4.R "$f" "$which" 2>/dev/null || true)
        rd=$(echo "$res" | grep '^READ' || true)
        if [ -z "$rd" ]; then echo "lme4   $n $L: failed"; continue; fi
        echo "$res" | grep '^MODEL' | while read -r line; do row lme4 "$n" "$L" "$(echo "$line" | awk '{print $2}')" "$rd" "$line"; done
    fi
done
