"""``params.yaml`` -> typed dataclasses, strictly.

``params.yaml`` is the only configuration of the pipeline. It is parsed into the dataclasses below;
a key that no dataclass field declares, a value of the wrong type, a number outside the range its
field declares (:mod:`synthad.utils.ranges`) or a non-finite float is a :class:`ConfigError` that
names the full key path and the value (``method_params.draem.lr: -1.0 is out of range (must be >
0)``), so a typo never silently falls back to a default and an impossible value never trains. A
repeated seed or a category the data set lacks is one too (:func:`parse_params`). Method sections
are validated against each method's own ``Config`` dataclass (its defaults are the paper's values),
see :func:`method_config`.

Snakemake rules pass each job only its slice of the configuration (as JSON on the command line);
the stage CLIs rebuild the typed object with :func:`build` so a slice is checked exactly like the
whole file.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml

from synthad.errors import ConfigError
from synthad.utils.ranges import (
    Fraction,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Range,
    Seed,
    range_of,
)

T = typing.TypeVar("T")


# --------------------------------------------------------------------------- generic builder
def build(cls: type[T], value: Any, where: str) -> T:
    """Build a value of type ``cls`` from plain YAML/JSON data, rejecting unknown keys.

    Args:
        cls: A dataclass or a supported annotation (``int``, ``float``, ``str``, ``bool``,
            ``list[X]``, ``dict[str, X]``, ``X | None``, ``Literal[...]``, ``Any``,
            ``Annotated[X, Range(...)]``: ``X`` within the declared range, :mod:`synthad.utils.ranges`).
        value: Parsed YAML/JSON data.
        where: Key path used in error messages, e.g. ``"params.yaml:data"``.

    Returns:
        The typed value.

    Raises:
        ConfigError: Unknown key, missing required key, wrong type, a number outside its declared
            range or a non-finite float; the message names ``where``.
    """
    if dataclasses.is_dataclass(cls):
        return _build_dataclass(cls, value, where)
    return _coerce(cls, value, where)


def _build_dataclass(cls: type[T], value: Any, where: str) -> T:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
    hints = typing.get_type_hints(cls, include_extras=True)  # keep Annotated's ranges
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {join_key(where, unknown[0])!r}"
            f" (allowed keys: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = build(hints[name], value[name], join_key(where, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key {join_key(where, name)!r}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ checks (odd kernels, bounds between fields)
        raise ConfigError(f"{where}: {exc}") from exc


def join_key(where: str, key: str) -> str:
    """The key path ``key`` under ``where``: ``params.yaml:`` + ``seeds``, ``demo`` + ``.n_train``."""
    return f"{where}.{key}" if not where.endswith(":") else f"{where}{key}"


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin is typing.Annotated:
        coerced = build(args[0], value, where)
        declared = range_of(tp)
        if declared is not None:
            declared.check(coerced, where)
        return coerced
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(args, value, where)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if origin is list or origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return [build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): build(args[1], v, join_key(where, str(k))) for k, v in value.items()}
    return _coerce_scalar(tp, value, where)


def _coerce_union(args: tuple, value: Any, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    errors = []
    for arg in (a for a in args if a is not type(None)):
        try:
            return build(arg, value, where)
        except ConfigError as exc:
            errors.append(str(exc))
    raise ConfigError(errors[0] if len(errors) == 1 else f"{where}: {value!r} matches no allowed type")


def _coerce_scalar(tp: type, value: Any, where: str) -> Any:
    # bool is an int subclass in Python, so it is checked first and never accepted as a number.
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        number = _as_float(value)
        if number is not None:
            if not math.isfinite(number):  # NaN / inf (YAML .nan, JSON NaN, "inf") would train garbage
                raise ConfigError(f"{where}: {value!r} is not a finite number")
            return number
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise ConfigError(f"{where}: unsupported annotation {tp!r}")
    raise ConfigError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")


def _as_float(value: Any) -> float | None:
    """``value`` as a float when it is a number or a numeric string, else ``None``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # YAML reads "1e-4" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- sections
