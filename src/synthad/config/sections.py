"""The ``params.yaml`` schema: one dataclass per section, and :class:`Params` for the whole file.

Each field's annotation is its check (:func:`synthad.config.builder.build`): a type, a choice
(``Literal``) or a declared range (:mod:`synthad.utils.ranges`); ``__post_init__`` checks the
constraints between fields. A key the file leaves out takes its field's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from synthad.utils.ranges import (
    Fraction,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Range,
    Seed,
)


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
            MVTec-layout or OK/NG folder); when set nothing is downloaded.
        categories: Categories to run, or ``[all]`` for every category of the data set (for
            ``rto``: every object category of the base).
        base: Only for ``source: rto``: the data set (a ``data.datasets`` name or a registry key)
            whose indexed images are transformed.
        rto: Only for ``source: rto``: the transform (:class:`RtoConfig`; defaults when omitted).
        pixel_masks: ``false`` declares an image-level data set (OK/NG labels, no defect masks;
            ``source: folder`` only): its defective test images need no mask and pixel metrics
            are not computed (``n/a`` in every table). ``true`` (default): a defective image
            without its mask is an error.
        resize: How non-square images become the square training and evaluation resolution:
            ``squash`` (default, as the papers: scale both sides), ``pad`` (letterbox on black,
            aspect kept) or ``crop`` (centred square, aspect kept, long-side borders dropped); see
            :mod:`synthad.utils.geometry`. ``synthad index --resize`` writes it into the index,
            which every stage reads.
    """

    source: str | None = None
    path: str | None = None
    categories: list[str] = field(default_factory=lambda: ["all"])
    base: str | None = None
    rto: RtoConfig | None = None
    pixel_masks: bool = True
    resize: Literal["squash", "pad", "crop"] = "squash"

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
            if base is not None and not base.pixel_masks:  # rto moves every defect mask with its image
                raise ValueError(f"datasets.{name}: base {entry.base!r} has no pixel masks (pixel_masks: "
                                 "false); source rto needs them")


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
    """How the foreground mask of one category is computed (docs/official-code.md#realnet-foreground-masks).

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
    # At least this many seconds between two checkpoints (0: every `checkpoint_every` epochs): saving
    # a large state (RealNet's demo: 141 MB with Adam's moments) after every short epoch cost 13 % of
    # its training. The last epoch is always saved; a resume is bit-exact wherever it starts.
    checkpoint_seconds: NonNegativeFloat = 0.0
    num_threads: PositiveInt = 1
    # Decision threshold (not part of the papers): this fraction of the good training images (at
    # least 2 when > 0) is held out of `fit` and scored after training; the threshold flags at most
    # `false_alarm_rate` of them (synthad.evaluation.threshold). 0 = train on all, no threshold.
    holdout_fraction: Annotated[float, Range(ge=0, lt=1)] = 0.1
    false_alarm_rate: Annotated[float, Range(ge=0, lt=1)] = 0.01


@dataclass
class EvaluateConfig:
    """``evaluate:`` the shared evaluation protocol (docs/evaluation.md)."""

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
    ``params`` (:func:`~synthad.config.method_section`); its runs live under its own name in ``results/``.

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
    by :func:`synthad.stages.validate.parse_params` (which needs the method registry), as are the
    ``params`` of each ``variants`` entry. ``preset`` names the overlay (``presets/<name>.yaml``)
    that :func:`synthad.stages.validate.apply_preset` merged in; ``demo`` is none.
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
