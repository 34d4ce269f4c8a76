"""Tests of the strict params.yaml loader (src/synthad/config/, src/synthad/stages/validate.py)."""

import copy
import dataclasses
import typing
from pathlib import Path

import pytest
import yaml

from synthad.config import (
    DemoConfig,
    EvaluateConfig,
    MaskSetting,
    Params,
    ReportConfig,
    VariantEntry,
    build,
    method_key,
    method_section,
    parse_slice,
    variant_for,
)
from synthad.errors import ConfigError
from synthad.methods import get_method
from synthad.stages.validate import apply_preset, load_params, parse_params
from synthad.utils.ranges import range_of

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def raw_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_repository_params_validate():
    params = load_params(REPO / "params.yaml")
    assert isinstance(params, Params)
    assert "draem" in params.methods and params.seeds


def test_unknown_top_level_key_is_named(raw_params):
    raw_params["sedes"] = [0]
    with pytest.raises(ConfigError, match=r"unknown key 'params.yaml:sedes'"):
        parse_params(raw_params)


def test_unknown_nested_key_is_named_with_its_path(raw_params):
    raw_params["evaluate"]["resolutoin"] = 128
    with pytest.raises(ConfigError, match=r"evaluate\.resolutoin"):
        parse_params(raw_params)


def test_unknown_method_param_is_named(raw_params):
    params = copy.deepcopy(raw_params)
    params["method_params"]["draem"]["learning_rate"] = 0.1
    with pytest.raises(ConfigError, match=r"method_params\.draem\.learning_rate"):
        parse_params(params)


def test_wrong_type_is_named(raw_params):
    raw_params["demo"]["n_train"] = "many"
    with pytest.raises(ConfigError, match=r"demo\.n_train: expected int"):
        parse_params(raw_params)


def test_unknown_method_lists_known_ones(raw_params):
    raw_params["methods"] = ["dream"]
    with pytest.raises(KeyError, match="unknown method 'dream'.*draem"):
        parse_params(raw_params)


def test_bool_is_not_a_number():
    with pytest.raises(ConfigError):
        build(EvaluateConfig, {"resolution": True}, "evaluate")


def test_float_accepts_int_and_scientific_string():
    cfg = build(EvaluateConfig, {"pro_fpr_limit": "3e-1"}, "evaluate")
    assert cfg.pro_fpr_limit == pytest.approx(0.3)


def test_range_check_names_the_key_and_the_value():
    message = r"evaluate\.pro_fpr_limit: 2\.0 is out of range \(must be in \(0, 1\]\)"
    with pytest.raises(ConfigError, match=message):
        build(EvaluateConfig, {"pro_fpr_limit": 2.0}, "evaluate")


def test_literal_choices_are_enforced():
    with pytest.raises(ConfigError, match="is not one of"):
        build(MaskSetting, {"method": "kmeans"}, "masks")
    assert build(MaskSetting, {"channel": 2}, "m").channel == 2


def test_slice_round_trip_matches_defaults():
    assert parse_slice('{"n_train": 5}', DemoConfig, "demo") == DemoConfig(n_train=5)
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_slice("{n_train: 5", DemoConfig, "demo")


def test_sdas_section_is_checked_against_sdas_config():
    sdas = {"image_size": 32, "block_out_channels": [32, 64, 64], "attention_resolutions": [8]}
    params = parse_params({"synthesis": {"sdas": sdas}})
    assert params.synthesis.sdas["image_size"] == 32
    with pytest.raises(ConfigError, match="synthesis.sdas.train_step"):
        parse_params({"synthesis": {"sdas": {"train_step": 10}}})
    with pytest.raises(ConfigError, match="synthesis.sdas"):
        parse_params({"synthesis": {"sdas": {"prediction_type": "x0"}}})