@dataclass
class RtoConfig:
    """How a MAD-RTO-style data set is derived from a base data set's object categories.

    Lv et al. (CVPRW, Sec. 3) apply "random rotation and random crop"; the ranges are ours, see
    :mod:`synthad.data.rto`.

    Attributes:
        max_angle: Rotation angle drawn from U(-max_angle, max_angle), degrees.
        max_shift: Translation (the "random crop" offset) per axis drawn from
            U(-max_shift, max_shift) times the image side.
        fill: How uncovered pixels are filled, for the image and its masks alike: ``reflect``
            (mirror at the border, OpenCV BORDER_REFLECT_101), ``replicate`` (border colour) or
            ``constant`` (black; masks 0).
        seed: Seed of the per-image draws (each image's draw depends only on the seed and its path).
    """

    max_angle: Annotated[float, Range(ge=0, le=180)] = 30.0  # degrees
    max_shift: Annotated[float, Range(ge=0, lt=0.5)] = 0.1  # of the side: half would shift it all out
    fill: Literal["reflect", "replicate", "constant"] = "reflect"
    seed: Seed = 0


@dataclass
class DatasetEntry:
    """One data set to run on.

    Attributes:
        source: Registry key of the data set (``demo``, ``mvtec_ad``, ``mpdd``, ``folder``...);
            defaults to the entry's name in ``data.datasets``. ``rto`` derives a data set from
            ``base`` (rotated and shifted object images, :mod:`synthad.data.rto`).
        path: A copy the user already has (the extracted archive root, or for ``folder`` an
            MVTec-layout folder); when set nothing is downloaded.
        categories: Categories to run, or ``[all]`` for every category of the data set (for
            ``rto``: every object category of the base).
        base: Only for ``source: rto``: the data set (a ``data.datasets`` name or a registry key)
            whose indexed images are transformed.
        rto: Only for ``source: rto``: the transform (:class:`RtoConfig`; defaults when omitted).
    """

    source: str | None = None
    path: str | None = None
    categories: list[str] = field(default_factory=lambda: ["all"])
    base: str | None = None
    rto: RtoConfig | None = None

    def __post_init__(self):
        if self.source == "rto":
            if not self.base:
                raise ValueError("source rto needs `base`: the data set whose object images are transformed")
            if self.path:
                raise ValueError("source rto is derived by the pipeline; `path` is not allowed")
            self.rto = self.rto or RtoConfig()
        elif self.base is not None or self.rto is not None:
            raise ValueError("`base` and `rto` are only allowed with `source: rto`")


@dataclass
class DataConfig:
    """``data:`` which data sets the pipeline runs on."""

    datasets: dict[str, DatasetEntry] = field(default_factory=lambda: {"demo": DatasetEntry()})

    def __post_init__(self):
        for name, entry in self.datasets.items():
            if entry.source != "rto":
                continue
            base = self.datasets.get(entry.base)
            if entry.base == name or (base is not None and base.source == "rto"):
                raise ValueError(f"datasets.{name}: base {entry.base!r} must be a data set that is not "
                                 "itself derived (source rto)")


@dataclass
class DemoConfig:
    """``demo:`` size of the embedded generated data set (see :mod:`synthad.data.demo`)."""

    image_size: Annotated[int, Range(ge=64)] = 256
    n_train: PositiveInt = 80
    n_test_good: PositiveInt = 24
    n_test_defect: PositiveInt = 36
    seed: Seed = 2026


