# Shared helpers: strict validation of params.yaml at parse time, the run grid, and the slices of
# configuration each rule passes to its stage (so Snakemake's params trigger is precise).

import dataclasses
import json
import os
import re
import shlex
import sys
from pathlib import Path

from synthad.config import PRESETS_DIR, build
from synthad.config import method_key as _method_key
from synthad.config import method_section as _method_section
from synthad.data import grid as _grid
from synthad.data.registry import RTO_PREFIX, get_dataset
from synthad.methods import get_method
from synthad.stages.validate import apply_preset, parse_params

# Rules call `synthad <stage>`: make it the one installed beside this Snakemake, even when the
# environment is not activated (e.g. `.venv/bin/snakemake ...`).
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

# A paper preset (`preset:` in params.yaml, or `--config preset=NAME`) is merged into `config`
# itself, so the slices the rules read from `config` and PARAMS agree (README "Paper presets").
# The presets folder sits beside params.yaml, i.e. in the working directory like `configfile:`.
_resolved = apply_preset(config, Path(PRESETS_DIR))
config.clear()
config.update(_resolved)

# An unknown or mistyped key, a value out of its range, a repeated seed or a category the data set
# lacks fails here, before any job runs, with the key named.
PARAMS = parse_params(config)


wildcard_constraints:
    dataset=r"[A-Za-z0-9_\-]+",
    category=r"[A-Za-z0-9_\-]+",
    method=r"[a-z0-9_]+",
    seed=r"\d+",


def as_json(value):
    """A config slice as compact, key-sorted JSON (stable, so unchanged params never re-run)."""
    return json.dumps(value if value is not None else {}, sort_keys=True, separators=(",", ":"))


# The grid is expanded by synthad.data.grid, the functions parse_params validated it with.
def dataset_entry(dataset):
    """The data.datasets entry; data sets only used as sources (dtd) get an empty one."""
    return _grid.dataset_entry(PARAMS, dataset)


def dataset_source(dataset):
    """Registry key of a data set; a derived one (source rto) is ``rto:<its base's key>``."""
    return _grid.dataset_source(PARAMS, dataset)


def rto_datasets():
    """Names of the derived MAD-RTO-style data sets (``source: rto``)."""
    return [d for d, entry in PARAMS.data.datasets.items() if entry.source == "rto"]


def rto_pattern():
    """Wildcard pattern matching exactly the derived data sets (nothing when there is none)."""
    return "|".join(re.escape(d) for d in rto_datasets()) or r"(?!x)x"


def rto_settings(dataset):
    """The typed ``rto`` settings of a derived data set, as the JSON its stage reads."""
    return as_json(dataclasses.asdict(dataset_entry(dataset).rto))


def dataset_root(dataset):
    """Where the raw data lives when the user gave a path (None: downloaded/generated)."""
    return _grid.dataset_root(PARAMS, dataset)


def categories(dataset):
    """The categories of a data set (``all`` expanded; a derived one's discovered from its base)."""
    return _grid.dataset_categories(PARAMS, dataset)


def evaluated_datasets():
    """Data sets to train and evaluate on (anomaly sources such as DTD are only read from)."""
    return _grid.evaluated_datasets(PARAMS)


def grid():
    """(dataset, category) pairs of this configuration."""
    return _grid.run_grid(PARAMS)


def raw_sources():
    """Raw folders needed besides the indexed data sets (DTD when it is the texture source)."""
    return ["data/raw/dtd"] if PARAMS.synthesis.texture_source == "dtd" else []


def index_files():
    return [f"data/index/{d}/{c}.csv" for d, c in grid()]


def mask_dirs():
    return [f"data/masks/{d}/{c}" for d, c in grid()]


def mask_sheets():
    return [f"results/figures/masks/{d}/{c}.png" for d, c in grid()]


def run_path(root, d, c, m, s):
    return f"results/{root}/{d}/{c}/{m}/seed{s}"


def model_files():
    return [
        f"{run_path('models', d, c, m, s)}/model.pt"
        for d, c in grid() for m in PARAMS.methods for s in PARAMS.seeds
    ]


def run_metrics():
    return [
        f"{run_path('runs', d, c, m, s)}/metrics.json"
        for d, c in grid() for m in PARAMS.methods for s in PARAMS.seeds
    ]


