"""Cost tables from Snakemake benchmark files, and the benchmark directive on every workflow rule."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from synthad.cli import main
from synthad.errors import DataError
from synthad.report.costs import (
    PHASE_OF_RULE,
    cost_grids,
    job_of_path,
    method_costs,
    phase_costs,
    read_benchmarks,
)
from synthad.report.document import table_sections
from synthad.report.grid import grid_rows_text

REPO = Path(__file__).resolve().parents[2]
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
TRAIN = "train/dataset=demo/category={c}/method={m}/seed=0.tsv"


def _write(folder: Path, rel: str, *rows: tuple) -> None:
    """One benchmark file as Snakemake writes it: rows of (s, max_rss, cpu_time), 'NA' allowed."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{s}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n" for s, rss, cpu in rows]
    path.write_text(HEADER + "".join(lines))


@pytest.fixture
def benchmarks(tmp_path) -> Path:
    folder = tmp_path / "logs/benchmarks"
    _write(folder, "index/dataset=demo/category=a.tsv", (1.0, 50.0, 0.5))
    _write(folder, "masks/dataset=demo/category=a.tsv", (2.0, 60.0, 1.5))
    _write(folder, TRAIN.format(c="a", m="draem"), (10.0, 500.0, 18.0), (12.0, 520.0, 20.0))  # repeat: 2 rows
    _write(folder, TRAIN.format(c="b", m="draem"), (20.0, 480.0, 30.0))
    _write(folder, TRAIN.format(c="a", m="mean_image"), (1.0, "NA", "NA"))  # ended before a sample
    _write(folder, "evaluate/dataset=demo/category=a/method=draem/seed=0.tsv", (3.0, 300.0, 2.0))
    _write(folder, "aggregate.tsv", (0.5, 100.0, 0.4))
    _write(folder, "report_document.tsv", (4.0, 200.0, 3.0))
    return folder


def test_job_of_path_reads_rule_and_wildcards(tmp_path):
    assert job_of_path(tmp_path / "aggregate.tsv", tmp_path) == {"rule": "aggregate"}
    job = job_of_path(tmp_path / "train/dataset=demo/method=draem/seed=0.tsv", tmp_path)
    assert job == {"rule": "train", "dataset": "demo", "method": "draem", "seed": "0"}
    with pytest.raises(DataError, match="wildcard"):
        job_of_path(tmp_path / "train/demo/draem.tsv", tmp_path)


def test_read_benchmarks_one_row_per_job(benchmarks):
    jobs = read_benchmarks(benchmarks, skip_rules=("report_document",))
    assert len(jobs) == 7 and "report_document" not in set(jobs["rule"])
    draem_a = jobs[(jobs["rule"] == "train") & (jobs["category"] == "a") & (jobs["method"] == "draem")]
    assert draem_a[["wall_s", "cpu_s", "max_rss_mb"]].iloc[0].tolist() == [11.0, 19.0, 520.0]  # repeats
    assert math.isnan(jobs.loc[jobs["method"] == "mean_image", "cpu_s"].iloc[0])
    assert jobs.loc[jobs["rule"] == "aggregate", ["dataset", "method"]].iloc[0].tolist() == ["", ""]


def test_absent_folder_gives_no_jobs_and_no_grid(tmp_path):
    jobs = read_benchmarks(tmp_path / "nothing")
    assert jobs.empty and phase_costs(jobs).empty and method_costs(jobs).empty
    assert cost_grids(jobs, tmp_path / "nothing") == []


def test_a_file_that_is_not_a_benchmark_is_a_data_error(tmp_path):
    (tmp_path / "aggregate.tsv").write_text("something\nelse\n")
    with pytest.raises(DataError, match="aggregate.tsv"):
        read_benchmarks(tmp_path)