@dataclass
class MaskSetting:
    """How the foreground mask of one category is computed (METHOD_NOTES A.3).

    Attributes:
        method: ``whole`` (every pixel is foreground), ``otsu`` or ``triangle`` threshold, or
            ``fixed`` (the level ``threshold``).
        channel: ``gray`` or an RGB channel index 0-2 to threshold.
        invert: The threshold selects the *background* (bright background, dark part), so the
            foreground is its complement.
        closing: Side of the square structuring element for binary closing (0 = off).
        opening: Side of the square structuring element for binary opening (0 = off).
        threshold: Level of ``fixed``: pixels above it are the bright region.
        erosion: Side of a square erosion after closing and opening (0 = off).
        dilation: Side of a square dilation after the erosion (0 = off).
        work_size: Compute on the image resized to ``work_size`` x ``work_size`` (kernel sides
            count in those pixels; SLSG's rules are given at 256) and resize the mask back;
            0 = the image's own size.
        region: ``[top, left, bottom, right]`` fractions of the image side: foreground outside this
            box is dropped (default: the whole image).
    """

    method: Literal["whole", "otsu", "triangle", "fixed"] = "whole"
    channel: Literal["gray", 0, 1, 2] = "gray"
    invert: bool = False
    closing: NonNegativeInt = 0
    opening: NonNegativeInt = 0
    threshold: Annotated[int, Range(ge=0, le=254)] = 0
    erosion: NonNegativeInt = 0
    dilation: NonNegativeInt = 0
    work_size: NonNegativeInt = 0
    region: list[Fraction] = field(default_factory=lambda: [0.0, 0.0, 1.0, 1.0])

    def __post_init__(self):
        valid = len(self.region) == 4
        if valid:
            top, left, bottom, right = self.region
            valid = 0 <= top < bottom <= 1 and 0 <= left < right <= 1
        if not valid:
            raise ValueError(f"region must be [top, left, bottom, right] with 0 <= top < bottom <= 1 and"
                             f" 0 <= left < right <= 1, got {self.region}")


@dataclass
class MasksConfig:
    """``masks:`` per-category overrides, keyed ``<dataset>/<category>``.

    Categories without an override use the data set registry's setting (the official RealNet
    rules for MVTec AD, VisA, MPDD and BTAD, the official SLSG code's for MVTec LOCO; ``whole``
    otherwise).
    """

    overrides: dict[str, MaskSetting] = field(default_factory=dict)
    sheet_images: NonNegativeInt = 8  # 0: no contact sheet drawn


@dataclass
class SynthesisConfig:
    """``synthesis:`` anomaly sources, offline banks and their contact sheets.

    Attributes:
        texture_source: ``builtin`` (offline stand-in) or ``dtd`` (downloaded, or ``data.datasets.dtd.path``).
        natural_source: ``builtin`` (crops of scikit-image's photographs) or a folder of natural
            photographs (an ImageNet subset, VOC's ``JPEGImages``) linked in as the bank.
        sia_dir: RealNet's released SIA folder (``<dir>/<category>/*.jpg``); when set, SDAS banks
            are imported from it instead of training a diffusion model per category.
        sdas_preview: ``dataset/category`` entries that get an SDAS bank and sheets even when no
            method of ``methods`` needs one (``[]`` for none; entries of categories that
            ``data.datasets`` does not select are skipped).
        sheet_samples: Synthetic samples per method on each synthesis contact sheet.
        sdas: Overrides of the SDAS diffusion settings (:class:`synthad.synthesis.sdas_config.SdasConfig`,
            whose defaults are RealNet's paper-scale values).
    """

    texture_source: Literal["builtin", "dtd"] = "builtin"
    natural_source: str = "builtin"
    sia_dir: str | None = None
    sdas_preview: list[str] = field(default_factory=list)
    sheet_samples: PositiveInt = 8
    sdas: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        bad = [entry for entry in self.sdas_preview if entry.count("/") != 1]
        if bad:
            raise ValueError(f"sdas_preview entries must be 'dataset/category', got {bad}")


@dataclass
class TrainConfig:
    """``train:`` settings shared by every method's training run."""

    device: Literal["auto", "cpu", "cuda"] = "auto"
    checkpoint_every: PositiveInt = 1
    num_threads: PositiveInt = 1


