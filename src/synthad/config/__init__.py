"""``params.yaml`` -> typed dataclasses, strictly: the configuration layer.

``params.yaml`` is the only configuration of the pipeline. It is parsed into the dataclasses of
:mod:`.sections` by the generic builder (:mod:`.builder`): a key that no dataclass field declares, a
value of the wrong type, a number outside the range its field declares or a non-finite float is a
:class:`~synthad.errors.ConfigError` naming the full key path and the value. :mod:`.presets` merges
a paper preset in, :mod:`.params` holds the checks and look-ups on the whole file that need no
registry.

This package sits on the ground floor: it imports only :mod:`synthad.errors` and
:mod:`synthad.utils`. The checks against the registries above it (a category the data set lacks,
an unregistered method, each method section against its method's ``Config``, ablation variants,
``synthesis.sdas``) are :func:`synthad.stages.validate.parse_params`'s, which Snakemake and
``synthad params`` call; a method section alone is built by :func:`synthad.methods.method_config`.

Snakemake rules pass each job only its slice of the configuration (as JSON on the command line);
the stage CLIs rebuild the typed object with :func:`parse_slice` so a slice is checked exactly like
the whole file.
"""

from synthad.config.builder import build, join_key, load_yaml, parse_slice
from synthad.config.params import (
    build_params,
    method_key,
    method_section,
    normalise_overrides,
    validate_seeds,
    variant_for,
)
from synthad.config.presets import (
    DEMO_PRESET,
    PRESETS_DIR,
    list_presets,
    merge_overlay,
    merge_preset,
    preset_file,
    read_overlay,
)
from synthad.config.sections import (
    DataConfig,
    DatasetEntry,
    DemoConfig,
    EvaluateConfig,
    MasksConfig,
    MaskSetting,
    Params,
    ReportConfig,
    RtoConfig,
    SynthesisConfig,
    TrainConfig,
    VariantEntry,
)

__all__ = [
    "DEMO_PRESET", "PRESETS_DIR", "DataConfig", "DatasetEntry", "DemoConfig", "EvaluateConfig",
    "MaskSetting", "MasksConfig", "Params", "ReportConfig", "RtoConfig", "SynthesisConfig",
    "TrainConfig", "VariantEntry", "build", "build_params", "join_key", "list_presets", "load_yaml",
    "merge_overlay", "merge_preset", "method_key", "method_section", "normalise_overrides",
    "parse_slice", "preset_file", "read_overlay", "validate_seeds", "variant_for",
]
