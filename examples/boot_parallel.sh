#!/bin/sh
# The parametric bootstrap LRT in N shards on one or more machines with GNU parallel
# (apt-get install parallel), then merged: the same statistics, bit for bit, as
# one `lmm boot` process with the same --nsim and --seed.
#   sh examples/boot_parallel.sh DATA.csv 'NULL_FORMULA' 'ALT_FORMULA' NSIM SEED SHARDS [OUTDIR [FLAGS...]]
# FLAGS go to every `lmm boot` (e.g. --family binomial for glmer fits, --weights W).
# Across machines add GNU parallel's --sshlogin host1,host2 (lmm and the data at the same paths).
set -eu
[ $# -ge 6 ] || { echo "usage: sh $0 DATA.csv 'F0' 'F1' NSIM SEED SHARDS [OUTDIR [FLAGS...]]" >&2; exit 2; }
data=$1; f0=$2; f1=$3; nsim=$4; seed=$5; shards=$6; out=${7:-boot_shards}
shift 6; [ $# -gt 0 ] && shift
lmm=${LMM:-./build/lmm}
mkdir -p "$out"
# one job per shard; each writes its replicates' statistics to its own file
seq 0 $((shards - 1)) | parallel --will-cite --halt now,fail=1 \
    "$lmm" boot "$data" "'$f0'" "'$f1'" --nsim "$nsim" --seed "$seed" --threads 1 "$@" \
    --shard {}/"$shards" --out "$out"/shard{}.txt ">" "$out"/shard{}.log
# shard files may be merged in any order
"$lmm" boot-merge "$out"/shard*.txt