@dataclass
class EvaluateConfig:
    """``evaluate:`` the shared evaluation protocol (DESIGN.md, METHOD_NOTES E)."""

    resolution: PositiveInt = 256
    pro_fpr_limit: Annotated[float, Range(gt=0, le=1)] = 0.3
    spro_fpr_limit: Annotated[float, Range(gt=0, le=1)] = 0.05  # AU-sPRO of MVTec LOCO: 0.05
    batch_size: PositiveInt = 8


@dataclass
class ReportConfig:
    """``report:`` tables and figures."""

    metrics: list[str] = field(
        default_factory=lambda: [
            "image_auroc", "image_ap", "pixel_auroc", "pixel_ap", "pixel_aupro", "image_f1_max",
            "pixel_f1_max",
        ]
    )
    scale: PositiveFloat = 100.0
    decimals: NonNegativeInt = 1
    figure_images: PositiveInt = 4
    delta_close: NonNegativeFloat = 1.0  # paper tables: ours at most this far below the claim (pp) is green
    delta_far: NonNegativeFloat = 5.0  # ... more than this far below is red, in between orange
    roc_max_pixels: PositiveInt = 200000  # pixel ROC curves use a fixed random subset of this many pixels
    title: str = "SynthAD: do the papers hold up?"

    def __post_init__(self):
        if self.delta_close > self.delta_far:
            raise ValueError(f"delta_close ({self.delta_close}) must be <= delta_far ({self.delta_far})")


@dataclass
class VariantEntry:
    """``variants.<name>``: an ablation variant, a registered method run with some fields changed.

    Its effective configuration is the base method's ``method_params`` section updated with
    ``params`` (:func:`method_section`); its runs live under its own name in ``results/``.

    Attributes:
        method: Registry key of the base method (``dmp``).
        params: Fields of the base method's ``Config`` to override (``{large_kernel: false}``).
    """

    method: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Params:
    """The whole ``params.yaml``.

    ``method_params`` is kept as plain dicts here and checked against each method's ``Config``
    by :func:`validate_methods` (which needs the method registry), as are the ``params`` of each
    ``variants`` entry. ``preset`` names the overlay (``presets/<name>.yaml``) that
    :func:`apply_preset` merged in; ``demo`` is none.
    """

    preset: str = "demo"
    seeds: list[Seed] = field(default_factory=lambda: [0])
    methods: list[str] = field(default_factory=lambda: ["draem"])
    data: DataConfig = field(default_factory=DataConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    masks: MasksConfig = field(default_factory=MasksConfig)
    synthesis: SynthesisConfig = field(default_factory=SynthesisConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    method_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, VariantEntry] = field(default_factory=dict)


# --------------------------------------------------------------------------- paper presets
PRESETS_DIR = "presets"  # beside params.yaml
DEMO_PRESET = "demo"  # no overlay: params.yaml as written


def list_presets(presets_dir: str | Path = PRESETS_DIR) -> list[str]:
    """``demo`` followed by the name of every ``<presets_dir>/<name>.yaml``, sorted."""
    found = sorted(p.stem for p in Path(presets_dir).glob("*.yaml"))
    return [DEMO_PRESET] + [name for name in found if name != DEMO_PRESET]


def merge_preset(base: dict, overlay: dict) -> dict:
    """Merge a preset overlay onto ``params.yaml`` data, two levels deep.

    A top-level value of the overlay that is not a mapping (``seeds``, ``methods``) replaces the
    base's; a section (a mapping) is merged key by key, and each key's value replaces the base's
    *whole*: ``method_params.draem: {}`` drops every CPU override of DRAEM (its ``Config``
    defaults, the paper's values, apply) and ``data.datasets`` lists exactly the preset's data
    sets, while a key the preset does not name (``synthesis.sia_dir``) keeps the base's value.

    Args:
        base: Parsed ``params.yaml``.
        overlay: Parsed preset file.

    Returns:
        A new mapping; neither argument is modified.
    """
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(copy.deepcopy(value))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_preset(data: dict, presets_dir: str | Path = PRESETS_DIR, where: str = "params.yaml:") -> dict:
    """``params.yaml`` data with the overlay named by its ``preset`` key merged in.

    Args:
        data: Parsed ``params.yaml`` (``preset`` absent or ``demo``: returned as a copy).
        presets_dir: Folder of the ``<name>.yaml`` overlays.
        where: Prefix of error messages.

    Returns:
        The merged data (see :func:`merge_preset`), still to be validated by :func:`parse_params`.

    Raises:
        ConfigError: Unknown preset (the message lists the available ones), or an invalid
            overlay (the message names the preset file and the key).
    """
    name = data.get("preset", DEMO_PRESET)
    if not isinstance(name, str):
        raise ConfigError(f"{join_key(where, 'preset')}: expected a preset name, got {name!r}")
    if name == DEMO_PRESET:
        return copy.deepcopy(data)
    path = Path(presets_dir) / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{join_key(where, 'preset')}: unknown preset {name!r}, {path} does not exist"
                          f" (available: {', '.join(list_presets(presets_dir))})")
    overlay = load_yaml(path)
    check_overlay(overlay, path)
    merged = merge_preset(data, overlay)
    bases = {m: _base_key(merged, m) for m in merged.get("methods") or []}
    missing = [(m, b) for m, b in bases.items() if b not in (overlay.get("method_params") or {})]
    if missing:
        # Without its own section a method would inherit params.yaml's CPU demo overrides.
        name, base = missing[0]
        raise ConfigError(f"{path}: the preset runs {name!r} but has no method_params.{base}"
                          " section (write `{}` for the paper's values, the Config defaults)")
    return merged


