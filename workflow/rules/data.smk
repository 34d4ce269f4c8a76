# Phase "data": raw data (generated demo, download, a user's copy, or derived from another data set
# by `synthad rto`) -> index CSV per category.


rule demo:
    output:
        directory("data/raw/demo"),
    log:
        "logs/data/demo.log",
    benchmark:
        benchmark_file("demo"),
    params:
        demo=lambda wc: as_json(config.get("demo")),
    shell:
        "synthad demo --out {output} --params-json {params.demo:q} > {log} 2>&1"


rule download:
    output:
        directory("data/raw/{dataset}"),
    log:
        "logs/data/download_{dataset}.log",
    benchmark:
        benchmark_file("download", "dataset"),
    params:
        source=lambda wc: dataset_source(wc.dataset),
        path=lambda wc: f"--path {shlex.quote(str(dataset_root(wc.dataset)))}" if dataset_root(wc.dataset) else "",
    shell:
        # Archives are kept outside the rule's output: Snakemake deletes the output folder of a
        # failed job, and a partial download must survive to be resumed.
        "synthad download --dataset {params.source} --out {output} {params.path}"
        " --archives data/downloads > {log} 2>&1"


rule rto:
    # A MAD-RTO-style data set (source: rto): the base's indexed object categories, each image and
    # its masks rotated and shifted (src/synthad/data/rto.py); indexed by the rule below.
    input:
        lambda wc: [f"data/index/{dataset_entry(wc.dataset).base}/{c}.csv" for c in categories(wc.dataset)],
    output:
        directory("data/raw/{dataset}"),
    wildcard_constraints:
        dataset=rto_pattern(),
    log:
        "logs/data/rto_{dataset}.log",
    benchmark:
        benchmark_file("rto", "dataset"),
    params:
        base=lambda wc: dataset_source(wc.dataset).removeprefix(RTO_PREFIX),
        rto=lambda wc: rto_settings(wc.dataset),
    shell:
        "synthad rto --base {params.base} --index {input} --out {output} --params-json {params.rto:q}"
        " --no-progress > {log} 2>&1"


ruleorder: demo > download
ruleorder: rto > download


rule index:
    input:
        raw="data/raw/{dataset}",
    output:
        "data/index/{dataset}/{category}.csv",
    log:
        "logs/data/index_{dataset}_{category}.log",
    benchmark:
        benchmark_file("index", "dataset", "category"),
    priority: PREPARATION_PRIORITY
    params:
        source=lambda wc: dataset_source(wc.dataset),
        resize=lambda wc: dataset_entry(wc.dataset).resize,
        pixel_masks=lambda wc: "" if dataset_entry(wc.dataset).pixel_masks else "--no-pixel-masks",
    shell:
        # --verify decodes every image and mask, so a corrupt file stops the pipeline here, not
        # at evaluation after training. --resize goes into the index, which every later stage reads.
        "synthad index --source {params.source} --category {wildcards.category} --resize {params.resize}"
        " {params.pixel_masks} --raw {input.raw}/source.json --out {output} --verify --no-progress"
        " > {log} 2>&1"
