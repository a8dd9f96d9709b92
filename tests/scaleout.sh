#!/bin/sh
# The scale-out recipes of examples/: the bootstrap LRT in 4 shards through GNU
# parallel (examples/boot_parallel.sh) and as a simulated Slurm job array
# (examples/boot_slurm.sh, run once per task with Slurm's variables set) must give
# the single-process run's statistics bit for bit. Needs build/lmm and parallel.
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
