# Phase "evaluate": the one shared evaluation protocol for every method (docs/evaluation.md).


rule evaluate:
    input:
        index="data/index/{dataset}/{category}.csv",
        model="results/models/{dataset}/{category}/{method}/seed{seed}/model.pt",
        config="results/models/{dataset}/{category}/{method}/seed{seed}/config.json",
        info="results/models/{dataset}/{category}/{method}/seed{seed}/train_info.json",
    output:
        metrics="results/runs/{dataset}/{category}/{method}/seed{seed}/metrics.json",
        # The cost figures (seconds, images/s, memory, device): apart, so metrics.json is byte-stable.
        timing="results/runs/{dataset}/{category}/{method}/seed{seed}/timing.json",
        scores="results/runs/{dataset}/{category}/{method}/seed{seed}/scores.csv",
        maps="results/runs/{dataset}/{category}/{method}/seed{seed}/maps.npz",
    log:
        "logs/evaluate/{dataset}/{category}/{method}/seed{seed}.log",
    benchmark:
        benchmark_file("evaluate", "dataset", "category", "method", "seed"),
    resources:
        gpu=1,
    params:
        evaluate=lambda wc: as_json(config.get("evaluate")),
        device=lambda wc: PARAMS.train.device,
        model_dir=lambda wc, input: str(Path(input.model).parent),
        out=lambda wc, output: str(Path(output.metrics).parent),
    shell:
        "synthad evaluate --index {input.index} --model-dir {params.model_dir}"
        " --params-json {params.evaluate:q} --device {params.device} --out {params.out}"
        " --no-progress > {log} 2>&1"
