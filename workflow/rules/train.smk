# Phase "train": one job per (dataset, category, method, seed). Each job receives only its method's
# section of params.yaml and the train: section, so editing one method re-trains only that method.
# An ablation variant (params.yaml `variants:`) is a `methods` entry of its own: its jobs run its
# base method's code (`--method <registry key>`) with the base's section updated by the variant's
# params (method_key / method_section in common.smk), under results/*/<variant name>/.


BANK_KINDS = ("textures", "natural", "sdas")


def train_inputs(wc):
    needs = method_needs(wc.method)
    inputs = {"index": f"data/index/{wc.dataset}/{wc.category}.csv"}
    if "foreground_masks" in needs:
        inputs["masks"] = f"data/masks/{wc.dataset}/{wc.category}"
    for kind in BANK_KINDS:
        if kind in needs:
            inputs[kind] = bank_dir(kind, wc.dataset, wc.category)
    if "pretrained" in needs:  # the method's own pre-training phase (SLSG's GPT-Net), rule pretrain
        inputs["pretrained"] = f"{run_path('pretrain', wc.dataset, wc.category, wc.method, wc.seed)}/pretrained.pt"
    if "dataset_images" in needs:  # DMP's sources: every other category of the data set
        others = [c for c in categories(wc.dataset) if c != wc.category]
        inputs["source_indexes"] = [f"data/index/{wc.dataset}/{c}.csv" for c in others]
        inputs["source_masks"] = [f"data/masks/{wc.dataset}/{c}" for c in others]
    return inputs


def optional_flags(wc, input):
    flags = [f"--masks {input.masks}"] if "masks" in input.keys() else []
    flags += [f"--bank {kind}={input[kind]}" for kind in BANK_KINDS if kind in input.keys()]
    if "pretrained" in input.keys():
        flags.append(f"--pretrained {input.pretrained}")
    if "source_indexes" in input.keys():
        flags += [f"--source-index {i}" for i in input.source_indexes]
        flags += [f"--source-masks {m}" for m in input.source_masks]
    return " ".join(flags)


def pretrain_section(wc):
    """Only the fields the pre-training reads, so main-training edits do not re-run it."""
    fields = get_method(method_key(wc.method)).pretrain_fields
    return as_json({k: v for k, v in method_section(wc.method).items() if k in fields})


def train_section(wc):
    """The method's effective method_params section (a variant's: its base's + its params)."""
    return as_json(method_section(wc.method))


def holdout_scoring(wc):
    """evaluate.resolution: train scores its held-out images (decision threshold) as evaluate scores
    test images. Only the resolution, so editing another evaluate: key never re-trains."""
    return as_json({"resolution": PARAMS.evaluate.resolution})


rule pretrain:
    input:
        index="data/index/{dataset}/{category}.csv",
    output:
        weights="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrained.pt",
        config="results/pretrain/{dataset}/{category}/{method}/seed{seed}/config.json",
        info="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrain_info.json",
        log_csv="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrain_log.csv",
    log:
        "logs/pretrain/{dataset}/{category}/{method}/seed{seed}.log",
    benchmark:
        benchmark_file("pretrain", "dataset", "category", "method", "seed"),
    threads: lambda wc: PARAMS.train.num_threads
    resources:
        gpu=1,
    params:
        method=pretrain_section,
        train=lambda wc: as_json(config.get("train")),
        out=lambda wc, output: str(Path(output.weights).parent),
    shell:
        "synthad pretrain --index {input.index} --method {wildcards.method} --seed {wildcards.seed}"
        " --params-json {params.method:q} --train-json {params.train:q} --out {params.out}"
        " --no-progress > {log} 2>&1"


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
    benchmark:
        benchmark_file("train", "dataset", "category", "method", "seed"),
    threads: lambda wc: PARAMS.train.num_threads
    resources:
        gpu=1,
    params:
        method=train_section,
        train=lambda wc: as_json(config.get("train")),
        evaluate=holdout_scoring,
        flags=optional_flags,
        out=lambda wc, output: str(Path(output.model).parent),
    shell:
        "synthad train --index {input.index} --method {wildcards.method} --seed {wildcards.seed}"
        " --params-json {params.method:q} --train-json {params.train:q} --eval-json {params.evaluate:q}"
        " {params.flags}"
        " --out {params.out} --no-progress > {log} 2>&1"


# Variants get rules of their own, identical but for `--method {params.key}`: Snakemake re-runs
# every job of a rule whose shell text changes (its code trigger), so the registered methods'
# rules keep their command and existing results stay up to date. The wildcard constraint and
# the ruleorder send exactly the variant names here.
ruleorder: pretrain_variant > pretrain
ruleorder: train_variant > train


rule pretrain_variant:
    input:
        index="data/index/{dataset}/{category}.csv",
    output:
        weights="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrained.pt",
        config="results/pretrain/{dataset}/{category}/{method}/seed{seed}/config.json",
        info="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrain_info.json",
        log_csv="results/pretrain/{dataset}/{category}/{method}/seed{seed}/pretrain_log.csv",
    log:
        "logs/pretrain/{dataset}/{category}/{method}/seed{seed}.log",
    benchmark:
        benchmark_file("pretrain_variant", "dataset", "category", "method", "seed"),
    wildcard_constraints:
        method=variant_pattern(),
    threads: lambda wc: PARAMS.train.num_threads
    resources:
        gpu=1,
    params:
        key=lambda wc: method_key(wc.method),
        method=pretrain_section,
        train=lambda wc: as_json(config.get("train")),
        out=lambda wc, output: str(Path(output.weights).parent),
    shell:
        "synthad pretrain --index {input.index} --method {params.key} --seed {wildcards.seed}"
        " --params-json {params.method:q} --train-json {params.train:q} --out {params.out}"
        " --no-progress > {log} 2>&1"


rule train_variant:
    input:
        unpack(train_inputs),
    output:
        model="results/models/{dataset}/{category}/{method}/seed{seed}/model.pt",
        config="results/models/{dataset}/{category}/{method}/seed{seed}/config.json",
        info="results/models/{dataset}/{category}/{method}/seed{seed}/train_info.json",
        log_csv="results/models/{dataset}/{category}/{method}/seed{seed}/train_log.csv",
    log:
        "logs/train/{dataset}/{category}/{method}/seed{seed}.log",
    benchmark:
        benchmark_file("train_variant", "dataset", "category", "method", "seed"),
    wildcard_constraints:
        method=variant_pattern(),
    threads: lambda wc: PARAMS.train.num_threads
    resources:
        gpu=1,
    params:
        key=lambda wc: method_key(wc.method),
        method=train_section,
        train=lambda wc: as_json(config.get("train")),
        evaluate=holdout_scoring,
        flags=optional_flags,
        out=lambda wc, output: str(Path(output.model).parent),
    shell:
        "synthad train --index {input.index} --method {params.key} --seed {wildcards.seed}"
        " --params-json {params.method:q} --train-json {params.train:q} --eval-json {params.evaluate:q}"
        " {params.flags}"
        " --out {params.out} --no-progress > {log} 2>&1"
