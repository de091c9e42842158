"""A real headless Chromium files a case: an admin screens a zipped shapefile on /check,
saves it as a case, decides it, attaches a PDF, finds it again on /cases, and sees its
footprint and zone rings drawn on the maps."""

from __future__ import annotations

import uuid

import pytest
from browser_fixtures import ARTIFACTS, live_app, loopback_page, need_browser
from test_browser_map import sign_in
from webmap_fixtures import zipped_shapefile

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
def live(template_copy):
    """(server URL, store): the app on loopback over a fresh store with the test accounts."""
    need_browser()
    from webmap_fixtures import add_users

    with live_app(template_copy("browser-cases", add_users)) as served:
        yield served


@pytest.fixture
def page(live):
    with loopback_page(live[0]) as (_context, pg):
        yield pg


def _map_drawn(page):
    try:
        page.wait_for_selector("body[data-layers-loaded=true]", timeout=15000)
    except Exception:
        error = page.locator("body").get_attribute("data-layers-error")
        raise AssertionError(f"{page.problems} {error}") from None


def test_save_decide_attach_find_and_map_a_case(page, live, tmp_path):
    server, store = live
    applicant = f"黔东南州交通局 {uuid.uuid4().hex[:6]}"
    sign_in(page, server, "admin1", "/check")

    # /check: a zipped shapefile on site GZ-F01, then "save as case"
    page.set_input_files("#footprint", str(zipped_shapefile(tmp_path)))
    page.select_option("select[name=project_type]", "linear")
    page.click("#check-submit")
    page.wait_for_selector("#grade[data-grade=avoid]", timeout=20000)
    page.fill("#case-project-name", "凯里至剑河公路 <script>alert(1)</script>")
    page.fill("#case-applicant", applicant)
    page.fill("#case-contact", "李工 13800000000")
    page.fill("#case-county", "凯里市")
    page.click("#save-case-submit")
    page.wait_for_selector("#case-number", timeout=10000)
    number = page.locator("#case-number").inner_text()
    assert page.locator("#case-project").inner_text() == "凯里至剑河公路 <script>alert(1)</script>"
    assert page.locator("#case-status").get_attribute("data-status") == "screened"
    assert page.locator("#decide-status").input_value() == "avoid_required"  # the grade's

    # the map: the footprint (red), the affected targets and their control and attention rings
    _map_drawn(page)
    assert page.locator("path.fg-case-footprint").count() == 1
    assert page.locator("path.fg-case-target").count() >= 1
    assert page.locator("path.fg-case-zone-control").count() >= 1
    assert page.locator("path.fg-case-zone-attention").count() >= 1
    assert page.locator(".fg-legend").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-page.png"), full_page=True)

    # decide: an evaluation is required, with a follow-up released to the applicant
    page.select_option("#decide-status", "evaluation_required")
    page.fill("#decide-text", "须开展古生物化石影响评价后再行审批")
    page.locator("#decide-form input[name=fu_text]").first.fill("提交影响评价报告")
    page.locator("#decide-form input[name=fu_due]").first.fill("2027-01-31")
    page.check("#decide-form input[name=release]")
    page.click("#decide-submit")
    page.wait_for_selector("#case-status[data-status=evaluation_required]", timeout=10000)
    assert "提交影响评价报告" in page.locator("#follow-up-table").inner_text()
    assert "2027-01-31" in page.locator("#follow-up-table").inner_text()

    # attach a PDF
    pdf = tmp_path / "影响评价报告.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#attach-file", str(pdf))
    page.fill("#attach-note", "评价报告")
    page.click("#attach-submit")
    page.wait_for_selector("a.case-file-link:has-text('影响评价报告.pdf')", timeout=10000)
    history = page.locator("#case-history").inner_text()
    assert "Decided" in history and "Document attached" in history
    assert [f["name"] for f in store.cases.files(number)] == ["footprint.zip", "影响评价报告.pdf"]

    # a month later: find it on /cases by the applicant, then by the map's extent
    page.click("#nav-cases")
    page.fill("#case-q", applicant)
    page.click("#case-apply")
    page.wait_for_selector(f"#case-table tr[data-number='{number}']", timeout=10000)
    assert page.locator("#case-table tr.case-row").count() == 1
    _map_drawn(page)
    assert page.locator("path.fg-case-footprint").count() == 1
    assert page.locator("path.fg-case-dot").count() == 1
    page.screenshot(path=str(ARTIFACTS / "cases-list.png"), full_page=True)
    page.locator("path.fg-case-dot").click()
    popup = page.locator(".leaflet-popup-content .fg-popup")
    popup.wait_for(timeout=5000)
    assert number in popup.inner_text()

    page.click("#cases-search-extent")
    page.wait_for_selector("#bbox-note", timeout=10000)
    assert "bbox=" in page.url
    assert page.locator(f"#case-table tr[data-number='{number}']").count() == 1
    page.locator("#case-table a.case-link", has_text=number).click()
    page.wait_for_selector("#case-number", timeout=10000)
    _map_drawn(page)

    assert page.problems == []
    assert page.outside == []
