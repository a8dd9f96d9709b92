#!/bin/bash
# Bootstrap confidence intervals as a Slurm job array: task K of N runs shard K/N.
#   sbatch --array=0-9 examples/confint_slurm.sh DATA.csv 'FORMULA' NSIM SEED [FLAGS...]
# When every task has finished (e.g. a job with --dependency=afterok:JOBID):
#   lmm confint-merge confint_shards/shard*.txt
# The merged intervals equal one `lmm confint --method boot --nsim NSIM --seed SEED` run
# bit for bit, whatever the array size (tests/scaleout.sh runs the tasks one by one).
#SBATCH --job-name=lmm-confint
#SBATCH --cpus-per-task=1
#SBATCH --output=confint_shards/slurm-%A_%a.log
set -eu
data=$1; formula=$2; nsim=$3; seed=$4; shift 4
k=${SLURM_ARRAY_TASK_ID:?run with sbatch --array=0-(N-1)}
n=${SLURM_ARRAY_TASK_COUNT:?run with sbatch --array=0-(N-1)}
mkdir -p confint_shards
${LMM:-./build/lmm} confint "$data" "$formula" --method boot --nsim "$nsim" --seed "$seed" --threads 1 "$@" \
    --shard "$k/$n" --out "confint_shards/shard$k.txt"
