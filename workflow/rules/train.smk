# Phase "train": one job per (dataset, category, method, seed). Each job receives only its method's
# section of params.yaml and the train: section, so editing one method re-trains only that method.


BANK_KINDS = ("textures", "natural", "sdas")


def train_inputs(wc):
    needs = method_needs(wc.method)
    inputs = {"index": f"data/index/{wc.dataset}/{wc.category}.csv"}
    if "foreground_masks" in needs:
        inputs["masks"] = f"data/masks/{wc.dataset}/{wc.category}"
    for kind in BANK_KINDS:
        if kind in needs:
            inputs[kind] = bank_dir(kind, wc.dataset, wc.category)
    if "dataset_images" in needs:  # DMP's sources: every other category of the data set
        others = [c for c in categories(wc.dataset) if c != wc.category]
        inputs["source_indexes"] = [f"data/index/{wc.dataset}/{c}.csv" for c in others]
        inputs["source_masks"] = [f"data/masks/{wc.dataset}/{c}" for c in others]
    return inputs


def optional_flags(wc, input):
    flags = [f"--masks {input.masks}"] if "masks" in input.keys() else []
    flags += [f"--bank {kind}={input[kind]}" for kind in BANK_KINDS if kind in input.keys()]
    if "source_indexes" in input.keys():
        flags += [f"--source-index {i}" for i in input.source_indexes]
        flags += [f"--source-masks {m}" for m in input.source_masks]
    return " ".join(flags)


rule train:
    input:
        unpack(train_inputs),
    output:
        model="results/models/{dataset}/{category}/{method}/seed{seed}/model.pt",
        config="results/models/{dataset}/{category}/{method}/seed{seed}/config.json",
        info="results/models/{dataset}/{category}/{method}/seed{seed}/train_info.json",
        log_csv="results/models/{dataset}/{category}/{method}/seed{seed}/train_log.csv",
    log:
        "logs/train/{dataset}/{category}/{method}/seed{seed}.log",
    threads: lambda wc: PARAMS.train.num_threads
    resources:
        gpu=1,
    params:
        method=lambda wc: as_json(config.get("method_params", {}).get(wc.method)),
        train=lambda wc: as_json(config.get("train")),
        flags=optional_flags,
        out=lambda wc, output: str(Path(output.model).parent),
    shell:
        "synthad train --index {input.index} --method {wildcards.method} --seed {wildcards.seed}"
        " --params-json {params.method:q} --train-json {params.train:q} {params.flags}"
        " --out {params.out} --no-progress > {log} 2>&1"
