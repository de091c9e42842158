"""A real headless Chromium: a signed-out construction unit submits its project in Chinese,
keeps the receipt's link, and follows the office's decision on its status page."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
from test_webmap_submit import RELEASED, UNRELEASED, _gk_shapefile
from webmap_fixtures import zipped_shapefile

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(template_copy):
    """(server URL, store): the app on loopback over a fresh store."""
    need_browser()
    with live_app(template_copy("browser-submit")) as served:
        yield served


@pytest.fixture
def page(live):
    phone = {"width": 390, "height": 844}
    with loopback_page(live[0], locale="zh-CN", viewport=phone) as (_context, pg):
        yield pg


def _fill(page, name: str):
    page.fill("#project_name", name)
    page.fill("#applicant_unit", "贵州某某建设集团有限公司")
    page.fill("#applicant_contact", "王工 13800000000")
    page.select_option("#project_type", "linear")
    page.fill("#county", "剑河县")
    page.fill("#line_width_m", "30")


def _receipt(page) -> tuple[str, str]:
    page.wait_for_selector("#receipt-number", timeout=20000)
    number = page.locator("#receipt-number").inner_text()
    link = page.locator("#receipt-link").inner_text()
    assert page.locator("#receipt-link").get_attribute("href") == link
    return number, link


def test_submission_receipt_and_status_page(page, live, tmp_path):
    from fossilgis.cases.model import Decision, FollowUp

    server, store = live
    page.goto(server + "/")
    assert page.locator("#nav-submit").inner_text() == "项目申报"  # zh-CN browser: 中文
    page.click("#nav-submit")
    assert page.locator("h1").inner_text() == "建设项目申报"
    _fill(page, "剑河县城南大道改造工程")
    page.set_input_files("#footprint", str(zipped_shapefile(tmp_path)))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "submit-form-phone.png"), full_page=True)
    page.click("#submit-send")
    number, link = _receipt(page)
    assert re.fullmatch(r"GZHS-\d{4}-\d{4}", number)
    assert link.startswith(server + "/status/")
    assert "以后不再显示" in page.locator("#receipt-keep").inner_text()
    page.screenshot(path=str(ARTIFACTS / "submit-receipt-phone.png"), full_page=True)
    assert store.cases.get(number)["source"] == "applicant"

    page.click("#receipt-link")
    page.wait_for_selector("#status-label")
    assert page.url == link
    assert page.locator("#status-label").inner_text() == "审查中"
    assert page.locator("#status-number").inner_text() == number
    assert page.locator("#status-decision").count() == 0

    store.cases.decide(
        number,
        Decision(
            "evaluation_required",
            "请开展化石影响评价。",
            [FollowUp(RELEASED, "2026-12-31", True), FollowUp(UNRELEASED, None, False)],
        ),
        user="admin1",
    )
    page.reload()
    page.wait_for_selector("#status-decision")
    assert page.locator("#status-label").inner_text() == "需开展影响评价"
    assert page.locator("#status-decision-text").inner_text() == "请开展化石影响评价。"
    rows = page.locator("#status-follow-ups tr")
    assert rows.count() == 2  # the header and the one released item
    assert RELEASED in rows.nth(1).inner_text() and "2026-12-31" in rows.nth(1).inner_text()
    body = page.locator("body").inner_text()
    assert UNRELEASED not in body and "GZ-F" not in body and "须避让" not in body
    page.screenshot(path=str(ARTIFACTS / "submit-status-phone.png"), full_page=True)
    assert page.problems == []
    assert page.outside == []


def test_crs_question_keeps_the_file_and_fills_in_the_crs(page, live, tmp_path):
    server, store = live
    page.goto(server + "/submit")
    _fill(page, "剑河县南哨乡村道路工程")
    page.set_input_files("#footprint", [str(p) for p in _gk_shapefile(tmp_path, prj=False)])
    page.click("#submit-send")
    page.wait_for_selector("#submit-confirm-crs")
    assert "带号 36" in page.locator("#submit-error").inner_text()
    assert page.locator("#crs").input_value() == "EPSG:4524"
    assert page.locator("#submit-kept-names").inner_text() == "红线.dbf, 红线.shp, 红线.shx"
    assert page.locator("#project_name").input_value() == "剑河县南哨乡村道路工程"
    assert page.locator("#project_type").input_value() == "linear"
    options = page.locator("#project_type option").all_inner_texts()
    assert options[0] == "线性工程（公路、铁路、管线、输电线路）" and len(options) == 5
    page.screenshot(path=str(ARTIFACTS / "submit-crs-question-phone.png"), full_page=True)
    page.click("#submit-send")  # no file chosen again: the kept one is read
    number, _link = _receipt(page)
    assert sorted(f["name"] for f in store.cases.files(number)) == [
        "红线.dbf",
        "红线.shp",
        "红线.shx",
    ]
    # the question itself is a 422 page, which Chromium notes on its console
    assert [p for p in page.problems if "status of 422" not in p] == []
    assert page.outside == []
