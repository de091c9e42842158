"""/check's CRS question: the proposed CRS pre-filled, the upload kept and confirmed by its
token alone, in the page's language; and the core's notes and errors in one language."""

from __future__ import annotations

import os
import re
import time
import zipfile

import pytest
from webmap_fixtures import csrf_of, signed_in, zipped_shapefile

TOKEN_RE = r"[A-Za-z0-9_-]{32}"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff5e]")


@pytest.fixture
def client(app):
    """A viewer (reviewers screen with viewer accounts)."""
    return signed_in(app, "viewer1")


def _without_prj(tmp_path, crs: str, name: str = "redline"):
    """A zipped shapefile of a 200 m square on site GZ-F01 in ``crs``, without its .prj."""
    whole = zipped_shapefile(tmp_path, name=name, crs=crs)
    path = tmp_path / f"{name}-noprj.zip"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(path, "w") as dst:
        for member in src.namelist():
            if not member.endswith(".prj"):
                dst.writestr(member, src.read(member))
    return path


def _upload(client, path, lang="en", **fields):
    data = {"footprint": (open(path, "rb"), path.name), "project_type": "building", **fields}
    return client.post(f"/check?lang={lang}", data=data, content_type="multipart/form-data")


def _confirm(client, token, lang="en", **fields):
    data = {"pending": token, "project_type": "building", **fields}
    return client.post(f"/check?lang={lang}", data=data, content_type="multipart/form-data")


def _pending(html: str) -> str:
    return re.search(rf'name="pending" id="check-pending" value="({TOKEN_RE})"', html).group(1)


def _crs_value(html: str) -> str:
    return re.search(r'name="crs" id="check-crs" value="([^"]*)"', html).group(1)


def _paragraph(html: str, id_: str) -> str:
    return re.search(rf'id="{id_}">([^<]*)<', html).group(1)


def _folder(app, token):
    return app.extensions["fossilgis_results"].directory / "pending" / token


