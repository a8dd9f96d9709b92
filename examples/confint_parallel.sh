#!/bin/sh
# Bootstrap confidence intervals (lme4's confint(m, method = "boot")) in N shards with
# GNU parallel, then merged: the same intervals, bit for bit, as one
# `lmm confint --method boot` process with the same --nsim and --seed.
#   sh examples/confint_parallel.sh DATA.csv 'FORMULA' NSIM SEED SHARDS [OUTDIR [FLAGS...]]
# FLAGS go to every `lmm confint` (e.g. --ml, --level 0.9, --parm beta_).
set -eu
[ $# -ge 5 ] || { echo "usage: sh $0 DATA.csv 'FORMULA' NSIM SEED SHARDS [OUTDIR [FLAGS...]]" >&2; exit 2; }
data=$1; formula=$2; nsim=$3; seed=$4; shards=$5; out=${6:-confint_shards}
shift 5; [ $# -gt 0 ] && shift
lmm=${LMM:-./build/lmm}
mkdir -p "$out"
seq 0 $((shards - 1)) | parallel --will-cite --halt now,fail=1 \
    "$lmm" confint "$data" "'$formula'" --method boot --nsim "$nsim" --seed "$seed" --threads 1 "$@" \
    --shard {}/"$shards" --out "$out"/shard{}.txt ">" "$out"/shard{}.log
"$lmm" confint-merge "$out"/shard*.txt
