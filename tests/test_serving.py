"""The serving core: versioned cache, JSON values, bbox parsing, audience decimals."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from fossilgis.errors import FossilGISError
from fossilgis.generalise import GENERALISED_DECIMALS
from fossilgis.serving import (
    PRECISE_DECIMALS,
    ParameterError,
    VersionedCache,
    json_safe,
    parse_bbox,
    served_decimals,
)


class FakeStore:
    """Counts loads and version asks; the version is set by the test."""

    def __init__(self):
        self.version = 1
        self.loads: list = []
        self.version_asks = 0

    def load(self, key):
        self.loads.append(key)
        return (key, self.version, len(self.loads))

    def version_of(self):
        self.version_asks += 1
        return self.version


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def fake_store():
    """A stand-in store that counts loads and version questions."""
    return FakeStore()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(fake_store, clock):
    return VersionedCache(fake_store.load, fake_store.version_of, 2.0, clock=clock)


# -- VersionedCache ----------------------------------------------------------------------
def test_first_get_loads_once(cache, fake_store):
    assert cache.get("sites") == ("sites", 1, 1)
    assert fake_store.loads == ["sites"] and fake_store.version_asks == 1


def test_within_check_interval_no_store_call(cache, fake_store, clock):
    first = cache.get("sites")
    fake_store.version = 2  # changed, but not yet asked
    clock.now += 1.9
    assert cache.get("sites") is first
    assert fake_store.loads == ["sites"] and fake_store.version_asks == 1


def test_version_change_reloads_after_interval(cache, fake_store, clock):
    cache.get("sites")
    fake_store.version = 2
    clock.now += 2.0
    assert cache.get("sites") == ("sites", 2, 2)
    assert fake_store.loads == ["sites", "sites"] and fake_store.version_asks == 2


def test_same_version_after_interval_asks_but_does_not_reload(cache, fake_store, clock):
    first = cache.get("sites")
    clock.now += 5
    assert cache.get("sites") is first
    assert fake_store.loads == ["sites"] and fake_store.version_asks == 2


def test_keys_are_cached_apart_and_share_the_version_check(cache, fake_store):
    assert cache.get(("sites", True)) != cache.get(("sites", False))
    assert fake_store.loads == [("sites", True), ("sites", False)] and fake_store.version_asks == 1


def test_single_value_cache_uses_key_none(fake_store, clock):
    cache = VersionedCache(fake_store.load, fake_store.version_of, clock=clock)
    assert cache.get() == (None, 1, 1)
    assert cache.get() == (None, 1, 1)
    assert fake_store.loads == [None]


def test_a_loader_may_read_other_keys(fake_store, clock):
    def load(key):
        if key == "zones":
            return ("zones", cache.get("sites"))
        return fake_store.load(key)

    cache = VersionedCache(load, fake_store.version_of, clock=clock)
    assert cache.get("zones") == ("zones", ("sites", 1, 1))


def test_a_failing_loader_caches_nothing(fake_store, clock):
    calls = []

    def load(key):
        calls.append(key)
        if len(calls) == 1:
            raise OSError("fake_store unreachable")
        return "ok"

    cache = VersionedCache(load, fake_store.version_of, clock=clock)
    with pytest.raises(OSError, match="fake_store unreachable"):
        cache.get("sites")
    assert cache.get("sites") == "ok"


# -- json_safe ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("语", "语"),
        (np.int64(3), 3),
        (np.float32(1.5), 1.5),
        (float("nan"), None),
        (np.float64("nan"), None),
        (math.inf, None),
        (np.bool_(True), True),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (pd.Timestamp("2024-05-01T08:00:00"), "2024-05-01T08:00:00"),
        (pd.NaT, None),
        (pd.NA, None),
        (b"\x01\xff", "01ff"),
        ((np.int32(1), float("nan")), [1, None]),
        (np.array([1, 2]), [1, 2]),
        ({1: np.bool_(False)}, {"1": False}),
    ],
)
def test_json_safe(value, expected):
    result = json_safe(value)
    assert result == expected
    assert type(result) is type(expected)


def test_json_safe_still_importable_from_screening():
    from fossilgis.screening import json_safe as from_screening

    assert from_screening is json_safe


# -- parse_bbox --------------------------------------------------------------------------
def test_bbox_absent_is_none():
    assert parse_bbox(None) is None


def test_bbox_four_numbers():
    assert parse_bbox("106.5,26.4,106.9,26.8") == (106.5, 26.4, 106.9, 26.8)


def test_bbox_six_numbers_drop_heights_when_allowed():
    assert parse_bbox("1,2,0,3,4,100", heights=True) == (1.0, 2.0, 3.0, 4.0)


def test_bbox_across_the_antimeridian_when_allowed():
    assert parse_bbox("170,-10,-170,10", antimeridian=True) == (170.0, -10.0, -170.0, 10.0)


def test_parameter_error_is_a_fossilgis_value_error():
    assert issubclass(ParameterError, FossilGISError)
    assert issubclass(ParameterError, ValueError)


@pytest.mark.parametrize(
    ("value", "options", "match"),
    [
        (
            "a,b,c,d",
            {},
            r"^bbox='a,b,c,d' is not a list of numbers; expected 4 numbers "
            r"minLon,minLat,maxLon,maxLat in CRS84",
        ),
        ("", {}, r"^bbox='' is not a list of numbers"),
        ("1,2", {}, r"^bbox='1,2' has not 4 finite numbers; expected 4 numbers"),
        ("1,2,0,3,4,100", {}, r"^bbox='1,2,0,3,4,100' has not 4 finite numbers"),
        (
            "1,2,3,4,5",
            {"heights": True},
            r"has not 4 finite numbers; expected 4 numbers "
            r"minLon,minLat,maxLon,maxLat \(or 6 with heights\)",
        ),
        ("nan,1,2,3", {}, r"^bbox='nan,1,2,3' has not 4 finite numbers"),
        ("0,0,inf,1", {}, r"has not 4 finite numbers"),
        ("0,0,200,10", {}, r"^bbox='0,0,200,10' is outside -180..180 / -90..90"),
        ("0,-91,1,1", {}, r"is outside -180..180 / -90..90 or has minLat > maxLat"),
        (
            "0,10,1,5",
            {},
            r"^bbox='0,10,1,5' is outside .* or has minLat > maxLat; "
            r"expected .* e\.g\. bbox=106\.5,26\.4,106\.9,26\.8$",
        ),
        ("10,10,5,15", {}, r"^bbox='10,10,5,15' has minLon > maxLon; expected 4 numbers"),
    ],
)
def test_bad_bbox(value, options, match):
    with pytest.raises(ParameterError, match=match):
        parse_bbox(value, **options)


# -- audience ----------------------------------------------------------------------------
def test_staff_get_precise_decimals_everywhere():
    for kind in ("sites", "sections", "zones", "patrols"):
        assert served_decimals(kind, staff=True) == PRECISE_DECIMALS


def test_public_sites_zones_and_patrols_are_generalised_sections_precise():
    assert served_decimals("sites", staff=False) == GENERALISED_DECIMALS
    assert served_decimals("zones", staff=False) == GENERALISED_DECIMALS
    assert served_decimals("patrols", staff=False) == GENERALISED_DECIMALS
    assert served_decimals("sections", staff=False) == PRECISE_DECIMALS


def test_staff_see_the_layer_as_read_without_loading_rules():
    from fossilgis.serving import for_audience

    def no_rules():
        raise AssertionError("rules loaded for staff")

    gdf = pd.DataFrame({"id": ["S1"]})
    assert for_audience(object(), "sites", gdf, staff=True, rules=no_rules) is gdf
