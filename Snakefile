# SynthAD workflow entry point.
# `rule all` must live in this file: an included file's default target is ignored by Snakemake
# (docs/pipeline.md#rules-call-synthad-stage). Every rule only calls `synthad <stage>`; the code
# lives in src/synthad.

from snakemake.utils import min_version

min_version("9.0")


# `preset:` in it (or `--config preset=NAME`) merges presets/NAME.yaml, see common.smk.
configfile: "params.yaml"


# ----------------------------------------------------------------------------- load rules
include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/masks.smk"
include: "workflow/rules/banks.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


# ----------------------------------------------------------------------------- targets
rule all:
    default_target: True
    input:
        "results/metrics.csv",
        "results/tables",
        "results/figures/maps",
        "results/figures/compare",
        "reports",
        mask_sheets(),
        bank_sheets(),
        strength_sheets(),
        synthesis_sheets(),


# One target per DVC phase stage (dvc.yaml calls them with --allowed-rules).
rule data_all:
    input:
        index_files(),
        raw_sources(),


rule masks_all:
    input:
        mask_dirs(),
        mask_sheets(),


rule banks_all:
    input:
        bank_dirs(),
        bank_sheets(),
        strength_sheets(),
        synthesis_sheets(),


rule train_all:
    input:
        model_files(),
    benchmark:
        benchmark_file("train_all"),
    # dvc.yaml's train stage tracks results/pretrain, which must exist even when no method pre-trains.
    shell:
        "mkdir -p results/pretrain"


rule evaluate_all:
    input:
        run_metrics(),


rule report_all:
    input:
        "results/metrics.csv",
        "results/tables",
        "results/figures/maps",
        "results/figures/compare",
        "reports",
