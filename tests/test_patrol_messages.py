"""What a patroller reads about an upload: every warning and refusal in plain 中文 and English,
the field named in words, times in Beijing time, and the machine part (``field``, ``code``)
kept, through the API (JSON and multipart), the form without JavaScript and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import pickle
import re
import shutil
import string
import uuid as uuidlib

import pytest
from click.testing import CliRunner
from patrol_fixtures import make_patrol, png_bytes
from webmap_fixtures import _app, add_users, signed_in

from fossilgis.cli.main import cli
from fossilgis.patrols.message_texts import TEXTS
from fossilgis.patrols.messages import (
    Message,
    Period,
    Words,
    beijing,
    field_words,
    message,
    refused,
    shown,
)

NEAR_F03 = (105.40, 25.90)
#: a start on a whole minute, two days ago, so that Beijing times are easy to write out
START = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).replace(second=0, microsecond=0)
BEIJING = dt.timezone(dt.timedelta(hours=8))
CJK = re.compile(r"[\u4e00-\u9fff]")
KEYS = {"field", "code", "message_zh", "message_en", "message"}


def in_beijing(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def assert_bilingual(item: dict) -> None:
    """An API warning or problem: both languages, the old-client text, no developer path."""
    assert set(item) == KEYS, item
    assert item["code"] and re.fullmatch(r"[a-z_]+", item["code"])
    assert CJK.search(item["message_zh"]), item
    assert not CJK.search(item["message_en"].split("“")[0]), item  # a value may be Chinese
    assert item["message"] == f"{item['message_zh']} / {item['message_en']}"
    if re.search(r"[\[._]", item["field"]):  # the path stays for programs; people read words
        assert item["field"] not in item["message_zh"] + item["message_en"], item


# -- fields in words ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path,zh,en",
    [
        ("waypoints[0].observed_at", "第 1 个记录点的观测时间", "the observation time of point 1"),
        ("started_at", "巡护开始时间", "the start time of the patrol"),
        (
            "waypoints[2].photos[0].name",
            "第 3 个记录点的第 1 张照片的文件名",
            "the file name of photo 1 of point 3",
        ),
        ("photos[1]", "巡护记录的第 2 张照片", "photo 2 of the patrol"),
        ("team[0]", "第 1 名巡护人员", "team member 1"),
        (
            "gpx.waypoints[4].time",
            "GPX 轨迹文件的第 5 个航点的时间",
            "the time of waypoint 5 of the GPX track file",
        ),
        (
            "features[3].category",
            "数据中的第 4 个要素的观测类别",
            "the category of feature 4 of the data sent",
        ),
        ("obs.csv line 3 time", "obs.csv 第 3 行的时间", "the time on line 3 of obs.csv"),
        ("--since", "选项 --since", "the option --since"),
        ("something.odd[", "something.odd[", "something.odd["),
    ],
)
def test_a_field_path_in_words(path, zh, en):
    assert field_words(path) == (zh, en)


def test_a_feature_is_named_once_its_kind_is_known():
    names = {"features[1]": Words("第 1 个记录点", "point 1")}
    assert field_words("features[1].observed_at", names) == (
        "第 1 个记录点的观测时间",
        "the observation time of point 1",
    )
    track = {"features[0].geometry": Words("轨迹", "the track")}
    words = field_words("features[0].geometry.coordinates[1][4]", track)
    assert words == ("轨迹的第 2 段的第 5 个点", "point 5 of part 2 of the track")


def test_times_are_beijing_time_written_as_such():
    moment = dt.datetime(2026, 11, 29, 9, 55, tzinfo=dt.timezone.utc)
    assert beijing(moment, "zh") == "2026-11-29 17:55 北京时间"
    assert beijing(moment, "en") == "2026-11-29 17:55 Beijing time"
    assert beijing(moment.replace(second=7), "en") == "2026-11-29 17:55:07 Beijing time"
    item = message(
        "time_outside_patrol",
        "waypoints[0].observed_at",
        time=moment,
        period=Period(moment - dt.timedelta(days=1), moment - dt.timedelta(hours=21)),
    )
    assert item.zh.startswith("第 1 个记录点的观测时间为 2026-11-29 17:55 北京时间，")
    assert "（2026-11-28 17:55 至 20:55 北京时间）" in item.zh
    assert item.en.startswith("The observation time of point 1, 2026-11-29 17:55 Beijing time,")
    assert "(2026-11-28 17:55 – 20:55 Beijing time)" in item.en


def test_every_text_has_both_languages_with_the_same_blanks():
    for code, (zh, en) in TEXTS.items():
        blanks = [{n for _, n, _, _ in string.Formatter().parse(t) if n} for t in (zh, en)]
        assert blanks[0] == blanks[1], code
        assert CJK.search(zh) and not CJK.search(en), code


def test_a_message_is_text_and_data():
    item = message("no_team", "team")
    assert isinstance(item, str) and str(item) == f"{item.zh} / {item.en}"
    assert item.as_json()["field"] == "team" and item.as_json()["code"] == "no_team"
    assert pickle.loads(pickle.dumps(item)).as_json() == item.as_json()
    assert item.in_lang("en").startswith("No team members") and item.in_lang("zh") == str(item)
    error = refused([item, "plain text from elsewhere"])
    assert str(error).splitlines()[0].startswith("巡护记录未保存，请修改以下 2 处问题")
    assert (
        error.problems[1].code == "patrol_invalid" and error.problems[1].zh == error.problems[1].en
    )
    assert shown("a\x00b") == "a\\x00b" and shown("长" * 100).endswith("…")
    assert Message("", "x", "同", "同") == "同"  # one language only: not written twice


# -- the web: API and form ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def template(template_copy):
    return template_copy("patrol-messages", add_users)


@pytest.fixture
def app(template, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(template, data)
    return _app(data)


@pytest.fixture
def client(app):
    return signed_in(app, "patroller1")


def body(patrol) -> dict:
    from fossilgis.patrols.geojson import patrols_to_geojson

    return patrols_to_geojson([patrol])


def test_borderline_patrol_is_stored_with_plain_bilingual_warnings(client):
    patrol = make_patrol(2, start=START, site_id="GZ-F01")  # the track is at Guanling
    patrol.team = []
    late = START + dt.timedelta(hours=20)  # the patrol ends at START + 3 h
    patrol.waypoints[1].observed_at = late
    r = client.post("/api/patrols", json=body(patrol))
    assert r.status_code == 201, r.get_json()
    warnings = {w["code"]: w for w in r.get_json()["warnings"]}
    assert set(warnings) == {"no_team", "time_outside_patrol", "far_from_target"}
    for item in warnings.values():
        assert_bilingual(item)
        assert "记录已保存" in item["message_zh"] and "stored" in item["message_en"]
    outside = warnings["time_outside_patrol"]
    assert outside["field"] == "waypoints[1].observed_at"
    assert outside["message_zh"].startswith(
        f"第 2 个记录点的观测时间为 {in_beijing(late)} 北京时间"
    )
    assert outside["message_en"].startswith(
        f"The observation time of point 2, {in_beijing(late)} Beijing time, is outside"
    )
    assert in_beijing(START) in outside["message_en"]  # the patrol's span, in Beijing time
    assert warnings["far_from_target"]["field"] == "target_id"
    assert "所选化石产地 GZ-F01" in warnings["far_from_target"]["message_zh"]


def test_bad_patrol_is_refused_with_every_problem_in_words(client, app):
    patrol = make_patrol(2, start=START)
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).replace(second=0)
    patrol.waypoints[0].observed_at = future
    patrol.waypoints[1].lon, patrol.waypoints[1].lat = 25.9, 105.4  # swapped
    doc = body(patrol)
    doc["features"][2]["properties"]["category"] = "looting"  # refused while reading
    r = client.post("/api/patrols", json=doc)
    assert r.status_code == 400
    answer = r.get_json()
    assert answer["code"] == "patrol_invalid" and len(answer["problems"]) == 1
    (problem,) = answer["problems"]
    assert_bilingual(problem)
    assert (problem["field"], problem["code"]) == ("features[2].category", "unknown_category")
    assert problem["message_zh"].startswith("第 2 个记录点的观测类别“looting”无法识别")
    assert "非法采挖（illegal_excavation）" in problem["message_zh"]

    doc["features"][2]["properties"]["category"] = "非法采挖"  # read; now checked as a whole
    r = client.post("/api/patrols", json=doc)
    assert r.status_code == 400
    answer = r.get_json()
    assert answer["message_zh"] == "巡护记录未保存，请修改以下 2 处问题后重新提交。"
    assert answer["message_en"].startswith("The patrol was not stored. Fix the 2 problems")
    assert answer["message"] == f"{answer['message_zh']} / {answer['message_en']}"
    problems = {p["field"]: p for p in answer["problems"]}
    assert set(problems) == {"waypoints[0].observed_at", "waypoints[1].position"}
    for item in problems.values():
        assert_bilingual(item)
        assert item["message"] in answer["description"]  # old clients show one text
    clock = problems["waypoints[0].observed_at"]
    assert clock["code"] == "time_in_future"
    assert clock["message_zh"].startswith(
        f"第 1 个记录点的观测时间为 {in_beijing(future)} 北京时间"
    )
    assert "请检查手机或设备的日期、时间和时区" in clock["message_zh"]
    place = problems["waypoints[1].position"]
    assert place["code"] == "point_outside_guizhou"
    assert "第 2 个记录点的位置（经度 25.9，纬度 105.4）" in place["message_zh"]
    assert "经度和纬度似乎写反了" in place["message_zh"] and "swapped" in place["message_en"]
    assert app.extensions["fossilgis_store"].get_patrol(patrol.uuid) is None


def test_multipart_photo_problems_name_the_photo(client):
    patrol = make_patrol(1, start=START)
    doc = body(patrol)
    doc["features"][1]["properties"]["photos"] = ["pit.jpg", "gone.jpg"]
    data = {
        "patrol": (io.BytesIO(json.dumps(doc).encode()), "patrol.geojson"),
        "photo": (io.BytesIO(png_bytes()), "pit.jpg"),
    }
    r = client.post("/api/patrols", data=data, content_type="multipart/form-data")
    assert r.status_code == 400
    (missing,) = r.get_json()["problems"]
    assert_bilingual(missing)
    assert (missing["field"], missing["code"]) == ("waypoints[0].photos[1]", "photo_not_sent")
    assert missing["message_zh"].startswith("第 1 个记录点的第 2 张照片“gone.jpg”在记录中写明了")

    doc["features"][1]["properties"]["photos"] = ["pit.jpg"]
    data = {
        "patrol": (io.BytesIO(json.dumps(doc).encode()), "patrol.geojson"),
        "photo": (io.BytesIO(png_bytes()), "pit.jpg"),
    }
    r = client.post("/api/patrols", data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["code"] == "bad_photo"
    (wrong,) = r.get_json()["problems"]
    assert_bilingual(wrong)
    assert (wrong["field"], wrong["code"]) == ("waypoints[0].photos[0]", "photo_wrong_extension")
    assert "改名为 .jpg 或 .png" in wrong["message_zh"] and "image/png" in wrong["message_en"]


def test_a_resend_with_other_content_is_a_plain_conflict(client):
    patrol = make_patrol(1, start=START)
    assert client.post("/api/patrols", json=body(patrol)).status_code == 201
    patrol.notes = "changed"
    r = client.post("/api/patrols", json=body(patrol))
    assert r.status_code == 409 and r.get_json()["code"] == "conflict"
    (problem,) = r.get_json()["problems"]
    assert_bilingual(problem)
    assert (problem["field"], problem["code"]) == ("uuid", "conflict")
    assert (
        "请新建一条记录" in problem["message_zh"] and "start a new record" in problem["message_en"]
    )


def form(patrol_uuid: str, **extra) -> dict:
    local = (START + dt.timedelta(hours=1)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "uuid": patrol_uuid,
        "target": "site:GZ-F03",
        "team": "张三",
        "started_at": (START.astimezone(BEIJING)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (START + dt.timedelta(hours=3)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M"),
        "obs-0-category": "intact",
        "obs-0-lon": "105.4002",
        "obs-0-lat": "25.9002",
        "obs-0-time": local,
        "obs-1-category": "intact",
        "obs-1-lon": "east",
        "obs-1-lat": "",
        "obs-1-time": local,
    }
    fields.update(extra)
    return fields


def test_form_fields_sent_to_the_api_get_field_paths_and_words(client):
    r = client.post(
        "/api/patrols",
        data=form(str(uuidlib.uuid4()), started_at=""),
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    problems = {p["field"]: p for p in r.get_json()["problems"]}
    assert set(problems) == {"started_at", "waypoints[1].lon", "waypoints[1].lat"}
    for item in problems.values():
        assert_bilingual(item)
    assert problems["started_at"]["code"] == "time_missing_no_gpx"
    assert problems["started_at"]["message_zh"].startswith("巡护开始时间未填写")
    assert problems["waypoints[1].lon"]["code"] == "not_a_number"
    assert problems["waypoints[1].lon"]["message_zh"].startswith(
        "第 2 个记录点的经度“east”不是数字"
    )
    assert problems["waypoints[1].lat"]["message_en"].startswith(
        "The latitude of point 2 is missing"
    )


@pytest.mark.parametrize(
    "lang,first", [("zh", "第 2 个记录点的经度“east”不是数字"), ("en", "The longitude of point 2")]
)
def test_the_form_without_javascript_lists_problems_in_its_language_first(client, lang, first):
    r = client.post(f"/patrols/new?lang={lang}", data=form(str(uuidlib.uuid4())))
    assert r.status_code == 400
    items = re.findall(r"<li>(.*?)</li>", r.get_data(as_text=True), re.S)
    (item,) = [i for i in items if "east" in i]
    assert item.startswith(first) and CJK.search(item) and "longitude" in item.lower()


def test_gpx_notes_and_gpx_faults_are_plain_too(client):
    start = START.strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (START + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    gpx = f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <rte><name>plan</name><rtept lat="25.90" lon="105.40"/><rtept lat="25.91" lon="105.41"/></rte>
 <trk><trkseg>
  <trkpt lat="25.8990" lon="105.3990"><time>{start}</time></trkpt>
  <trkpt lat="25.9000" lon="105.4000"><time>{later}</time></trkpt>
 </trkseg><trkseg><trkpt lat="25.9010" lon="105.4010"><time>{later}</time></trkpt></trkseg></trk>
</gpx>"""
    fields = {"uuid": str(uuidlib.uuid4()), "team": "张三", "target": "site:GZ-F03"}
    fields["gpx"] = (io.BytesIO(gpx.encode()), "track.gpx")
    r = client.post("/api/patrols", data=fields, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    notes = {w["code"]: w for w in r.get_json()["warnings"]}
    assert {"gpx_single_point_segment", "gpx_routes_ignored"} <= set(notes)
    for item in notes.values():
        assert_bilingual(item)

    fields = {"uuid": str(uuidlib.uuid4()), "team": "张三"}
    fields["gpx"] = (io.BytesIO(b"lon,lat\n105,26\n"), "轨迹.gpx")
    r = client.post("/api/patrols", data=fields, content_type="multipart/form-data")
    assert r.status_code == 422
    (fault,) = r.get_json()["problems"]
    assert_bilingual(fault)
    assert (fault["field"], fault["code"]) == ("gpx", "gpx_unreadable")
    assert "GPX 轨迹文件“轨迹.gpx”无法读取：这不是 GPX 文件" in fault["message_zh"]


# -- the CLI --------------------------------------------------------------------------------------
@pytest.fixture
def run(template, tmp_path):
    data = tmp_path / "cli-data"
    shutil.copytree(template, data)

    def invoke(*args):
        return CliRunner().invoke(cli, ["--data", str(data), *args])

    return invoke


def test_cli_import_prints_plain_bilingual_warnings_and_errors(run, tmp_path):
    patrol = make_patrol(1, start=START)
    late = START + dt.timedelta(hours=20)
    patrol.waypoints[0].observed_at = late
    path = tmp_path / "late.geojson"
    path.write_text(json.dumps(body(patrol)), encoding="utf-8")
    result = run("patrol", "import", str(path))
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "warning:" in x]
    assert f"第 1 个记录点的观测时间为 {in_beijing(late)} 北京时间" in line
    assert f"The observation time of point 1, {in_beijing(late)} Beijing time" in line

    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat,time\n25.9,105.4,2025-05-08T10:00\n", encoding="utf-8")
    result = run("patrol", "import", str(bad))
    assert result.exit_code == 2 and "Traceback" not in result.output
    head, *problems = result.output.splitlines()
    assert head == "Error: " + str(refused(["x"])).splitlines()[0]
    (problem,) = problems
    assert "第 1 个记录点的位置（经度 25.9，纬度 105.4）在贵州省范围" in problem
    assert "The position of point 1 (longitude 25.9, latitude 105.4) is outside" in problem
