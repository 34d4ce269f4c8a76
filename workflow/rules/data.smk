# Phase "data": raw data (generated demo, download, or a user's copy) -> index CSV per category.


rule demo:
    output:
        directory("data/raw/demo"),
    log:
        "logs/data/demo.log",
    params:
        demo=lambda wc: as_json(config.get("demo")),
    shell:
        "synthad demo --out {output} --params-json {params.demo:q} > {log} 2>&1"


rule download:
    output:
        directory("data/raw/{dataset}"),
    log:
        "logs/data/download_{dataset}.log",
    params:
        source=lambda wc: dataset_source(wc.dataset),
        path=lambda wc: f"--path {shlex.quote(str(dataset_root(wc.dataset)))}" if dataset_root(wc.dataset) else "",
    shell:
        # Archives are kept outside the rule's output: Snakemake deletes the output folder of a
        # failed job, and a partial download must survive to be resumed.
        "synthad download --dataset {params.source} --out {output} {params.path}"
        " --archives data/downloads > {log} 2>&1"


ruleorder: demo > download


rule index:
    input:
        raw="data/raw/{dataset}",
    output:
        "data/index/{dataset}/{category}.csv",
    log:
        "logs/data/index_{dataset}_{category}.log",
    params:
        source=lambda wc: dataset_source(wc.dataset),
    shell:
        "synthad index --source {params.source} --category {wildcards.category}"
        " --raw {input.raw}/source.json --out {output} > {log} 2>&1"
