"""The web widget in a real headless Chromium (Debian's `chromium`, driven by Playwright with
`executable_path`; no browser is downloaded), against the assistant started as `make run`
starts it."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT, free_port

REPLY_TIMEOUT_MS = 20_000
SCREENSHOT = ROOT / "reports" / "widget.png"


@pytest.fixture
def page(browser, assistant):
    context = browser.new_context(viewport={"width": 1100, "height": 820}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran in the page: {dialog.message}"))
    yield page
    context.close()


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.click(".sa-launcher")
    # the greeting arrives by itself on a first visit
    expect(page.locator(".sa-bot").first).to_contain_text("您好", timeout=REPLY_TIMEOUT_MS)


def ask(page: Page, text: str) -> None:
    bot_messages = page.locator(".sa-bot").count()
    page.fill(".sa-input", text)
    page.press(".sa-input", "Enter")
    expect(page.locator(".sa-bot")).not_to_have_count(bot_messages, timeout=REPLY_TIMEOUT_MS)


def last_bot(page: Page):
    return page.locator(".sa-bot").last


def assert_shows_entry(bubble, entry) -> None:
    for paragraph in entry.answer.split("\n\n"):
        expect(bubble).to_contain_text(paragraph.strip(), timeout=REPLY_TIMEOUT_MS)


def test_seller_asks_sees_the_documented_answer_with_sources_and_clicks_a_button(page, assistant, kb):
    open_widget(page, assistant.web_url)
    page.evaluate(
        """() => { window.typingSeen = false;
        new MutationObserver(() => { if (!document.querySelector('.sa-typing').hidden) window.typingSeen = true; })
          .observe(document.querySelector('.sa-typing'), {attributes: true}); }"""
    )
    ask(page, "代运营怎么收费")
    answer = last_bot(page)
    assert_shows_entry(answer, kb.entries["agency_cost"])
    expect(answer.locator(".sa-sources")).to_contain_text("艾瑞咨询《2024年中国跨境电商代运营市场报告》")
    assert page.evaluate("window.typingSeen"), "no typing indicator while waiting"
    expect(page.locator(".sa-typing")).to_be_hidden()

    risk = answer.get_by_role("button", name="代运营有什么风险？")
    risk.click()
    expect(page.locator(".sa-user").last).to_have_text("代运营有什么风险？")
    assert_shows_entry(last_bot(page), kb.entries["agency_risk"])
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))


def test_the_session_survives_a_page_reload(page, assistant, kb):
    open_widget(page, assistant.web_url)
    ask(page, "联合运营怎么收费？")
    session_before = page.evaluate("JSON.parse(localStorage.getItem('seller-assistant')).sessionId")
    page.reload()
    # the transcript is back and the panel is still open
    expect(page.locator(".sa-user")).to_have_text(["联合运营怎么收费？"])
    assert page.evaluate("JSON.parse(localStorage.getItem('seller-assistant')).sessionId") == session_before
    # the server kept the conversation too: a bare mode continues the same question type
    ask(page, "那代运营呢？")
    assert_shows_entry(last_bot(page), kb.entries["agency_cost"])


def test_comparison_table_and_recommendation_card(page, assistant):
    open_widget(page, assistant.web_url)
    ask(page, "三种模式有什么区别")
    table = last_bot(page).locator("table.sa-table")
    expect(table.locator("tr").first.locator("th")).to_have_text(["", "联合营销", "代运营", "亚马逊联合运营"])
    expect(table).to_contain_text("控制权")

    ask(page, "我是新卖家，日均订单二十单左右，没有本地团队，主要做德国站，哪种模式适合我？")
    for _ in range(4):  # the interview asks what it still needs; skip anything left
        if page.locator(".sa-card").count():
            break
        ask(page, "跳过")
    card = page.locator(".sa-card").last
    expect(card.locator(".sa-card-mode")).to_have_text("代运营")
    expect(card.locator(".sa-reasons li").first).to_contain_text("来源：")


def test_seller_text_stays_text(page, assistant):
    open_widget(page, assistant.web_url)
    ask(page, "<script>alert(1)</script><img src=x onerror=alert(2)>")
    expect(page.locator(".sa-user").last).to_have_text("<script>alert(1)</script><img src=x onerror=alert(2)>")
    assert page.locator(".sa-log img").count() == 0


def embed_page(server: str, web_url: str) -> str:
    """A seller's own page on another origin, embedding the widget as README says."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>卖家店铺</title></head>"
        "<body><h1>我的店铺</h1>"
        f"<script>window.SellerAssistantConfig = {{ server: '{server}' }};</script>"
        f"<script src='{web_url}/widget.js' async></script></body></html>"
    )


@pytest.fixture(scope="module")
def seller_site(assistant):
    """A seller's site on its own origin (another loopback port): `/` embeds the widget
    pointing at the assistant, `/down` at a port where nothing listens."""
    pages = {
        "/": embed_page(assistant.rasa_url, assistant.web_url),
        "/down": embed_page(f"http://127.0.0.1:{free_port()}", assistant.web_url),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "not found").encode("utf-8")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_embedded_on_another_origin_it_works(page, seller_site):
    open_widget(page, seller_site + "/")
    ask(page, "联合营销是什么")
    expect(last_bot(page).locator(".sa-sources")).to_be_visible()


def test_an_unreachable_server_is_said_plainly_and_nothing_typed_is_lost(page, seller_site):
    page.goto(seller_site + "/down")
    page.click(".sa-launcher")
    expect(page.locator(".sa-banner")).to_contain_text("连不上助手服务器", timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(".sa-status")).to_have_text("离线")
    page.fill(".sa-input", "代运营怎么收费")
    page.press(".sa-input", "Enter")
    expect(page.locator(".sa-user.sa-pending")).to_have_text("代运营怎么收费")
    outbox = page.evaluate("JSON.parse(localStorage.getItem('seller-assistant')).outbox")
    assert [item["payload"] for item in outbox] == ["/greet", "代运营怎么收费"]
