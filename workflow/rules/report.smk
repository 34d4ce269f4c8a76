# Phase "report": long-format metrics, summary tables (CSV + LaTeX) and anomaly-map figures.


rule aggregate:
    input:
        run_metrics(),
    output:
        "results/metrics.csv",
    log:
        "logs/report/aggregate.log",
    shell:
        "synthad aggregate --out {output} {input} > {log} 2>&1"


rule tables:
    input:
        "results/metrics.csv",
    output:
        directory("results/tables"),
    log:
        "logs/report/tables.log",
    params:
        report=lambda wc: as_json(config.get("report")),
    shell:
        "synthad tables --metrics {input} --params-json {params.report:q} --out {output} > {log} 2>&1"


rule figures:
    input:
        run_metrics(),
        index_files(),
    output:
        directory("results/figures/maps"),
    log:
        "logs/report/figures.log",
    params:
        report=lambda wc: as_json(config.get("report")),
    shell:
        "synthad figures --runs-dir results/runs --index-dir data/index"
        " --params-json {params.report:q} --out {output} > {log} 2>&1"
