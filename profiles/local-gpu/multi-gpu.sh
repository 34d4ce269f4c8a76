#!/usr/bin/env bash
# Run the pipeline on N local GPUs: one Snakemake process per GPU, each pinned with
# CUDA_VISIBLE_DEVICES and given its own share of the runs (README "Scale-out").
#
#   profiles/local-gpu/multi-gpu.sh N [extra snakemake arguments, e.g. --config preset=realnet]
#
# 1. the shared phases (data, masks, banks) run once, in one process, on GPU 0;
# 2. the evaluated runs (results/runs/.../metrics.json: train + evaluate) are dealt round-robin to
#    N processes that run at the same time, all seeds of a (data set, category, method) together
#    because one evaluate job scores them all: disjoint jobs, so Snakemake's locks do not collide;
# 3. one last process renders the report (`all`).
# Snakemake has no GPU slot id for local jobs, hence one process per GPU rather than one process
# with `--resources gpu=N`. Run it from the repository root.
set -euo pipefail
n_gpus=${1:?usage: multi-gpu.sh N_GPUS [snakemake arguments]}
shift
profile=(--profile profiles/local-gpu)

CUDA_VISIBLE_DEVICES=0 snakemake data_all masks_all banks_all "${profile[@]}" "$@"

# One metrics file per evaluate job (its first seed's; the job writes every seed's), from Snakemake's
# own plan (rule "evaluate" outputs below evaluate_all).
mapfile -t runs < <(snakemake evaluate_all --summary "$@" 2>/dev/null \
  | awk -F'\t' 'NR > 1 && $3 == "evaluate" && $1 ~ /metrics\.json$/ {
      group = $1; sub(/\/seed[0-9]+\/metrics\.json$/, "", group)
      if (!(group in seen)) { seen[group] = 1; print $1 } }')
echo "multi-gpu: ${#runs[@]} (data set, category, method) groups of runs on ${n_gpus} GPUs"

mkdir -p logs
pids=()
for ((gpu = 0; gpu < n_gpus; gpu++)); do
  share=()
  for ((i = gpu; i < ${#runs[@]}; i += n_gpus)); do share+=("${runs[i]}"); done
  if ((${#share[@]})); then
    CUDA_VISIBLE_DEVICES=$gpu snakemake "${share[@]}" "${profile[@]}" "$@" > "logs/multi-gpu-$gpu.log" 2>&1 &
    pids+=($!)
  fi
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
if ((status)); then
  echo "multi-gpu: a GPU process failed, see logs/multi-gpu-*.log" >&2
  exit 1
fi
snakemake all "${profile[@]}" "$@"
