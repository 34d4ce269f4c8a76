# Phase "masks": one foreground mask per image and a contact sheet to look at.
# The per-category rules follow RealNet's official code (docs/official-code.md#realnet-foreground-masks).


def mask_setting(wc):
    """The category's override from params.yaml, else the data set registry's setting."""
    key = f"{wc.dataset}/{wc.category}"
    overrides = config.get("masks", {}).get("overrides", {})
    if key in overrides:
        return as_json(overrides[key])
    spec = get_dataset(dataset_source(wc.dataset))
    return as_json(spec.mask_settings.get(wc.category, {"method": "whole"}))


rule masks:
    input:
        index="data/index/{dataset}/{category}.csv",
    output:
        masks=directory("data/masks/{dataset}/{category}"),
        sheet="results/figures/masks/{dataset}/{category}.png",
    log:
        "logs/masks/{dataset}_{category}.log",
    benchmark:
        benchmark_file("masks", "dataset", "category"),
    priority: PREPARATION_PRIORITY
    params:
        setting=mask_setting,
        sheet_images=lambda wc: PARAMS.masks.sheet_images,
    shell:
        "synthad masks --index {input.index} --setting-json {params.setting:q} --out {output.masks}"
        " --sheet {output.sheet} --sheet-images {params.sheet_images} > {log} 2>&1"