def _base_key(data: dict, name: str) -> str:
    """Registry key behind a ``methods`` entry of unvalidated data (a variant's ``method``)."""
    variants = data.get("variants")
    entry = variants.get(name) if isinstance(variants, dict) else None
    return entry.get("method", name) if isinstance(entry, dict) else name


def check_overlay(overlay: dict, path: Path) -> None:
    """Validate a preset file on its own, so an error names the file rather than ``params.yaml``."""
    if "preset" in overlay:
        raise ConfigError(f"{path}: a preset cannot set `preset` (presets do not chain)")
    parse_params(overlay, f"{path}:")


# --------------------------------------------------------------------------- entry points
def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, with an error naming the file when it is not one."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_params(data: dict, where: str = "params.yaml:") -> Params:
    """Validate a whole parsed ``params.yaml`` (including every method section)."""
    params = build(Params, data, where)
    validate_seeds(params, where)
    validate_datasets(params, where)
    validate_grid(params, where)
    validate_methods(params, where)
    validate_variants(params, where)
    validate_sdas(params, where)
    return params


def load_params(path: str | Path = "params.yaml", preset: str | None = None) -> Params:
    """Load ``params.yaml``, merge its preset (``presets/`` beside it) and fully validate it.

    Args:
        path: The parameter file.
        preset: Overrides the file's ``preset`` key (``None``: use the key, default ``demo``).
    """
    path = Path(path)
    data = load_yaml(path)
    if preset is not None:
        data["preset"] = preset
    return parse_params(apply_preset(data, path.parent / PRESETS_DIR, f"{path}:"), f"{path}:")


def validate_seeds(params: Params, where: str = "params.yaml:") -> None:
    """Each seed once: a repeated seed would name the same run folder twice in the DAG."""
    repeated = sorted({seed for seed in params.seeds if params.seeds.count(seed) > 1})
    if repeated:
        raise ConfigError(f"{join_key(where, 'seeds')}: seed {repeated[0]} is listed more than once"
                          f" ({params.seeds}); each seed is one run")


def validate_grid(params: Params, where: str = "params.yaml:") -> None:
    """Expand every data set's categories as the DAG does (unknown category, ``all``, discovery)."""
    from synthad.data.grid import check_grid  # deferred: the registry imports this module

    check_grid(params, where)


