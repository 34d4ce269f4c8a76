# Phase "train": one job per (dataset, category, method, seed). Each job receives only its method's
# section of params.yaml and the train: section, so editing one method re-trains only that method.


def train_inputs(wc):
    needs = get_method(wc.method).needs
    inputs = {"index": f"data/index/{wc.dataset}/{wc.category}.csv"}
    if "foreground_masks" in needs:
        inputs["masks"] = f"data/masks/{wc.dataset}/{wc.category}"
    if "textures" in needs:
        inputs["textures"] = texture_dir()
    return inputs


def optional_flags(wc, input):
    flags = []
    if "masks" in input.keys():
        flags.append(f"--masks {input.masks}")
    if "textures" in input.keys():
        flags.append(f"--textures {input.textures}")
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
