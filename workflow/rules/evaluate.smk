# Phase "evaluate": the one shared evaluation protocol for every method (docs/evaluation.md).


def seed_runs(root, name):
    """``results/<root>/{dataset}/{category}/{method}/seed<s>/<name>`` for every seed (wildcards kept)."""
    return [f"{run_path(root, '{dataset}', '{category}', '{method}', s)}/{name}" for s in PARAMS.seeds]


# One job evaluates every seed of a (data set, category, method): its imports and start-up (2-5 s,
# timm's alone 2.5 s) cost as much as one small evaluation, and the demo runs 2 seeds.
rule evaluate:
    input:
        index="data/index/{dataset}/{category}.csv",
        models=seed_runs("models", "model.pt"),
        configs=seed_runs("models", "config.json"),
        infos=seed_runs("models", "train_info.json"),
    output:
        metrics=seed_runs("runs", "metrics.json"),
        # The cost figures (seconds, images/s, memory, device): apart, so metrics.json is byte-stable.
        timing=seed_runs("runs", "timing.json"),
        scores=seed_runs("runs", "scores.csv"),
        maps=seed_runs("runs", "maps.npz"),
    log:
        "logs/evaluate/{dataset}/{category}/{method}.log",
    benchmark:
        benchmark_file("evaluate", "dataset", "category", "method"),
    resources:
        gpu=1,
    params:
        evaluate=lambda wc: as_json(config.get("evaluate")),
        device=lambda wc: PARAMS.train.device,
        model_dirs=lambda wc, input: " ".join(shlex.quote(str(Path(m).parent)) for m in input.models),
        outs=lambda wc, output: " ".join(shlex.quote(str(Path(m).parent)) for m in output.metrics),
    shell:
        "synthad evaluate --index {input.index} --model-dir {params.model_dirs}"
        " --params-json {params.evaluate:q} --device {params.device} --out {params.outs}"
        " --no-progress > {log} 2>&1"
