"""A geological map reaches past decisions: importing one re-screens the live cases and
flags those it gives something to do (synthetic units only)."""

from __future__ import annotations

import pytest
import shapely
from case_fixtures import details, screen_geoms
from potential_fixtures import ORIGIN, synthetic_map, synthetic_table

from fossilgis.cases.rescreen import rescreen_cases

X, Y = ORIGIN


@pytest.fixture
def table(tmp_path, monkeypatch):
    monkeypatch.setenv("FOSSILGIS_POTENTIAL", str(synthetic_table(tmp_path)))


def test_importing_a_map_flags_only_the_cases_it_asks_something_of(store, table):
    on_class_5 = shapely.box(X + 0.004, Y + 0.004, X + 0.008, Y + 0.008)
    on_class_1 = shapely.box(X + 0.024, Y + 0.004, X + 0.028, Y + 0.008)
    numbers = []
    for name, geom in (("五级地层上的采石场", on_class_5), ("一级地层上的采石场", on_class_1)):
        screening = screen_geoms(store, [geom], project_type="mining")
        assert screening.projects[0]["potential"] is None  # no map yet
        numbers.append(store.cases.open(details(name), user="t", screening=screening))
    store.formations.replace(synthetic_map(), source="geology.shp", user="t")
    report = rescreen_cases(store, user="t", lang="en")
    assert "formations v1" in report.revision
    assert list(report.changed) == [numbers[0]]
    line = report.changed[numbers[0]]
    assert "fossil potential now class 5, was not affected" in line
    flagged = store.cases.get(numbers[0])
    assert flagged["flag"] and flagged["grade"] == "assess"
    assert flagged["targets"] == []  # the potential is not a site or section
    quiet = store.cases.get(numbers[1])
    assert not quiet["flag"] and quiet["grade"] == "none"
    # the same map again: nothing changes, nothing new is flagged
    assert rescreen_cases(store, user="t").changed == {}
