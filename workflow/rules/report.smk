# Phase "report": long-format metrics and run settings, tables (summary, unified, the papers' tables
# with claimed | ours | delta), figures, the metrics and plot data dvc.yaml declares (docs/dvc.md),
# and the assembled report (LaTeX + self-contained HTML).


def run_settings_inputs():
    """The model-folder files the run settings are read from (image size, epochs, device)."""
    return [
        f"{run_path('models', d, c, m, s)}/{name}"
        for d, c in grid() for m in PARAMS.methods for s in PARAMS.seeds
        for name in ("config.json", "train_info.json")
    ]


def train_logs():
    return [f"{run_path('models', d, c, m, s)}/train_log.csv"
            for d, c in grid() for m in PARAMS.methods for s in PARAMS.seeds]


def dataset_sources():
    """Our data set name -> registry source key: decides which paper tables its runs fill."""
    return as_json({d: dataset_source(d) for d in evaluated_datasets()})


rule aggregate:
    input:
        metrics=run_metrics(),
        settings=run_settings_inputs(),
    output:
        metrics="results/metrics.csv",
        settings="results/run_settings.csv",
    log:
        "logs/report/aggregate.log",
    benchmark:
        benchmark_file("aggregate"),
    shell:
        "synthad aggregate --out {output.metrics} --models-dir results/models"
        " --settings-out {output.settings} {input.metrics} > {log} 2>&1"


rule tables:
    input:
        metrics="results/metrics.csv",
        settings="results/run_settings.csv",
    output:
        directory("results/tables"),
    log:
        "logs/report/tables.log",
    benchmark:
        benchmark_file("tables"),
    params:
        report=lambda wc: as_json(config.get("report")),
        datasets=lambda wc: dataset_sources(),
        variants=lambda wc: as_json(config.get("variants")),  # they fill the papers' ablation rows
    shell:
        "synthad tables --metrics {input.metrics} --settings {input.settings}"
        " --datasets-json {params.datasets:q} --variants-json {params.variants:q}"
        " --params-json {params.report:q} --out {output} > {log} 2>&1"


rule figures:
    input:
        run_metrics(),
        index_files(),
    output:
        directory("results/figures/maps"),
    log:
        "logs/report/figures.log",
    benchmark:
        benchmark_file("figures"),
    params:
        report=lambda wc: as_json(config.get("report")),
    shell:
        "synthad figures --runs-dir results/runs --index-dir data/index"
        " --params-json {params.report:q} --out {output} > {log} 2>&1"


rule plots:
    input:
        run_metrics(),
        train_logs(),
        index_files(),
        metrics="results/metrics.csv",
    output:
        directory("results/figures/compare"),
    log:
        "logs/report/plots.log",
    benchmark:
        benchmark_file("plots"),
    params:
        report=lambda wc: as_json(config.get("report")),
    shell:
        "synthad plots --runs-dir results/runs --models-dir results/models --index-dir data/index"
        " --metrics {input.metrics} --params-json {params.report:q} --out {output} > {log} 2>&1"


rule dvc_data:
    input:
        run_metrics(),
        train_logs(),
        metrics="results/metrics.csv",
    output:
        # dvc.yaml declares them as the report stage's metrics and plots (docs/dvc.md)
        headline="results/metrics/headline.json",
        roc=directory("results/plots/roc"),
        training=directory("results/plots/training"),
    log:
        "logs/report/dvc_data.log",
    benchmark:
        benchmark_file("dvc_data"),
    shell:
        "synthad dvc-data --metrics {input.metrics} --runs-dir results/runs --models-dir results/models"
        " --headline-out {output.headline} --roc-out {output.roc} --training-out {output.training}"
        " > {log} 2>&1"


def other_targets():
    """Every output of `rule all` that the report does not read: as inputs they make the report the
    last job, so its cost tables see the benchmark file of every other job. The benchmark files
    themselves are not inputs: a missing one (outputs pulled with DVC) must not make Snakemake
    re-run a job, and the report's own, written after it, would close a cycle."""
    dvc_files = ["results/metrics/headline.json", "results/plots/roc", "results/plots/training"]
    return ["results/figures/maps"] + dvc_files + mask_sheets() + bank_sheets() + strength_sheets() \
        + synthesis_sheets()


rule report_document:
    input:
        other_targets(),
        tables="results/tables",
        figures="results/figures/compare",
    output:
        directory("reports"),
    log:
        "logs/report/report_document.log",
    benchmark:
        benchmark_file("report_document"),
    params:
        report=lambda wc: as_json(config.get("report")),
    shell:
        "synthad report --tables {input.tables} --figures {input.figures}"
        " --benchmarks logs/benchmarks --skip-rule {rule}"
        " --params-json {params.report:q} --out {output} > {log} 2>&1"
