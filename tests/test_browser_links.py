"""Links cannot put content into a page: on every page, in a real browser, a link whose names and values carry
Markdown, HTML and ``javascript:`` shows them as text in its note; no element, link or image from them appears,
nothing from them runs, and no request leaves for another host."""
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser_helpers import ARTIFACTS, open_page, settle
from tests.test_every_page import SMALL

pytestmark = pytest.mark.browser

MARKDOWN = "**Exam answers:** [click here](http://evil.example/x) ![t](http://evil.example/p.png)"
HTML = ('<b>bold</b><a href="http://evil.example/h">h</a><img src="http://evil.example/i.png" '
        'onerror="window.__pwned=1"><script>window.__pwned=2</script>')
JAVASCRIPT = "[jump](javascript:window.__pwned=3) <javascript:window.__pwned=4>"
HOSTILE = {  # a setting of every page, the language, the class room, and parameters no page has (their names
    "present": MARKDOWN,  # from the link too)
    "lang": HTML,
    "room": MARKDOWN,
    "[n](http://evil.example/n)": JAVASCRIPT,
    "<i>x</i>": HTML,
}
LOCAL = {"127.0.0.1", "localhost"}


@pytest.mark.parametrize("page_name", list(SMALL))
def test_a_hostile_link_shows_only_text(page, app_server, page_name):
    from playwright.sync_api import expect

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    open_page(page, f"{app_server}/{page_name}?{urlencode({**SMALL[page_name], **HOSTILE})}")
    settle(page)
    note = page.get_by_test_id("stAlertContentWarning").filter(has_text="were not used")
    expect(note).to_have_count(1)
    shown = note.inner_text()
    for text in ("**Exam answers:**", "<b>bold</b>", "javascript:window.__pwned=3", "[n](http://evil.example/n)",
                 "<i>x</i>"):
        assert text in shown, text  # the values and names, character for character
    assert note.locator("code").count() >= 2 * (len(HOSTILE) - 1)  # each name and value in its own code span
    # (the class room's code is named in the room's own message, quoted there)
    assert note.locator("a, img, b, strong, em, i, script, iframe").count() == 0
    assert page.locator("a[href*='evil.example'], img[src*='evil.example'], iframe").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    elsewhere = [url for url in requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                 and urlsplit(url).hostname not in LOCAL]
    assert elsewhere == []
    if page_name == "home":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hostile_link.png"), full_page=False)
