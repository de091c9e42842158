"""The language switch, Accept-Language, and the completeness of the string table."""
# ruff: noqa: F811  (fixtures imported from webmap_fixtures are redefined as arguments)

from __future__ import annotations

import pytest
from webmap_fixtures import app, client, webmap_data  # noqa: F401  (fixtures)


def test_every_string_exists_in_both_languages():
    from webmap.i18n import STRINGS, VOCABULARIES

    for key, (zh, en) in STRINGS.items():
        assert zh.strip() and en.strip(), key
        assert zh != en or key == "id", key
    for name, table in VOCABULARIES.items():
        for key, labels in table.items():
            assert labels["zh"] and labels["en"], (name, key)


@pytest.mark.parametrize("header,lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-TW", "zh"), ("en-GB,en;q=0.9", "en"),
    ("fr-FR", "en"), ("", "en"), ("de;q=0.9,zh-Hans;q=0.8", "zh"),
])
def test_language_from_accept_language(client, header, lang):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert ('<html lang="zh-CN">' in html) == (lang == "zh")


def test_switch_is_remembered_in_a_cookie(client):
    r = client.get("/?lang=zh", headers={"Accept-Language": "en"})
    assert "lang=zh" in r.headers["Set-Cookie"]
    assert "贵州省古生物化石保护地图" in r.get_data(as_text=True)
    html = client.get("/sites/GZ-F01", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "保护级别" in html  # the cookie wins over Accept-Language
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Guizhou fossil protection map" in html
    assert client.get("/?lang=xx").status_code == 200


def test_errors_in_both_languages(client):
    assert "未找到" in client.get("/nope?lang=zh").get_data(as_text=True)
    assert "No such page" in client.get("/nope?lang=en").get_data(as_text=True)
    r = client.get("/api/layers/sites.geojson?bbox=1&lang=zh")
    assert "bbox 须为四个数" in r.get_json()["description"]


def test_map_labels_follow_the_language(client):
    zh = client.get("/?lang=zh").get_data(as_text=True)
    assert "国家级重点" in zh and "leaflet-measure.cn.js" in zh
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "National key" in en and "leaflet-measure.en.js" in en