def texture_dir():
    """The texture bank of ``synthesis.texture_source`` (builtin or dtd)."""
    return f"data/banks/textures/{PARAMS.synthesis.texture_source}"


def natural_dir():
    """The natural-image bank: built-in photo crops, or the user's folder linked in."""
    return "data/banks/natural/" + ("builtin" if PARAMS.synthesis.natural_source == "builtin" else "folder")


def sdas_dir(dataset, category):
    return f"data/banks/sdas/{dataset}/{category}"


def method_key(name):
    """Registry key of a `methods` entry (a variant's base method; params.yaml `variants:`)."""
    return _method_key(PARAMS, name)


def method_section(name):
    """The method_params section a `methods` entry trains with (a variant's: base + its params)."""
    return _method_section(PARAMS, name)


def variant_pattern():
    """Wildcard pattern matching exactly the variant names (nothing when there is none)."""
    return "|".join(re.escape(v) for v in PARAMS.variants) or r"(?!x)x"


def method_needs(method):
    """What a method reads besides its images, for its configuration in params.yaml."""
    cls = get_method(method_key(method))
    return cls.needs_for(build(cls.Config, method_section(method), f"method_params.{method}"))


def bank_dir(kind, dataset, category):
    """The bank folder of ``kind`` that a (dataset, category) run reads."""
    if kind == "textures":
        return texture_dir()
    if kind == "natural":
        return natural_dir()
    return sdas_dir(dataset, category)


def sdas_grid():
    """(dataset, category) pairs that get an SDAS bank: needed by a method, or previewed (previews
    of categories this configuration does not select are skipped)."""
    pairs = {(d, c) for m in PARAMS.methods if "sdas" in method_needs(m) for d, c in grid()}
    pairs |= {tuple(entry.split("/")) for entry in PARAMS.synthesis.sdas_preview} & set(grid())
    return sorted(pairs)


SYNTHESIZERS_WITHOUT_SDAS = ("draem", "dmp", "ndpnet", "imm_alm", "slsg")


def sheet_synthesizers(dataset, category):
    """Synthesizers drawn on a category's synthesis sheet (RealNet's needs the SDAS bank)."""
    extra = ("realnet",) if (dataset, category) in sdas_grid() else ()
    return SYNTHESIZERS_WITHOUT_SDAS + extra


def synthesis_sheets():
    """One folder per category with one sheet per synthesizer (image, mask, synthetic anomaly)."""
    return [f"results/figures/synthesis/methods/{d}/{c}" for d, c in grid()]


def bank_sheets():
    sheets = [f"results/figures/synthesis/banks/{name}.png" for name in (
        f"textures_{PARAMS.synthesis.texture_source}", f"natural_{Path(natural_dir()).name}")]
    return sheets + [f"results/figures/synthesis/banks/sdas_{d}_{c}.png" for d, c in sdas_grid()]


def strength_sheets():
    """SDAS sample sheets at s = 0 / 0.1 / 0.2 (only when SDAS is trained, not imported)."""
    if PARAMS.synthesis.sia_dir:
        return []
    return [f"results/figures/synthesis/sdas/{d}/{c}_strength.png" for d, c in sdas_grid()]


def bank_dirs():
    """Every bank of this configuration (the built-in ones are seconds to build, and the sheets
    show every paper's synthesis)."""
    return [texture_dir(), natural_dir()] + [sdas_dir(d, c) for d, c in sdas_grid()]


# Snakemake picks among ready jobs by rule priority only: a priority is not passed on to the jobs a
# rule waits for. With every job at 0, a fresh run trained the first categories before indexing the
# last one, which held back the SDAS chain (it needs every index) to the end. The cheap jobs that
# every later one waits for (index, foreground masks, built-in banks) therefore come first, the
# SDAS chain next (banks.smk).
PREPARATION_PRIORITY = 20
SDAS_PRIORITY = 10


def benchmark_file(rule, *wildcards):
    """Snakemake's benchmark file of a job: ``logs/benchmarks/<rule>/<wildcard>=<value>/....tsv``
    (``logs/benchmarks/<rule>.tsv`` without wildcards). The report's cost tables read the rule
    and the job from the path alone (src/synthad/report/costs.py)."""
    if not wildcards:
        return f"logs/benchmarks/{rule}.tsv"
    return "/".join([f"logs/benchmarks/{rule}"] + [f"{w}={{{w}}}" for w in wildcards]) + ".tsv"
