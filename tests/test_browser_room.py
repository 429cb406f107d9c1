"""A class room in a real browser, through nginx: an instructor and a student, each in a browser context of their
own and on an app process of their own (nginx's sticky cookie): push, follow, unfollow, submit, the board updating."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

import i18n
from serving.deploy import STICKY_COOKIE
from tests.browser_helpers import ARTIFACTS, TIMEOUT_MS, no_error, nudge, settle
from tests.serving_helpers import room_fleet

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.slow]
T = i18n.text
LR = "run0_gd_lr"


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    with room_fleet(tmp_path, monkeypatch) as running:
        yield running


def context(browser, url: str, backend: str, width: int, height: int):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.add_cookies([{"name": STICKY_COOKIE, "value": backend, "url": url}])
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return ctx, page


def query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def move_rate(page, key: str = "ArrowLeft") -> str:
    """Move Run 1's η one stop and wait until the address holds the new value; returns it."""
    before = query(page).get(LR)
    nudge(page, page.get_by_role("slider", name="η (lr)").first, key)
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('{LR}') !== {before!r}".replace(
        "None", "null"))
    return query(page)[LR]


def wait_for_rate(page, rate: str, timeout_ms: int = 30_000):
    page.wait_for_function(f"() => new URL(location.href).searchParams.get('{LR}') === '{rate}'",
                           timeout=timeout_ms)


def test_instructor_and_student_through_nginx(browser, fleet):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    url = fleet.url
    teacher_ctx, teacher = context(browser, url, "app0", 1400, 1000)
    student_ctx, student = context(browser, url, "app1", 390, 844)  # a phone
    try:
        # The instructor starts a room from the Playground.
        teacher.goto(f"{url}/playground?steps=1000&n_runs=1")
        expect(teacher.locator("h1", has_text="Playground")).to_be_visible()
        settle(teacher)
        teacher.get_by_test_id("stSidebar").get_by_text(T("room.panel")).click()
        teacher.get_by_role("button", name=T("room.start")).click()
        lead = teacher.get_by_text(re.compile("You lead room"))
        expect(lead).to_be_visible()
        settle(teacher)
        code = re.search(r"room ([A-Z0-9]{6})", lead.inner_text()).group(1)
        assert query(teacher)["room"] == code

        # The student joins with the link and follows.
        student.goto(f"{url}/?room={code}")
        expect(student.get_by_text(re.compile(f"You follow room {code}"))).to_be_visible()
        settle(student)

        # Push: the instructor changes η and sends the view; the student's page opens it.
        first = move_rate(teacher)
        teacher.get_by_role("button", name=T("room.send")).click()
        wait_for_rate(student, first)
        expect(student.locator("h1", has_text="Playground")).to_be_visible()
        settle(student)
        assert query(student)["steps"] == "1000" and query(student)["room"] == code
        student.screenshot(path=str(ARTIFACTS / "room-student-following.png"))

        # Unfollow: the next view does not open; follow again: it does.
        student.get_by_role("button", name=T("room.stop_following")).click()
        expect(student.get_by_text(re.compile("You explore on your own"))).to_be_visible()
        settle(student)
        second = move_rate(teacher)
        assert second != first
        teacher.get_by_role("button", name=T("room.send")).click()
        student.wait_for_timeout(3500)  # three polls
        assert query(student)[LR] == first
        student.get_by_role("button", name=T("room.follow_again")).click()
        wait_for_rate(student, second)
        settle(student)

        # The instructor asks; the student submits with a name full of markup.
        sidebar = teacher.get_by_test_id("stSidebar")
        sidebar.get_by_role("textbox", name=T("room.ask_text")).fill("One run of GD on the bowl: choose η")
        sidebar.get_by_role("textbox", name=T("room.ask_text")).press("Enter")
        settle(teacher)
        sidebar.get_by_role("button", name=T("room.ask")).click()
        expect(teacher.get_by_text(T("room.asked"))).to_be_visible()
        expect(student.get_by_text("One run of GD on the bowl: choose η")).to_be_visible()
        settle(student)
        name = student.get_by_role("textbox", name=T("room.name"))
        name.fill("<b>Ann</b>")
        name.press("Enter")
        student.wait_for_timeout(500)
        student.get_by_role("button", name=T("room.submit")).click()
        expect(student.get_by_text(re.compile("Run 1 submitted"))).to_be_visible()
        assert student.locator("b", has_text="Ann").count() == 0  # shown as text, never as markup
        assert student.get_by_text("<b>Ann</b>").count() >= 1
        student.screenshot(path=str(ARTIFACTS / "room-student-submitted.png"), full_page=True)

        # The board: the instructor opens it and it updates by itself when the next run arrives.
        teacher.get_by_test_id("stPageLink-NavLink").click()
        teacher.wait_for_url("**/board**")
        expect(teacher.get_by_text(re.compile(r"^Runs submitted: 1 \("))).to_be_visible()
        settle(teacher)
        expect(teacher.locator(".js-plotly-plot")).to_have_count(2)
        student.wait_for_timeout(2000)  # one run every 2 seconds
        move_rate(student, "ArrowRight")
        student.get_by_role("button", name=T("room.submit")).click()
        expect(student.get_by_text(re.compile("Run 2 submitted"))).to_be_visible()
        expect(teacher.get_by_text(re.compile(r"^Runs submitted: 2 \("))).to_be_visible(timeout=15_000)
        settle(teacher)
        no_error(teacher)
        assert student.get_by_test_id("stException").count() == 0
        teacher.screenshot(path=str(ARTIFACTS / "room-board.png"), full_page=True)

        # Each side stayed on its own process.
        assert {c["value"] for c in teacher_ctx.cookies() if c["name"] == STICKY_COOKIE} == {"app0"}
        assert {c["value"] for c in student_ctx.cookies() if c["name"] == STICKY_COOKIE} == {"app1"}
    except Exception:  # what each side showed when it failed
        teacher.screenshot(path=str(ARTIFACTS / "room-failed-instructor.png"))
        student.screenshot(path=str(ARTIFACTS / "room-failed-student.png"))
        raise
    finally:
        teacher_ctx.close()
        student_ctx.close()
