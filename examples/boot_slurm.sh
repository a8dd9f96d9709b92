#!/bin/bash
# The parametric bootstrap LRT as a Slurm job array: task K of N runs shard K/N.
#   sbatch --array=0-9 examples/boot_slurm.sh DATA.csv 'NULL_FORMULA' 'ALT_FORMULA' NSIM SEED [FLAGS...]
# FLAGS go to `lmm boot` (e.g. --family binomial for glmer fits).
# When every task has finished (e.g. a job with --dependency=afterok:JOBID):
#   lmm boot-merge boot_shards/shard*.txt
# The merged statistics equal one `lmm boot --nsim NSIM --seed SEED` run bit for bit,
# whatever the array size (tests/scaleout.sh checks the same with GNU parallel).
#SBATCH --job-name=lmm-boot
#SBATCH --cpus-per-task=1
#SBATCH --output=boot_shards/slurm-%A_%a.log
set -eu
data=$1; f0=$2; f1=$3; nsim=$4; seed=$5; shift 5
k=${SLURM_ARRAY_TASK_ID:?run with sbatch --array=0-(N-1)}
n=${SLURM_ARRAY_TASK_COUNT:?run with sbatch --array=0-(N-1)}
mkdir -p boot_shards
${LMM:-./build/lmm} boot "$data" "$f0" "$f1" --nsim "$nsim" --seed "$seed" --threads 1 "$@" \
    --shard "$k/$n" --out "boot_shards/shard$k.txt"