def test_phase_costs_sum_seconds_and_take_the_largest_rss(benchmarks):
    table = phase_costs(read_benchmarks(benchmarks, skip_rules=("report_document",)))
    assert list(table.index) == ["data", "masks", "train", "evaluate", "report", "total"]
    assert table.loc["train"].tolist() == [3, 11.0 + 20.0 + 1.0, 19.0 + 30.0, 520.0]  # NA cpu skipped
    assert table.loc["total", "jobs"] == 7
    assert table.loc["total", "wall_s"] == pytest.approx(1 + 2 + 32 + 3 + 0.5)
    assert table.loc["total", "max_rss_mb"] == 520.0


def test_method_costs_split_by_phase(benchmarks):
    table = method_costs(read_benchmarks(benchmarks))
    assert list(table.index) == ["draem", "mean_image"]
    draem = table.loc["draem"]
    assert draem[["jobs", "train_wall_s", "evaluate_wall_s", "wall_s"]].tolist() == [3, 31.0, 3.0, 34.0]
    assert math.isnan(draem["pretrain_wall_s"])
    assert math.isnan(table.loc["mean_image", "cpu_s"])


def test_cost_grids_render_both_tables(benchmarks):
    grids = cost_grids(read_benchmarks(benchmarks), benchmarks)
    assert [g.key for g in grids] == ["costs_phases", "costs_methods"]
    rows = grid_rows_text(grids[0])
    assert rows[0] == ["phase", "jobs", "wall [s]", "CPU [s]", "max RSS [MiB]"]
    assert rows[-1][:2] == ["total", "8"] and str(benchmarks) in grids[0].notes[0]
    assert "pretrain [s]" not in grids[1].header and "train [s]" in grids[1].header  # no method pre-trained


def test_costs_command_prints_text_and_csv(benchmarks, capsys):
    assert main(["costs", "--benchmarks", str(benchmarks)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^train\s+3\s+32\.0\s+49\.0\s+520\.0$", text, flags=re.M), text
    assert main(["costs", "--benchmarks", str(benchmarks), "--by", "method", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:3] == ["method", "jobs", "pretrain_wall_s"]
    assert lines[1].startswith("draem,3,")
    assert main(["costs", "--benchmarks", str(benchmarks / "missing")]) == 1


# --------------------------------------------------------------------------- the workflow
def _rules() -> dict[str, str]:
    """Rule name -> its text, for every rule of the Snakefile and workflow/rules/*.smk."""
    rules = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]:
        for match in re.finditer(r"^rule (\w+):\n((?:(?:    .*)?\n)*)", path.read_text(), flags=re.M):
            rules[match.group(1)] = match.group(2)
    return rules


def test_every_rule_that_runs_a_command_has_its_benchmark_and_a_phase():
    rules = _rules()
    assert {"train", "evaluate", "report_document", "train_all"} <= set(rules)
    for name, body in rules.items():
        if "shell:" not in body:  # a target rule: no job to measure
            continue
        match = re.search(r"^    benchmark:\n        benchmark_file\(\"(\w+)\"", body, flags=re.M)
        assert match and match.group(1) == name, f"rule {name}: benchmark_file(\"{name}\", ...) missing"
        assert name in PHASE_OF_RULE, f"rule {name}: add it to synthad.report.costs.PHASES"


def test_the_report_rule_reads_the_folder_not_the_files():
    body = _rules()["report_document"]
    assert "--benchmarks logs/benchmarks --skip-rule {rule}" in body
    assert "benchmarks" not in body.split("output:")[0]  # no benchmark file among its inputs: no cycle


def test_costs_csv_round_trip(benchmarks, tmp_path):
    table = phase_costs(read_benchmarks(benchmarks))
    table.to_csv(tmp_path / "costs.csv")
    back = pd.read_csv(tmp_path / "costs.csv", index_col="phase")
    assert back.loc["train", "wall_s"] == table.loc["train", "wall_s"]


def test_report_says_so_when_there_is_no_benchmark_file(tmp_path):
    content = {"headline": [], "claims": None, "unified": [], "costs": [], "benchmarks": tmp_path / "none"}
    sections = dict((title, text) for title, text, _ in table_sections(content))
    assert sections["What it cost"].startswith(f"No benchmark files in {tmp_path / 'none'}")