# --------------------------------------------------------------------------- paper presets
def _presets(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "presets"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def test_merge_preset_replaces_each_named_key_whole_and_keeps_the_rest():
    from synthad.config import merge_preset

    base = {"seeds": [0], "train": {"device": "auto", "num_threads": 1},
            "method_params": {"draem": {"epochs": 40, "lr": 1e-3}, "dmp": {"epochs": 30}}}
    overlay = {"seeds": [0, 1, 2], "train": {"device": "cuda"}, "method_params": {"draem": {}}}
    merged = merge_preset(base, overlay)
    assert merged["seeds"] == [0, 1, 2]
    assert merged["train"] == {"device": "cuda", "num_threads": 1}  # unnamed key kept
    assert merged["method_params"] == {"draem": {}, "dmp": {"epochs": 30}}  # draem's CPU overrides gone
    assert base["method_params"]["draem"] == {"epochs": 40, "lr": 1e-3}  # inputs untouched


def test_apply_preset_demo_is_identity_and_named_preset_merges(tmp_path, raw_params):
    folder = _presets(tmp_path, paper="seeds: [0, 1, 2]\nmethods: [draem]\nmethod_params: {draem: {}}\n")
    assert apply_preset(raw_params, folder) == raw_params
    merged = apply_preset(raw_params | {"preset": "paper"}, folder)
    assert merged["seeds"] == [0, 1, 2] and merged["method_params"]["draem"] == {}
    assert parse_params(merged).preset == "paper"


def test_unknown_preset_lists_the_available_ones(tmp_path, raw_params):
    folder = _presets(tmp_path, dmp="seeds: [0]\n")
    with pytest.raises(ConfigError, match=r"params.yaml:preset: unknown preset 'dpm'.*available: demo, dmp"):
        apply_preset(raw_params | {"preset": "dpm"}, folder)


def test_preset_errors_name_the_preset_file(tmp_path, raw_params):
    folder = _presets(tmp_path, typo="method_params: {draem: {epoch: 700}}\n",
                      chained="preset: typo\n", leaky="methods: [draem, dmp]\nmethod_params: {draem: {}}\n")
    with pytest.raises(ConfigError, match=r"typo.yaml:method_params.draem.epoch"):
        apply_preset(raw_params | {"preset": "typo"}, folder)
    with pytest.raises(ConfigError, match="chained.yaml: a preset cannot set `preset`"):
        apply_preset(raw_params | {"preset": "chained"}, folder)
    # dmp runs but the overlay has no section for it: params.yaml's CPU overrides would leak in.
    with pytest.raises(ConfigError, match=r"leaky.yaml: the preset runs 'dmp' but has no method_params.dmp"):
        apply_preset(raw_params | {"preset": "leaky"}, folder)


def test_load_params_preset_argument_overrides_the_file_key():
    params = load_params(REPO / "params.yaml", preset="realnet")
    assert params.preset == "realnet" and "realnet" in params.methods
    assert load_params(REPO / "params.yaml").preset == "demo"


# --------------------------------------------------------------------------- ablation variants
def _with_variant(raw: dict, name: str = "dmp_no_large_kernel", **entry) -> dict:
    raw = copy.deepcopy(raw)
    raw["variants"] = {name: entry or {"method": "dmp", "params": {"large_kernel": False}}}
    raw["methods"] = raw["methods"] + [name]
    return raw


def test_variant_trains_its_base_section_updated_with_its_params(raw_params):
    params = parse_params(_with_variant(raw_params))
    assert method_key(params, "dmp_no_large_kernel") == "dmp" and method_key(params, "draem") == "draem"
    section = method_section(params, "dmp_no_large_kernel")
    assert section == raw_params["method_params"]["dmp"] | {"large_kernel": False}  # the demo budget kept
    assert method_section(params, "dmp") == raw_params["method_params"]["dmp"]  # the base is untouched
    assert parse_params(raw_params).variants == {}  # params.yaml as shipped: none


@pytest.mark.parametrize(
    ("name", "entry", "error"),
    [
        ("dmp_x", {"method": "dmp", "param": {}}, r"variants\.dmp_x\.param'"),  # unknown entry key
        ("dmp_x", {"method": "dmpp"}, r"variants\.dmp_x\.method.*unknown method 'dmpp'"),
        ("draem", {"method": "dmp"}, r"variants\.draem: 'draem' is a registered method key"),
        ("DMP-x", {"method": "dmp"}, r"variants\.DMP-x: a variant name must match"),
        ("dmp_x", {"method": "dmp", "params": {"large_kernels": False}},
         r"variants\.dmp_x\.params\.large_kernels"),  # no field of dmp's Config
        ("dmp_x", {"method": "dmp", "params": {"large_kernel": "no"}},
         r"variants\.dmp_x\.params\.large_kernel"),  # a wrong type
    ],
)
def test_bad_variants_are_errors_naming_the_key(raw_params, name, entry, error):
    with pytest.raises(ConfigError, match=error):
        parse_params(_with_variant(raw_params, name, **entry))


def test_preset_running_a_variant_needs_its_base_section(tmp_path, raw_params):
    raw = _with_variant(raw_params, "draem_x", method="draem", params={"epochs": 1})
    raw["preset"] = "paper"
    variant = "variants: {draem_x: {method: draem, params: {epochs: 2}}}\n"  # a preset defines what it runs
    folder = _presets(tmp_path / "a", paper="methods: [draem_x]\nmethod_params: {dmp: {}}\n" + variant)
    with pytest.raises(ConfigError, match="runs 'draem_x' but has no method_params.draem"):
        apply_preset(raw, folder)
    folder = _presets(tmp_path / "b", paper="methods: [draem_x]\nmethod_params: {draem: {}}\n" + variant)
    params = parse_params(apply_preset(raw, folder))
    assert method_section(params, "draem_x") == {"epochs": 2}  # the preset's variant, its paper section


def test_variant_for_compares_normalised_overrides():
    variants = {"a": VariantEntry("dmp", {"lk_kernels": [9, 7]}), "b": VariantEntry("draem", {"x": 1})}
    assert variant_for(variants, "dmp", {"lk_kernels": (9, 7)}) == "a"
    assert variant_for(variants, "dmp", {"lk_kernels": [9, 7], "epochs": 1}) is None
    assert variant_for(variants, "draem", {"lk_kernels": [9, 7]}) is None


# --------------------------------------------------------------------------- declared ranges
def _config_classes() -> dict[str, type]:
    """Every config dataclass: params.yaml's sections (nested too), each method's Config, SdasConfig."""
    from synthad.methods import get_method, list_methods
    from synthad.synthesis.sdas_config import SdasConfig

    found = {"params": Params, "synthesis.sdas": SdasConfig}
    # "_test_*" keys are throw-away fakes other tests register; the real methods are checked
    found |= {f"method_params.{key}": get_method(key).Config
              for key in list_methods() if not key.startswith("_")}
    pending = list(found.values())
    while pending:  # the sections reachable from Params (DataConfig -> DatasetEntry -> RtoConfig ...)
        for tp in typing.get_type_hints(pending.pop(), include_extras=True).values():
            for nested in _nested_dataclasses(tp):
                if nested not in found.values():
                    found[nested.__name__] = nested
                    pending.append(nested)
    return found


def _is_dataclass_type(tp) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _nested_dataclasses(tp) -> list[type]:
    if _is_dataclass_type(tp):
        return [tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return []
    inner = args[:1] if origin is typing.Annotated else args  # not the Range metadata
    return [cls for arg in inner for cls in _nested_dataclasses(arg)]


def _unranged(tp, where: str) -> list[str]:
    """Key paths of the numbers inside annotation ``tp`` that declare no Range."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        if args[0] in (int, float):
            return [] if range_of(tp) is not None else [where]
        return _unranged(args[0], where)
    if tp in (int, float):
        return [where]
    if origin is typing.Literal or _is_dataclass_type(tp):  # choices; nested ones are listed apart
        return []
    return [bad for arg in args for bad in _unranged(arg, f"{where}[]")]


def test_every_numeric_field_declares_a_range():
    unranged = [
        bad
        for name, cls in _config_classes().items()
        for key, tp in typing.get_type_hints(cls, include_extras=True).items()
        for bad in _unranged(tp, f"{name}.{key}")
    ]
    assert not unranged, f"int/float fields without a Range (synthad.utils.ranges): {unranged}"


def test_every_default_is_within_its_declared_range():
    for name, cls in _config_classes().items():
        if any(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in dataclasses.fields(cls)):
            continue  # VariantEntry: no default instance
        default = cls()
        # asdict -> build runs every default through the same range checks as params.yaml's values
        assert build(cls, dataclasses.asdict(default), name) == default, name


@pytest.mark.parametrize(
    ("lr", "message"),
    [
        (0, r"method_params\.draem\.lr: 0\.0 is out of range \(must be > 0\)"),
        (-1, r"method_params\.draem\.lr: -1\.0 is out of range \(must be > 0\)"),
        (float("nan"), r"method_params\.draem\.lr: nan is not a finite number"),
        ("nan", r"method_params\.draem\.lr: 'nan' is not a finite number"),
        (float("inf"), r"method_params\.draem\.lr: inf is not a finite number"),
    ],
)
def test_impossible_learning_rate_is_named(raw_params, lr, message):
    raw_params["method_params"]["draem"]["lr"] = lr
    with pytest.raises(ConfigError, match=message):
        parse_params(raw_params)


def test_ranges_apply_inside_lists_and_sections(raw_params):
    with pytest.raises(ConfigError, match=r"method_params\.draem\.lr_milestones\[1\]: 1\.5 is out of range"):
        build(get_method("draem").Config, {"lr_milestones": [0.8, 1.5]}, "method_params.draem")
    raw_params["demo"]["n_train"] = 0
    with pytest.raises(ConfigError, match=r"params\.yaml:demo\.n_train: 0 is out of range \(must be >= 1\)"):
        parse_params(raw_params)


def test_a_repeated_seed_is_an_error(raw_params):
    raw_params["seeds"] = [0, 1, 0]
    with pytest.raises(ConfigError, match=r"params\.yaml:seeds: seed 0 is listed more than once"):
        parse_params(raw_params)
    raw_params["seeds"] = [-1]
    with pytest.raises(ConfigError, match=r"params\.yaml:seeds\[0\]: -1 is out of range"):
        parse_params(raw_params)


def test_categories_are_expanded_as_the_dag_does(raw_params):
    raw_params["data"]["datasets"]["demo"]["categories"] = ["washer", "bottle"]
    with pytest.raises(ConfigError, match=r"data\.datasets\.demo\.categories: unknown category 'bottle'"):
        parse_params(raw_params)
    raw_params["data"]["datasets"] = {"mvtecad": {"categories": ["all"]}}
    with pytest.raises(ConfigError, match=r"data\.datasets\.mvtecad: unknown data set 'mvtecad'"):
        parse_params(raw_params)


def test_constraints_a_range_cannot_express_stay_checked():
    # NDP-Net's FFM pads m // 2: an even kernel would grow the feature map by one pixel
    with pytest.raises(ConfigError, match=r"method_params\.ndpnet: ffm_kernel must be odd, got 4"):
        build(get_method("ndpnet").Config, {"ffm_kernel": 4}, "method_params.ndpnet")
    with pytest.raises(ConfigError, match=r"report: delta_close \(6\.0\) must be <= delta_far \(5\.0\)"):
        build(ReportConfig, {"delta_close": 6}, "report")