def test_no_prj_proposes_the_crs_pre_filled_and_keeps_the_file(app, client, tmp_path):
    r = _upload(client, _without_prj(tmp_path, "EPSG:4524"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422, html[-1500:]
    assert _crs_value(html) == "EPSG:4524"  # from CRSError.proposed_crs
    assert 'class="check-ask" autofocus' in html
    error = _paragraph(html, "check-error")
    assert error == (
        "redline-noprj.zip!redline.shp declares no coordinate reference system: "
        "zone prefix 36 → CGCS2000 3° Gauss-Krüger zone 36 (EPSG:4524)."
    )
    assert "kept on the server for 60 minutes" in _paragraph(html, "check-confirm-crs")
    assert _paragraph(html, "check-kept-names") == "redline-noprj.zip"
    token = _pending(html)
    assert (_folder(app, token) / "redline-noprj.zip").is_file()
    assert 'name="csrf_token"' in html and "/tmp/" not in html and "pending/" not in html


def test_confirming_with_the_token_alone_screens_the_kept_file(app, client, tmp_path):
    html = _upload(client, _without_prj(tmp_path, "EPSG:4524")).get_data(as_text=True)
    token = _pending(html)
    r = _confirm(client, token, crs=_crs_value(html))  # no file chosen again
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-grade="avoid"' in page and "EPSG:4524" in page
    assert not _folder(app, token).exists()  # used: removed
    result = r.headers["Location"].rsplit("/", 1)[1]
    kept = app.extensions["fossilgis_results"].files(result)
    assert [name for name, _data, _mime in kept] == ["redline-noprj.zip"]  # for a case
    r = _confirm(client, token, crs="EPSG:4524")  # the same token again
    assert r.status_code == 400
    assert _paragraph(r.get_data(as_text=True), "check-error") == (
        "The file sent before is no longer kept (files wait 1 h); choose it again."
    )


def test_the_options_survive_the_question(client, tmp_path):
    path = _without_prj(tmp_path, "EPSG:4524")
    # an unticked box sends only the hidden "false" that follows it
    r = _upload(client, path, project_type="linear", ground_disturbance="false", line_width_m="30")
    html = r.get_data(as_text=True)
    assert re.search(r'<option value="linear" selected>', html)
    assert re.search(r'name="ground_disturbance" value="true" >', html)  # still unticked
    assert 'name="line_width_m" min="0" step="any" value="30"' in html
    r = _confirm(
        client,
        _pending(html),
        crs="EPSG:4524",
        project_type="linear",
        ground_disturbance="false",
        line_width_m="30",
    )
    options = client.get(r.headers["Location"] + ".json").get_json()["options"]
    assert options["ground_disturbance"] is False and options["line_width_m"] == 30
    assert options["project_type"] == "linear"


def test_without_a_proposal_the_crs_is_asked_and_the_file_kept(app, client, tmp_path):
    # CGCS2000 3° Gauss-Krüger, central meridian 108°E, without the zone prefix: no guess
    r = _upload(client, _without_prj(tmp_path, "EPSG:4545"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _crs_value(html) == ""
    assert "without the zone prefix" in _paragraph(html, "check-error")
    assert "Give the coordinate reference system below" in html
    r = _confirm(client, _pending(html), crs="EPSG:4545")
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]


def test_a_wrong_crs_asks_again_and_keeps_the_file(app, client, tmp_path):
    token = _pending(_upload(client, _without_prj(tmp_path, "EPSG:4524")).get_data(as_text=True))
    r = _confirm(client, token, crs="EPSG:99999")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "EPSG:99999" in html and _pending(html) == token
    assert _confirm(client, token, crs="EPSG:4524").status_code == 303


def test_unknown_expired_or_foreign_tokens_are_refused_in_the_page_language(app, client, tmp_path):
    for lang, expected in (
        ("en", "The file sent before is no longer kept (files wait 1 h); choose it again."),
        ("zh", "之前上传的文件已不再保留（文件保留 1 小时）；请重新选择。"),
    ):
        for token in ("x" * 32, "../../secret_key", "a/b"):
            r = _confirm(client, token, lang=lang, crs="EPSG:4524")
            assert r.status_code == 400
            assert _paragraph(r.get_data(as_text=True), "check-error") == expected
    html = _upload(client, _without_prj(tmp_path, "EPSG:4524")).get_data(as_text=True)
    token = _pending(html)
    other = signed_in(app, "admin1")  # another user's session does not get it
    assert _confirm(other, token, crs="EPSG:4524").status_code == 400
    old = time.time() - 2 * 3600  # older than the hour a kept file waits
    os.utime(_folder(app, token), (old, old))
    r = _confirm(client, token, crs="EPSG:4524")
    assert r.status_code == 400 and "no longer kept" in r.get_data(as_text=True)
    assert not _folder(app, token).exists()  # expired: removed


def test_a_new_file_replaces_the_kept_one(app, client, tmp_path):
    first = _pending(_upload(client, _without_prj(tmp_path, "EPSG:4524")).get_data(as_text=True))
    other = tmp_path / "other"
    other.mkdir()
    r = _upload(client, _without_prj(other, "EPSG:4524", name="second"), pending=first)
    second = _pending(r.get_data(as_text=True))
    assert second != first and not _folder(app, first).exists()
    assert _folder(app, second).is_dir()


def test_the_confirmation_needs_the_csrf_token_and_a_sign_in(app, client, tmp_path):
    html = _upload(client, _without_prj(tmp_path, "EPSG:4524")).get_data(as_text=True)
    token = _pending(html)
    del client.environ_base["HTTP_X_CSRF_TOKEN"]  # from now on only the form's field counts
    r = _confirm(client, token, crs="EPSG:4524")
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert _folder(app, token).is_dir()  # a refused request leaves the file
    r = _confirm(client, token, crs="EPSG:4524", csrf_token="forged")
    assert r.status_code == 400 and _folder(app, token).is_dir()
    r = _confirm(client, token, crs="EPSG:4524", csrf_token=csrf_of(client, "/check"))
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    visitor = app.test_client()
    csrf = csrf_of(visitor, "/check")
    r = visitor.post("/check", data={"pending": token, "csrf_token": csrf})
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_the_question_is_in_the_page_language_only(client, tmp_path):
    html = _upload(client, _without_prj(tmp_path, "EPSG:4524"), lang="zh").get_data(as_text=True)
    error = _paragraph(html, "check-error")
    assert error == (
        "redline-noprj.zip!redline.shp 未声明坐标系："
        "坐标带号 36 → CGCS2000 3° 高斯-克吕格 36 带 (EPSG:4524)。"
    )
    confirm = _paragraph(html, "check-confirm-crs")
    assert "下方已预填建议的坐标系" in confirm and "60 分钟" in confirm
    for text in (error.replace("redline-noprj.zip!redline.shp", ""), confirm):
        assert not re.search(r"[A-Za-z]", re.sub(r"CGCS2000|EPSG:\d+", "", text)), text
    (tmp_path / "en").mkdir()
    html = _upload(client, _without_prj(tmp_path / "en", "EPSG:4524")).get_data(as_text=True)
    for id_ in ("check-error", "check-confirm-crs"):
        assert not CJK.search(_paragraph(html, id_)), _paragraph(html, id_)


def test_notes_on_the_result_are_in_the_page_language(client, tmp_path):
    path = _without_prj(tmp_path, "EPSG:4490")  # degrees inside Guizhou: read, with a note
    zh = client.get(_upload(client, path, lang="zh").headers["Location"] + "?lang=zh")
    zh = zh.get_data(as_text=True)
    assert "坐标为贵州范围内的经纬度" in zh and "coordinates are longitude/latitude" not in zh
    en = client.get(_upload(client, path).headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "coordinates are longitude/latitude inside Guizhou" in en
    assert "坐标为贵州范围内的经纬度" not in en


def test_one_language_of_a_core_message():
    from webmap.check_confirm import in_language

    note = "无 .dbf，没有属性 / no .dbf: the features have no attributes"
    assert in_language(note, "zh") == "无 .dbf，没有属性"
    assert in_language(note, "en") == "no .dbf: the features have no attributes"
    error = "a.shp: X/Y look swapped (X/Y 坐标颠倒): the first coordinate is a northing"
    assert in_language(error, "en") == "a.shp: X/Y look swapped: the first coordinate is a northing"
    assert in_language(error, "zh") == error  # the core has no Chinese form of it
    crs = "CGCS2000 / 3-degree Gauss-Kruger zone 36 (带号 36)"  # " / " in a name is no split
    assert in_language(crs, "en") == "CGCS2000 / 3-degree Gauss-Kruger zone 36"
