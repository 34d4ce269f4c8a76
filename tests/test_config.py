"""Tests of the strict params.yaml loader (src/synthad/config.py)."""

import copy
from pathlib import Path

import pytest
import yaml

from synthad.config import (
    DemoConfig,
    EvaluateConfig,
    MaskSetting,
    Params,
    build,
    load_params,
    parse_params,
    parse_slice,
)
from synthad.errors import ConfigError

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


def test_range_check_reports_section():
    with pytest.raises(ConfigError, match="evaluate: pro_fpr_limit"):
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
    from synthad.config import parse_params

    sdas = {"image_size": 32, "block_out_channels": [32, 64, 64], "attention_resolutions": [8]}
    params = parse_params({"synthesis": {"sdas": sdas}})
    assert params.synthesis.sdas["image_size"] == 32
    with pytest.raises(ConfigError, match="synthesis.sdas.train_step"):
        parse_params({"synthesis": {"sdas": {"train_step": 10}}})
    with pytest.raises(ConfigError, match="synthesis.sdas"):
        parse_params({"synthesis": {"sdas": {"prediction_type": "x0"}}})
