"""The transcribed paper tables (synthad.report.claims).

They load and validate, reproduce the papers' printed averages, agree where a paper prints a number
twice, and a corrupt file fails with a message naming it.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import shutil

import pytest

from synthad.errors import DataError
from synthad.report.claims import CLAIMS_DIR, check_table, claims_frame, load_claims, load_table

EXPECTED = {
    "dmp": {"1", "2", "3", "4"},
    "ndpnet": {"II", "III", "IV", "V", "VI"},
    "imm_alm": {"1", "2", "3", "4", "5", "6", "7"},
    "realnet": {"1", "3", "5a", "5b", "S1", "S2", "S3", "S4"},
    "slsg": {"1", "2", "3", "4", "5", "6", "7"},
}
TABLES = {t.key: t for t in load_claims()}
WITH_MEANS = sorted(k for k, t in TABLES.items() if any(s.check for s in t.summaries))
CONFIGS = {"dmp": "synthad.methods.dmp.config", "ndpnet": "synthad.methods.ndpnet.config",
           "realnet": "synthad.methods.realnet.method", "draem": "synthad.methods.draem.method"}


def test_every_listed_table_is_transcribed_once():
    found = {}
    for table in TABLES.values():
        found.setdefault(table.paper, set()).add(table.table)
    assert found == EXPECTED


@pytest.mark.parametrize("key", WITH_MEANS)
def test_printed_averages_match_the_transcribed_cells(key):
    checks = check_table(TABLES[key])
    comparable = [c for c in checks if c.comparable]
    assert len(comparable) >= 3, f"{key}: almost nothing to compare"
    bad = [str(c) for c in comparable if not c.ok]
    assert not bad, "\n".join(bad)


def _copy(tmp_path, name):
    dst = tmp_path / name
    shutil.copy(CLAIMS_DIR / name, dst)
    return dst


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new))


def test_a_perturbed_cell_breaks_the_average_check(tmp_path):
    path = _copy(tmp_path, "dmp_table2.yaml")
    assert all(c.ok for c in check_table(load_table(path)))
    bottle = "[100.0, 99.4, 100.0, 99.2, 99.8, 54.6, 99.5]"
    _edit(path, bottle, bottle.replace("99.2", "98.2"))  # DRAEM bottle -1.0: its average moves by 1/15
    bad = [c for c in check_table(load_table(path)) if not c.ok]
    assert [(c.entry, c.metric) for c in bad] == [("draem", "image_auroc")]
    assert bad[0].computed == pytest.approx(97.98 - 1.0 / 15, abs=1e-3)


def test_a_perturbed_tuple_element_breaks_only_its_metric(tmp_path):
    path = _copy(tmp_path, "realnet_table3.yaml")
    _edit(path, "[100.0, 97.46, 84.79]", "[100.0, 97.46, 83.79]")
    bad = [(c.summary, c.entry, c.metric) for c in check_table(load_table(path)) if not c.ok]
    assert bad == [("AVG", "sia", "pixel_aupro")]


def test_a_stale_mismatch_note_fails(tmp_path):
    path = _copy(tmp_path, "dmp_table3.yaml")
    _edit(path, "    mismatches:\n", "    mismatches:\n      draem: \"claimed wrongly\"\n")
    bad = [c for c in check_table(load_table(path)) if not c.ok]
    assert [c.entry for c in bad] == ["draem"]


def test_removing_a_mismatch_note_exposes_the_paper_error(tmp_path):
    path = _copy(tmp_path, "dmp_table3.yaml")
    text = path.read_text()
    start = text.index("    mismatches:")
    path.write_text(text[:start])
    bad = [c for c in check_table(load_table(path)) if not c.ok]
    assert [c.entry for c in bad] == ["riad"] and bad[0].printed == 48.2


CORRUPTIONS = [
    ("unknown top-level key", "paper: dmp\n", "paper: dmp\ncolour: red\n", "unknown key(s) ['colour']"),
    ("short row", "values: [93.1, 97.3, 90.8, 93.4, 92.9, 98.8]", "values: [93.1, 97.3, 90.8, 93.4, 92.9]",
     "rows[1] (cable): 5 values for 6 columns"),
    ("unknown category", "{category: metal_nut,", "{category: metal_nuts,", "category 'metal_nuts' unknown"),
    ("unknown entry", "  - {entry: stfpm}", "  - {entry: stfmp}", "unknown entry 'stfmp'"),
    ("undeclared metric", "metric: image_auroc\n", "metric: pixel_auroc\n",
     "metric 'pixel_auroc' is not declared"),
    ("text in a cell", "[100.0, 99.4, 100.0, 99.8, 93.2, 99.5]", "[100.0, 99.4, 100.0, 99.8, high, 99.5]",
     "expected a number or null"),
    ("coordinate twice", "{category: pill,", "{entry: ours, category: pill,", "['entry'] given by both"),
    ("unknown method", "{label: \"Ours\", method: dmp}", "{label: \"Ours\", method: dmp2}",
     "unknown method 'dmp2'"),
    ("bad yaml", "rows:\n", "rows: [\n", "cannot read claims file"),
]


@pytest.mark.parametrize(("what", "old", "new", "message"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_a_corrupt_file_names_itself_and_the_problem(tmp_path, what, old, new, message):
    path = _copy(tmp_path, "dmp_table1.yaml")
    _edit(path, old, new)
    with pytest.raises(DataError) as info:
        load_table(path)
    assert str(path) in str(info.value) and message in str(info.value), str(info.value)


def test_a_tuple_cell_of_the_wrong_length_is_rejected(tmp_path):
    path = _copy(tmp_path, "realnet_table3.yaml")
    _edit(path, "[100.0, 97.46, 84.79]", "[100.0, 97.46]")
    with pytest.raises(DataError, match=r"connector.*expected a cell of 3 values"):
        load_table(path)


def test_a_second_file_for_the_same_table_is_rejected(tmp_path):
    _copy(tmp_path, "dmp_table1.yaml")
    shutil.copy(CLAIMS_DIR / "dmp_table1.yaml", tmp_path / "dmp_table1_copy.yaml")
    with pytest.raises(DataError, match="dmp/1 is already transcribed"):
        load_claims(tmp_path)


def test_two_cells_with_one_address_are_rejected(tmp_path):
    path = _copy(tmp_path, "dmp_table4.yaml")
    _edit(path, "{entry: row3, values", "{entry: row2, values")
    with pytest.raises(DataError, match="share the address"):
        load_table(path)


def _values(key, entry, metric, dataset=None):
    table = TABLES[key]
    return {c.category: c.values[c.metrics.index(metric)] for c in table.cells
            if c.entry == entry and metric in c.metrics and (dataset is None or c.dataset == dataset)}


def _summary(key, category, entry, metric):
    for s in TABLES[key].summaries:
        for c in s.cells:
            if s.category == category and c.entry == entry and metric in c.metrics:
                return c.values[c.metrics.index(metric)]
    raise KeyError((key, category, entry, metric))


# Numbers each paper prints twice: a typo in either transcription breaks the equality.
SAME = [
    (("dmp/1", "ours", "image_auroc"), ("dmp/2", "ours", "image_auroc"), 1.0),
    (("dmp/2", "draem", "image_auroc"), ("slsg/2", "draem", "image_auroc"), 1.0),
    (("imm_alm/3", "draem", "pixel_auroc"), ("slsg/2", "draem", "pixel_auroc"), 100.0),
    (("realnet/1", "sia", "image_auroc"), ("realnet/S3", "wrn50", "image_auroc"), 1.0),
    (("realnet/1", "sia", "pixel_auroc"), ("realnet/S3", "wrn50", "pixel_auroc"), 1.0),
    (("realnet/1", "sia", "pixel_aupro"), ("realnet/S3", "wrn50", "pixel_aupro"), 1.0),
    (("realnet/S1", "spade", "image_auroc"), ("slsg/1", "spade", "image_auroc"), 1.0),
    (("realnet/S1", "p_svdd", "pixel_auroc"), ("slsg/1", "p_svdd", "pixel_auroc"), 1.0),
    (("imm_alm/2", "i", "pixel_auroc"), ("imm_alm/4", "ours", "pixel_auroc"), 1.0),
]


@pytest.mark.parametrize(("a", "b", "scale"), SAME, ids=[f"{a[0]}-{b[0]}-{a[2]}" for a, b, _ in SAME])
def test_numbers_printed_twice_agree(a, b, scale):
    left, right = _values(*a), _values(*b)
    assert left and left.keys() == right.keys()
    assert {k: round(v * scale, 3) for k, v in left.items()} == {k: round(v, 3) for k, v in right.items()}


def test_lv_feature_map_columns_equal_tables_2_3_and_4():
    table1 = TABLES["imm_alm/1"]
    assert _values("imm_alm/1", "feature_map_no_imm", "pixel_auroc") == \
        {k: v for k, v in _values("imm_alm/3", "ours", "pixel_auroc").items() if k in
         {c.category for c in table1.cells}}
    assert _values("imm_alm/1", "feature_map", "pixel_auroc") == _values("imm_alm/2", "i", "pixel_auroc")


def test_headline_averages_repeat_across_realnet_slsg_and_dmp_tables():
    full, triple = (99.65, 99.03, 93.07), ("image_auroc", "pixel_auroc", "pixel_aupro")
    assert tuple(_summary("realnet/1", "mean", "sia", m) for m in triple) == full
    for key, entry in (("realnet/5a", "e4"), ("realnet/5b", "s_range"), ("realnet/S4", "a")):
        assert tuple(_values(key, entry, m)["mean"] for m in triple) == full
    slsg_mean = _summary("slsg/3", "mean", "ours", "image_auroc")
    for key, entry in (("slsg/4", "slsg"), ("slsg/5", "slsg"), ("slsg/6", "k9"), ("slsg/7", "slsg")):
        assert _values(key, entry, "image_auroc")["mean"] * 100 == pytest.approx(slsg_mean)
    dmp_mean = _summary("dmp/1", "mean", "ours", "image_auroc")
    assert _values("dmp/4", "row7", "image_auroc")["mean"] == pytest.approx(dmp_mean, abs=0.05)


def test_the_long_frame_addresses_every_number_once():
    frame = claims_frame()
    address = ["paper", "table", "dataset", "category", "row", "metric"]
    assert not frame.duplicated(address).any()
    ours = {"dmp", "ndpnet", "imm_alm", "realnet", "slsg", "draem", "patchcore"}
    assert set(frame["method"].dropna()) == ours
    assert set(frame["kind"]) == {"value", "printed_mean", "printed_std"}
    assert frame["value"].notna().sum() > 2000
    row7 = frame[(frame.paper == "dmp") & (frame.table == "4") & (frame.row == "row7")]
    assert row7.set_index("metric")["value"].to_dict() == {"image_auroc": 99.70, "image_ap": 99.87}
    row1 = frame[(frame.paper == "dmp") & (frame.table == "4") & (frame.row == "row1")]
    assert set(row1["metric"]) == {"image_auroc", "pixel_ap"}  # the AP of row 1 is DRAEM's pixel AP
    # Row 1 is DRAEM itself: our draem method (its own synthesis), not a DMP variant.
    assert set(row1["method"]) == {"draem"} and json.loads(row1["overrides"].iloc[0]) == {}
    dtd_rows = frame[(frame.paper == "dmp") & (frame.table == "4") & frame.row.isin(["row2", "row3"])]
    assert {json.loads(o)["anomaly_source"] for o in dtd_rows["overrides"]} == {"draem"}  # DRAEM's synthesis


def _config_fields(method):
    module = importlib.import_module(CONFIGS[method])
    return module.Config, {f.name for f in dataclasses.fields(module.Config)}


def test_overrides_of_implemented_variants_build_a_valid_config():
    from synthad.synthesis.sdas_config import SdasConfig

    sdas_fields = {f.name for f in dataclasses.fields(SdasConfig)}
    checked = 0
    for table in TABLES.values():
        for entry in table.entries.values():
            if entry.method not in CONFIGS or entry.tentative or not entry.implemented:
                continue
            cls, fields = _config_fields(entry.method)
            plain = {k: v for k, v in entry.overrides.items() if "." not in k}
            dotted = {k.removeprefix("synthesis.sdas.") for k in entry.overrides if "." in k}
            assert set(plain) <= fields, f"{table.key} {entry.key}: {set(plain) - fields}"
            assert dotted <= sdas_fields, f"{table.key} {entry.key}: {dotted - sdas_fields}"
            cls(**plain)  # raises on an invalid combination
            checked += 1
    assert checked > 25
