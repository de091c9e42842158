"""Translations: the catalogues against the code, the language switch and Accept-Language."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "webmap" / "translations"


def extracted(root: Path = ROOT, config: Path = ROOT / "babel.cfg") -> set[tuple]:
    """(msgctxt, msgid) of every text that ``pybabel extract -F babel.cfg`` finds."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with config.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        root, method_map, options_map
    ):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        found.add((context, msgid))
    return found


def catalogue(locale: str, name: str = "messages.po"):
    from babel.messages.pofile import read_po

    path = CATALOGUES / (name if name.endswith(".pot") else f"{locale}/LC_MESSAGES/{name}")
    with path.open("rb") as f:
        return read_po(f, locale=locale if locale else None)


def entries(cat) -> dict[tuple, object]:
    return {(m.context, m.id): m for m in cat if m.id}


def untranslated(used: set[tuple], cat) -> list[tuple]:
    """The texts in use that ``cat`` lacks, leaves empty or marks fuzzy."""
    have = entries(cat)
    return sorted(
        (k for k in used if k not in have or not have[k].string or have[k].fuzzy), key=str
    )


def test_every_text_in_use_has_a_chinese_translation():
    used = extracted()
    assert len(used) > 150  # the extraction really ran over views and templates
    assert (None, "Sign in") in used and ("alert", "Status") in used  # template, pgettext
    assert (None, "Stored by the server.") in used  # a view
    assert not untranslated(used, catalogue("zh_CN")), "run pybabel update (docs/webmap.md)"


def test_the_check_catches_a_missing_msgid(tmp_path):
    (tmp_path / "webmap" / "templates").mkdir(parents=True)
    (tmp_path / "webmap" / "templates" / "x.html").write_text(
        '{{ _("Sign in") }} {{ _("A text nobody translated") }}', encoding="utf-8"
    )
    (tmp_path / "webmap" / "v.py").write_text('_("Stored by the server.")\n', encoding="utf-8")
    used = extracted(tmp_path)
    assert used == {
        (None, "Sign in"),
        (None, "A text nobody translated"),
        (None, "Stored by the server."),
    }
    assert untranslated(used, catalogue("zh_CN")) == [(None, "A text nobody translated")]


def test_catalogues_hold_no_unused_texts_and_agree_with_the_template():
    used = extracted()
    template = set(entries(catalogue(None, "messages.pot")))
    assert template == used, "run pybabel extract and update (docs/webmap.md, Translating)"
    for locale in ("zh_CN", "en"):
        assert set(entries(catalogue(locale))) == used, locale


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_catalogues_are_valid(locale):
    cat = catalogue(locale)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]
    assert problems == []  # placeholders of each translation match its msgid
    assert not [m.id for m in cat if m.id and m.fuzzy]
    if locale == "zh_CN":
        assert all(m.string != m.id for m in cat if m.id and m.id != "Id")


def test_keyed_messages_and_code_labels_in_both_languages():
    from fossilgis import vocab as codes
    from webmap.i18n import MESSAGES, text, vocab

    assert text("err_need_admin", "zh", user="wang", role="viewer") == (
        "此操作需要管理员权限；当前账号 wang（viewer）。"
    )
    assert text("err_bad_bbox", "en", value="1") == (
        "bbox must be four numbers minx,miny,maxx,maxy in degrees, got '1'."
    )
    for key in MESSAGES:
        assert text(key, "zh") != text(key, "en"), key
    assert vocab("role", "patroller", "zh") == codes.ROLES.zh("patroller")
    assert vocab("alert_status", "overdue", "en") == "Overdue"
    assert vocab("protection_level", "no_such_code", "zh") == "no_such_code"


def test_client_strings_keep_their_keys_and_placeholders():
    from webmap.i18n import client_strings

    zh, en = client_strings("zh"), client_strings("en")
    assert zh.keys() == en.keys()
    assert zh["layer_coverage"] == "{days} 天内未巡护"
    assert en["drawn_count"] == "{n} shape(s) drawn"
    assert zh["status:overdue"] == "已超期" and en["level:national_key"] == "National key"


@pytest.mark.parametrize(
    "header,lang",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-TW", "zh"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        ("de;q=0.9,zh-Hans;q=0.8", "zh"),
        ("zh-CN, en", "zh"),
        ("en, zh-CN", "en"),
        ("zh-Hant-TW,en;q=0.5", "zh"),
        ("*", "en"),
        ("en;q=0.5, zh;q=0.6", "zh"),
        ("zh_CN", "zh"),
    ],
)
def test_language_from_accept_language(client, header, lang):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert ('<html lang="zh-CN">' in html) == (lang == "zh")


def test_switch_is_remembered_in_a_cookie(client):
    r = client.get("/?lang=zh", headers={"Accept-Language": "en"})
    assert "lang=zh" in r.headers["Set-Cookie"]
    assert "贵州省古生物化石保护地图" in r.get_data(as_text=True)
    assert ">English</a>" in r.get_data(as_text=True)  # the switch names the other language
    html = client.get("/sites/GZ-F01", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "保护级别" in html  # the cookie wins over Accept-Language
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Guizhou fossil protection map" in html and ">中文</a>" in html
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


def test_site_page_labels_in_both_languages(client):
    zh = client.get("/sites/GZ-F01?lang=zh").get_data(as_text=True)
    assert "位置精度" in zh and " 级，约 " in zh and "边界状态" in zh
    en = client.get("/sites/GZ-F01?lang=en").get_data(as_text=True)
    assert "Location accuracy" in en and "class " in en and "Boundary status" in en