def validate_datasets(params: Params, where: str = "params.yaml:") -> None:
    """Check every ``source: rto`` entry against the registry: a known base, object categories only."""
    from synthad.data.rto import check_rto_entry  # deferred: the registry imports this module

    for name, entry in params.data.datasets.items():
        if entry.source == "rto":
            check_rto_entry(name, entry, params.data.datasets, join_key(where, f"data.datasets.{name}"))


def validate_methods(params: Params, where: str = "params.yaml:") -> None:
    """Check that every listed method is registered and its section matches its ``Config``."""
    from synthad.methods import get_method  # deferred: the registry imports torch

    for key in params.methods:
        if key not in params.variants:  # a variant is checked by validate_variants
            get_method(key)
    for key, section in params.method_params.items():
        method_config(key, section, join_key(where, f"method_params.{key}"))


VARIANT_NAME = re.compile(r"[a-z0-9_]+")  # also a path component and a Snakemake wildcard value


def validate_variants(params: Params, where: str = "params.yaml:") -> None:
    """Check every ``variants`` entry: a new lower-case name, a registered base, valid overrides."""
    from synthad.methods import get_method, list_methods  # deferred: the registry imports torch

    for name, variant in params.variants.items():
        at = join_key(where, f"variants.{name}")
        if not VARIANT_NAME.fullmatch(name):
            raise ConfigError(f"{at}: a variant name must match [a-z0-9_]+, got {name!r}")
        if name in list_methods():
            raise ConfigError(f"{at}: {name!r} is a registered method key; give the variant its own name")
        try:
            get_method(variant.method)
        except KeyError as exc:
            raise ConfigError(f"{at}.method: {exc.args[0] if exc.args else exc}") from exc
        # the merged section, so an override that is no field of the base's Config is named
        method_config(variant.method, method_section(params, name), f"{at}.params")


def method_key(params: Params, name: str) -> str:
    """Registry key behind a ``methods`` entry: a variant's base method, else the name itself."""
    variant = params.variants.get(name)
    return variant.method if variant is not None else name


def method_section(params: Params, name: str) -> dict[str, Any]:
    """The ``method_params`` section a ``methods`` entry trains with (a new dict).

    A variant's is its base method's section (the demo or paper budget) updated with the
    variant's ``params``; a registered method's is its own section (``{}`` when absent).
    """
    section = dict(params.method_params.get(method_key(params, name)) or {})
    variant = params.variants.get(name)
    return section | copy.deepcopy(variant.params) if variant is not None else section


def normalise_overrides(value: Any) -> Any:
    """Overrides in one comparable form: tuples as lists, mappings with string keys, recursively.

    A claims file's ``overrides`` and a variant's ``params`` name the same run when their
    normalised forms are equal (``(7, 7)`` from Python equals ``[7, 7]`` from YAML).
    """
    if isinstance(value, dict):
        return {str(k): normalise_overrides(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise_overrides(v) for v in value]
    return value


def variant_for(variants: dict[str, VariantEntry], method: str, overrides: dict) -> str | None:
    """Name of the variant that runs ``method`` with exactly ``overrides`` (``None``: none does)."""
    wanted = normalise_overrides(overrides)
    return next((name for name, v in sorted(variants.items())
                 if v.method == method and normalise_overrides(v.params) == wanted), None)


def validate_sdas(params: Params, where: str = "params.yaml:") -> None:
    """Check ``synthesis.sdas`` against :class:`~synthad.synthesis.sdas.SdasConfig` (names the bad key)."""
    from synthad.synthesis.sdas import SdasConfig  # deferred: imports diffusers

    build(SdasConfig, params.synthesis.sdas, join_key(where, "synthesis.sdas"))


def method_config(key: str, section: dict | None, where: str | None = None):
    """Build the typed ``Config`` of method ``key`` from its ``method_params`` section."""
    from synthad.methods import get_method

    return build(get_method(key).Config, section or {}, where or f"method_params.{key}")


def parse_slice(text: str, cls: type[T], where: str) -> T:
    """Rebuild a typed config object from the JSON slice a Snakemake rule passed to a stage."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not valid JSON: {exc}") from exc
    return build(cls, data, where)
