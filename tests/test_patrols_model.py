"""The patrol core without a store: content hash, validation, GeoJSON format, coverage, alerts."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from patrol_fixtures import NEAR_F03, NOW, make_patrol

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.alerts import alerts
from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS, coverage, overdue_targets
from fossilgis.patrols.geojson import patrols_from_geojson, patrols_to_geojson
from fossilgis.patrols.infer import infer_target, targets_frame
from fossilgis.patrols.model import (
    ALERT_CATEGORIES,
    OBSERVATION_CATEGORIES,
    category_code,
    content_hash,
    parse_time,
)
from fossilgis.patrols.validate import validate_patrol

LAYERS = Path(__file__).resolve().parent.parent / "layers"


@pytest.fixture(scope="module")
def targets():
    sites = gpd.read_file(LAYERS / "sites.geojson")
    sections = gpd.read_file(LAYERS / "sections.geojson")
    return targets_frame(sites, sections)


def test_categories_are_the_issue_list_with_both_languages():
    assert list(OBSERVATION_CATEGORIES) == [
        "intact", "weathering", "vegetation", "human_damage", "illegal_excavation",
        "construction_encroachment", "signage_damaged", "other",
    ]  # fmt: skip
    assert all(label.zh and label.en for label in OBSERVATION_CATEGORIES.values())
    assert set(ALERT_CATEGORIES) == {
        "human_damage",
        "illegal_excavation",
        "construction_encroachment",
    }
    assert category_code("非法采挖") == category_code("Illegal Excavation") == "illegal_excavation"
    assert category_code("looting") is None


def test_hash_ignores_spelling_of_the_same_content():
    a = make_patrol(2)
    b = a.replace(
        started_at=a.started_at.astimezone(dt.timezone(dt.timedelta(hours=8))),
        waypoints=[w for w in a.waypoints],
        track=shapely.MultiLineString(
            [[(x + 1e-9, y) for x, y in part.coords] for part in a.track.geoms]
        ),
    )
    assert content_hash(a) == content_hash(b)
    assert parse_time("2025-05-08T10:30:00", "t") == parse_time("2025-05-08T02:30:00Z", "t")


@pytest.mark.parametrize(
    "change",
    [
        {"team": ["张三"]},
        {"notes": "another note"},
        {"ended_at": NOW - dt.timedelta(days=1)},
        {"target_id": "GZ-F04"},
    ],
)
def test_hash_changes_with_content(change):
    a = make_patrol(1)
    assert content_hash(a) != content_hash(a.replace(**change))


def test_inferred_target_is_not_content():
    a = make_patrol(1, site_id=None)
    b = a.replace(target_kind="site", target_id="GZ-F03", target_inferred=True)
    assert content_hash(a) == content_hash(b)


def test_valid_patrol_passes(targets):
    patrol = make_patrol(3)
    assert validate_patrol(patrol, targets, NOW) == []
    assert patrol.target_distance_m == 0.0  # the track crosses the site


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"uuid": "patrol-1"}, "uuid", r"“patrol-1”, is not a valid UUID"),
        ({"ended_at": NOW - dt.timedelta(days=3)}, "ended_at", r"The patrol ends .* before"),
        (
            {"started_at": NOW + dt.timedelta(hours=1), "ended_at": NOW + dt.timedelta(hours=2)},
            "started_at",
            r"The start time of the patrol is 2025-05-10 21:00 Beijing time, later than",
        ),
        (
            {"track": shapely.MultiLineString([[(-71.1, 42.36), (-71.2, 42.37)]])},
            "track",
            r"The track has 2 point\(s\) outside Guizhou .* longitude -71.100000, latitude 42.36",
        ),
        ({"target_id": "GZ-F99"}, "target_id", r"“GZ-F99”, matches no site"),
        ({"target_kind": "cave"}, "target_kind", r"“cave”, is not known"),
        (
            {"track": None, "waypoints": [], "target_id": None, "target_kind": None},
            "track",
            r"The patrol has no location",
        ),
    ],
)
def test_errors_name_the_field(targets, change, field, message):
    with pytest.raises(PatrolValidationError, match=message) as info:
        validate_patrol(make_patrol(1).replace(**change), targets, NOW)
    assert field in [p.field for p in info.value.problems]


def test_waypoint_errors_are_all_listed(targets):
    patrol = make_patrol(2)
    patrol.waypoints[0].lon, patrol.waypoints[0].lat = 25.9, 105.4  # swapped
    patrol.waypoints[1].observation.category = "looting"
    with pytest.raises(PatrolValidationError) as info:
        validate_patrol(patrol, targets, NOW)
    assert len(info.value.problems) == 2
    assert info.value.problems[0].field == "waypoints[0].position"
    assert "point 1 (longitude 25.9, latitude 105.4) is outside Guizhou" in info.value.problems[0]
    assert "seem to be swapped" in info.value.problems[0]
    assert info.value.problems[1].field == "waypoints[1].category"
    assert "The category of point 2, “looting”, is not a known" in info.value.problems[1]


def test_track_far_from_site_is_a_warning(targets):
    patrol = make_patrol(0, site_id="GZ-F01")  # track at Guanling, site at Kaili (~320 km)
    warnings = validate_patrol(patrol, targets, NOW)
    assert len(warnings) == 1
    assert "km from site GZ-F01" in warnings[0] and "请确认保护对象" in warnings[0]


def test_infer_nearest_target(targets):
    hit = infer_target(shapely.Point(*NEAR_F03), targets)
    assert hit.kind == "site" and hit.id == "GZ-F03" and hit.distance_m == 0.0
    assert infer_target(shapely.Point(106.9, 28.9), targets, max_distance_m=100) is None


def test_geojson_round_trip():
    patrol = make_patrol(2)
    patrol.waypoints[1].observation = None
    back = patrols_from_geojson(patrols_to_geojson([patrol]))
    assert len(back) == 1 and content_hash(back[0]) == content_hash(patrol)


def test_geojson_errors_name_the_feature():
    body = patrols_to_geojson([make_patrol(1)])
    body["features"][1]["properties"]["category"] = "破坏"
    with pytest.raises(PatrolValidationError, match=r"The category of point 1, “破坏”") as info:
        patrols_from_geojson(body)
    assert info.value.problems[0].field == "features[1].category"
    with pytest.raises(PatrolValidationError, match="is not a patrol in GeoJSON"):
        patrols_from_geojson({"type": "Point"})


def test_coverage_lists_unpatrolled_targets(targets):
    patrols = pd.DataFrame(
        {
            "target_kind": ["site", "site", "section"],
            "target_id": ["GZ-F03", "GZ-F04", "GZ-S01"],
            "ended_at": pd.to_datetime(
                [
                    NOW - dt.timedelta(days=5),
                    NOW - dt.timedelta(days=200),
                    NOW - dt.timedelta(days=89),
                ],
                utc=True,
            ),
        }
    )
    table = coverage(patrols, targets, NOW)
    row = table.set_index("id").loc
    assert not row["GZ-F03", "overdue"] and row["GZ-F03", "days_since"] == pytest.approx(5)
    assert row["GZ-F04", "overdue"] and row["GZ-F04", "patrols_in_window"] == 0
    assert not row["GZ-S01", "overdue"]
    assert pd.isna(row["GZ-F01", "last_patrol"]) and row["GZ-F01", "overdue"]
    late = overdue_targets(patrols, targets, NOW, days=DEFAULT_COVERAGE_DAYS)
    assert len(late) == len(targets) - 2
    assert late.iloc[-1]["id"] == "GZ-F04"  # never-patrolled first, the 200-day one last
    assert len(overdue_targets(patrols, targets, NOW, days=4)) == len(targets)


def test_alert_clocks():
    seen = NOW - dt.timedelta(hours=30)
    wps = gpd.GeoDataFrame(
        {
            "uuid": [str(uuid.uuid4()) for _ in range(3)],
            "patrol_uuid": ["p1", "p1", "p2"],
            "category": ["illegal_excavation", "intact", "human_damage"],
            "severity": ["high", "none", "low"],
            "description": ["坑", "", None],
            "observed_at": pd.to_datetime([seen, seen, NOW - dt.timedelta(hours=2)], utc=True),
            "received_at": pd.to_datetime([NOW, NOW, NOW], utc=True),
            "target_kind": ["site"] * 3,
            "target_id": ["GZ-F03"] * 3,
        },
        geometry=[shapely.Point(*NEAR_F03)] * 3,
        crs="EPSG:4490",
    )
    table = alerts(wps, NOW)
    assert list(table["category"]) == ["human_damage", "illegal_excavation"]
    fresh, old = table.iloc[0], table.iloc[1]
    assert fresh["on_site_due"] == pd.Timestamp(NOW + dt.timedelta(hours=22))
    assert (fresh["on_site_status"], fresh["opinion_status"], fresh["status"]) == (
        "open",
        "open",
        "open",
    )
    assert old["on_site_due"] == pd.Timestamp(seen + dt.timedelta(hours=24))
    assert old["opinion_due"] == pd.Timestamp(seen + dt.timedelta(days=7))
    assert (old["on_site_status"], old["opinion_status"], old["status"]) == (
        "overdue",
        "open",
        "overdue",
    )
    assert old["category_zh"] == "非法采挖"
