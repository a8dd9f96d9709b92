#!/bin/sh
# The scale-out recipes of examples/: the bootstrap LRT (lmer and glmer) and the
# bootstrap confidence intervals in 4 shards through GNU parallel
# (examples/boot_parallel.sh, confint_parallel.sh) and as simulated Slurm job arrays
# (examples/boot_slurm.sh, confint_slurm.sh, run once per task with Slurm's variables
# set) must give the single-process run's results bit for bit. Needs build/lmm and parallel.
cd "$(dirname "$0")/.." || exit 2
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
D=tests/data F0='bright ~ 1' F1='bright ~ 1 + (1|operator)'
# the statistic lines of shard files, in replicate order
stats() { cat "$@" | grep -v '^#' | sort -n; }

./build/lmm boot $D/pulp.csv "$F0" "$F1" --nsim 400 --seed 11 --threads 1 --out "$TMP/single.txt" >"$TMP/single.out" 2>&1 || bad "single run"
grep -E '^(observed|p-value)' "$TMP/single.out" >"$TMP/single.sum"
[ -s "$TMP/single.sum" ] && ok || bad "single run printed no p-value"

if sh examples/boot_parallel.sh $D/pulp.csv "$F0" "$F1" 400 11 4 "$TMP/par" >"$TMP/par.out" 2>&1; then ok; else bad "boot_parallel.sh:"; cat "$TMP/par.out"; fi
[ "$(ls "$TMP"/par/shard*.txt 2>/dev/null | wc -l)" -eq 4 ] && ok || bad "boot_parallel.sh: not 4 shard files"
stats "$TMP/single.txt" >"$TMP/a"; stats "$TMP"/par/shard*.txt >"$TMP/b"
[ "$(wc -l <"$TMP/a")" -eq 400 ] && cmp -s "$TMP/a" "$TMP/b" && ok || bad "GNU parallel shards differ from the single run"
grep -E '^(observed|p-value)' "$TMP/par.out" >"$TMP/par.sum"
cmp -s "$TMP/single.sum" "$TMP/par.sum" && ok || bad "GNU parallel merge: p-value differs"

# the Slurm array script, its 3 tasks run here one after another
for k in 2 0 1; do
    (cd "$TMP" && SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=3 LMM="$OLDPWD/build/lmm" \
        bash "$OLDPWD/examples/boot_slurm.sh" "$OLDPWD/$D/pulp.csv" "$F0" "$F1" 400 11 >/dev/null 2>&1) || bad "boot_slurm.sh task $k"
done
stats "$TMP"/boot_shards/shard*.txt >"$TMP/c"
cmp -s "$TMP/a" "$TMP/c" && ok || bad "Slurm array shards differ from the single run"
./build/lmm boot-merge "$TMP"/boot_shards/shard*.txt 2>&1 | grep -E '^(observed|p-value)' >"$TMP/slurm.sum"
cmp -s "$TMP/single.sum" "$TMP/slurm.sum" && ok || bad "Slurm merge: p-value differs"
# glmer: the binomial LRT through GNU parallel, the flags passed on
G=$D/cbpp.csv G0='cbind(incidence, size - incidence) ~ 1 + (1 | herd)' G1='cbind(incidence, size - incidence) ~ period + (1 | herd)'
./build/lmm boot $G "$G0" "$G1" --family binomial --nsim 40 --seed 3 --threads 1 --out "$TMP/gsingle.txt" >"$TMP/gsingle.out" 2>&1 || bad "glmer single run"
if sh examples/boot_parallel.sh $G "$G0" "$G1" 40 3 4 "$TMP/gpar" --family binomial >"$TMP/gpar.out" 2>&1; then ok; else bad "boot_parallel.sh --family:"; cat "$TMP/gpar.out"; fi
stats "$TMP/gsingle.txt" >"$TMP/ga"; stats "$TMP"/gpar/shard*.txt >"$TMP/gb"
[ "$(wc -l <"$TMP/ga")" -eq 40 ] && cmp -s "$TMP/ga" "$TMP/gb" && ok || bad "glmer GNU parallel shards differ from the single run"

# bootstrap confidence intervals: GNU parallel, then the Slurm array's 3 tasks
CF='bright ~ 1 + (1|operator)'
./build/lmm confint $D/pulp.csv "$CF" --method boot --nsim 200 --seed 5 --threads 1 >"$TMP/csingle.out" 2>&1 || bad "confint single run"
grep -q '^(Intercept)' "$TMP/csingle.out" && ok || bad "confint single run printed no intervals"
if sh examples/confint_parallel.sh $D/pulp.csv "$CF" 200 5 4 "$TMP/cpar" >"$TMP/cpar.out" 2>&1; then ok; else bad "confint_parallel.sh:"; cat "$TMP/cpar.out"; fi
[ "$(ls "$TMP"/cpar/shard*.txt 2>/dev/null | wc -l)" -eq 4 ] && ok || bad "confint_parallel.sh: not 4 shard files"
cmp -s "$TMP/csingle.out" "$TMP/cpar.out" && ok || bad "confint GNU parallel merge differs from the single run"
for k in 1 2 0; do
    (cd "$TMP" && SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=3 LMM="$OLDPWD/build/lmm" \
        bash "$OLDPWD/examples/confint_slurm.sh" "$OLDPWD/$D/pulp.csv" "$CF" 200 5 >/dev/null 2>&1) || bad "confint_slurm.sh task $k"
done
./build/lmm confint-merge "$TMP"/confint_shards/shard*.txt >"$TMP/cslurm.out" 2>&1 || bad "confint Slurm merge"
cmp -s "$TMP/csingle.out" "$TMP/cslurm.out" && ok || bad "confint Slurm merge differs from the single run"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
