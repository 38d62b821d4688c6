"""The WeChat Official Account channel (channels/wechat.py, channels/wechat_text.py).

Three parts:
1. pure text rendering (numbered options, choosing by number, splitting long answers);
2. in-process: the channel's blueprint on a fresh Sanic app with a scripted, deliberately
   slow bot and a fake WeChat API, for the late-reply path (`success`, then the
   customer-service message API), long answers in several parts, retries while the bot runs;
3. end-to-end against the running assistant (`assistant` fixture, real model).

Requests are built as WeChat's servers build them, with wechatpy on the client side:
WeChatSigner for signatures, WeChatCrypto for safe mode.
"""
import asyncio
import copy
import re
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import pytest
import requests
import xmltodict
from sanic import Sanic
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from channels import wechat_text
from channels.wechat import MAX_BODY_BYTES, ExpiringCache, WeChatInput
from channels.wechat_text import (
    MAX_TEXT_BYTES,
    NON_TEXT_NOTE,
    OPTIONS_HEADER,
    choose_option,
    render_turn,
    split_text,
    utf8_len,
)
from tests.conftest import (
    WECHAT_AES_KEY,
    WECHAT_APP_ID,
    WECHAT_APP_SECRET,
    WECHAT_TOKEN,
    Seller,
    free_port,
)
from tests.fake_platform_api import FakePlatformAPI

ACCOUNT = "gh_seller_faq"  # the Official Account's own id (ToUserName)
SEND = "/cgi-bin/message/custom/send"


# ---------------------------------------------------------------------------------------
# WeChat's side: signed (and in safe mode encrypted) message pushes
# ---------------------------------------------------------------------------------------
def sign(*data: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*data)
    return signer.signature


def text_xml(openid: str, content: str, msg_id: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def media_xml(openid: str, msg_type: str, msg_id: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"<PicUrl><![CDATA[http://example.com/a.jpg]]></PicUrl>"
            f"<MediaId><![CDATA[media-1]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, create_time: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def new_msg_id() -> int:
    return uuid.uuid4().int % 10**18


class WeChatServer:
    """Pushes messages to a webhook as WeChat's servers do."""

    def __init__(self, base_url: str, token: str = WECHAT_TOKEN, aes_key: str = WECHAT_AES_KEY):
        self.url = f"{base_url}/webhooks/wechat/webhook"
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, WECHAT_APP_ID)

    def signed(self, **extra) -> Dict[str, str]:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp,
                "nonce": nonce, "openid": "o-ignored", **extra}

    def verify(self, echostr: str, **params) -> requests.Response:
        return requests.get(self.url, params={**self.signed(echostr=echostr), **params}, timeout=10)

    def post(self, xml, safe: bool = False, **params) -> requests.Response:
        query = self.signed()
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        if safe:
            envelope = xmltodict.parse(
                self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>").encode()
            query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        query.update(params)
        return requests.post(self.url, params=query, data=body,
                             headers={"Content-Type": "text/xml"}, timeout=15)

    def reply(self, response: requests.Response, safe: bool = False) -> dict:
        """The passive reply's fields (decrypted with wechatpy in safe mode)."""
        assert response.status_code == 200, response.text
        xml = response.text
        if safe:
            envelope = xmltodict.parse(xml)["xml"]
            assert set(envelope) >= {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
            assert "<Content>" not in xml
            xml = self.crypto.decrypt_message(
                xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        return xmltodict.parse(xml)["xml"]


def numbered(content: str) -> List[str]:
    """The option titles listed after `回复数字选择：`."""
    assert OPTIONS_HEADER in content, content
    return re.findall(r"^\d+\. (.+)$", content.split(OPTIONS_HEADER)[-1], re.M)


# ---------------------------------------------------------------------------------------
# 1. text rendering
# ---------------------------------------------------------------------------------------
def test_buttons_become_numbered_options_after_the_text():
    text, options = render_turn([
        {"text": "代运营的费用……\n\n来源：某报告", "buttons": [
            {"title": "选代运营要注意什么？", "payload": '/ask_pitfalls{"mode":"agency"}'},
            {"title": "代运营适合哪些卖家？", "payload": '/ask_who_fits{"mode":"agency"}'}]},
        {"custom": {"type": "answer", "id": "agency_cost"}},  # not rendered: the text says it all
    ])
    assert text == ("代运营的费用……\n\n来源：某报告\n\n回复数字选择：\n"
                    "1. 选代运营要注意什么？\n2. 代运营适合哪些卖家？")
    assert options == ['/ask_pitfalls{"mode":"agency"}', '/ask_who_fits{"mode":"agency"}']


def test_a_turns_messages_are_joined_and_their_buttons_numbered_together_once_each():
    text, options = render_turn([
        {"text": "联合营销……", "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]},
        {"text": "代运营……", "buttons": [{"title": "B again", "payload": "/b"}, {"title": "C", "payload": "/c"}]},
    ])
    assert text.startswith("联合营销……\n\n代运营……\n\n")
    assert numbered(text) == ["A", "B", "C"] and options == ["/a", "/b", "/c"]


def test_a_turn_without_buttons_has_no_options():
    assert render_turn([{"text": "不客气！"}]) == ("不客气！", [])
    assert render_turn([]) == ("", [])


@pytest.mark.parametrize("reply, chosen", [
    ("1", "/a"), ("2", "/b"), (" 3 ", "/c"), ("１", "/a"), ("　２　", "/b"), ("3.", "/c"), ("2、", "/b"),
])
def test_a_number_picks_that_option(reply, chosen):
    assert choose_option(reply, ["/a", "/b", "/c"]) == chosen


@pytest.mark.parametrize("reply", ["0", "4", "30", "４", "-1", "1a", "第一个", "1 2", "", "   "])
def test_anything_else_is_not_a_choice(reply):
    assert choose_option(reply, ["/a", "/b", "/c"]) is None


def test_a_number_without_pending_options_is_not_a_choice():
    assert choose_option("1", []) is None


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_long_answer_is_split_at_paragraphs_below_wechats_limit_without_losing_text():
    paragraphs = [f"第{i}段：" + "亚马逊代运营服务费用与风险说明。" * 40 for i in range(1, 6)]
    text = "\n\n".join(paragraphs)
    assert utf8_len(text) > 3 * MAX_TEXT_BYTES
    parts = split_text(text)
    assert len(parts) >= 4
    assert all(0 < utf8_len(p) <= MAX_TEXT_BYTES for p in parts)
    assert squeeze("".join(parts)) == squeeze(text)
    # paragraphs (~1.9 KB each) are kept whole
    assert parts == paragraphs


def test_a_text_without_breaks_is_cut_between_characters():
    text = "联合营销😀" * 1000  # 3- and 4-byte characters, no punctuation
    parts = split_text(text)
    assert all(utf8_len(p) <= MAX_TEXT_BYTES for p in parts)
    assert "".join(parts) == text  # nothing lost, no character cut in half
    assert all("\ufffd" not in p for p in parts)


def test_lines_and_sentence_ends_are_preferred_to_a_cut_mid_sentence():
    line = "· 费用：月度服务费通常不低于1000美元，另有提成" * 3 + "。"
    text = "\n".join([line] * 40)
    parts = split_text(text, limit=1000)
    assert all(utf8_len(p) <= 1000 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert squeeze("".join(parts)) == squeeze(text)


def test_a_short_answer_is_one_message():
    assert split_text("代运营怎么收费？\n\n回复数字选择：\n1. 是") == ["代运营怎么收费？\n\n回复数字选择：\n1. 是"]


def test_reply_text_cannot_close_the_xml_cdata_section():
    assert "]]>" not in wechat_text.cdata_safe("a]]>b")


def test_remembered_state_is_bounded_and_expires():
    now = [0.0]
    cache = ExpiringCache(ttl_s=10, max_items=3, clock=lambda: now[0])
    for key in "abcd":
        cache.set(key, key.upper())
    assert (len(cache), cache.get("a"), cache.get("d")) == (3, None, "D")  # the oldest went
    now[0] = 9.9
    assert cache.get("b") == "B"
    now[0] = 10.1
    assert (cache.get("b"), len(cache)) == (None, 0)


# ---------------------------------------------------------------------------------------
# 2. in-process: the blueprint on a fresh Sanic app, a scripted bot, a fake WeChat API
# ---------------------------------------------------------------------------------------
class ScriptedBot:
    """Stands in for Rasa's agent: records the messages it gets, waits `delay_s`, then writes
    `answer` into the output channel it was given, as Rasa does."""

    def __init__(self, answer: List[dict], delay_s: float = 0.0):
        self.answer, self.delay_s = answer, delay_s
        self.calls: List[str] = []

    async def __call__(self, message) -> None:
        self.calls.append(message.text)
        await asyncio.sleep(self.delay_s)
        for bot_message in copy.deepcopy(self.answer):
            await message.output_channel.send_response(message.sender_id, bot_message)


class InProcessServer:
    """WeChatInput's blueprint served on loopback from a background thread."""

    def __init__(self, bot: ScriptedBot, api: FakePlatformAPI, reply_timeout_s: float):
        self.channel = WeChatInput(WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_AES_KEY,
                                   api_url=f"{api.url}/cgi-bin/", reply_timeout_s=reply_timeout_s)
        self.app = Sanic(f"wechat_test_{uuid.uuid4().hex[:12]}")
        self.app.blueprint(self.channel.blueprint(bot), url_prefix="/webhooks/wechat")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.loop_thread: Optional[threading.Thread] = None
        self._ready = threading.Event()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False))
        self.loop.run_until_complete(server.startup())
        self.loop.run_until_complete(server.start_serving())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(server.close())

    def __enter__(self) -> "InProcessServer":
        self.loop_thread = threading.Thread(target=self._serve, daemon=True)
        self.loop_thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.loop_thread.join(5)


@pytest.fixture(autouse=True)
def one_sanic_app_after_another(monkeypatch):
    """Sanic 21.12 rewrites `Sanic.handle_request` in place at an app's start-up and can
    do so again for a later app only in its test mode (which keeps the original)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def api():
    fake = FakePlatformAPI({
        "/cgi-bin/token": {"access_token": "test-access-token", "expires_in": 7200},
        SEND: {"errcode": 0, "errmsg": "ok"},
    }).start()
    yield fake
    fake.stop()


def sent_to(api: FakePlatformAPI, openid: str, count: int = 1, timeout: float = 10):
    return api.wait_for(SEND, where=lambda r: r.json()["touser"] == openid, count=count,
                        timeout=timeout)


ANSWER = {"text": "代运营的费用：每月服务费加提成。\n\n来源：某报告",
          "buttons": [{"title": "选代运营要注意什么？", "payload": '/ask_pitfalls{"mode":"agency"}'},
                      {"title": "代运营适合哪些卖家？", "payload": '/ask_who_fits{"mode":"agency"}'}],
          "custom": {"type": "answer", "id": "agency_cost"}}


def test_a_late_answer_is_success_then_a_customer_service_message(api):
    bot = ScriptedBot([ANSWER], delay_s=1.0)
    with InProcessServer(bot, api, reply_timeout_s=0.3) as server:
        wechat, openid = WeChatServer(server.url), new_openid()
        started = time.time()
        response = wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id()))
        assert (response.status_code, response.text) == (200, "success")
        assert time.time() - started < 0.9  # not waiting for the bot

        (sent,) = sent_to(api, openid)
        assert sent.query["access_token"] == ["test-access-token"]
        assert sent.json()["msgtype"] == "text"
        content = sent.json()["text"]["content"]
        assert content.startswith("代运营的费用：每月服务费加提成。\n\n来源：某报告")
        assert numbered(content) == ["选代运营要注意什么？", "代运营适合哪些卖家？"]
        (token,) = api.received("/cgi-bin/token")
        assert token.query["appid"] == [WECHAT_APP_ID] and token.query["secret"] == [WECHAT_APP_SECRET]

        # the options of a late answer can be chosen by number too
        wechat.post(text_xml(openid, "２", new_msg_id()))
        sent_to(api, openid, count=2)
        assert bot.calls == ["代运营怎么收费", '/ask_who_fits{"mode":"agency"}']


def test_a_long_answer_goes_out_in_order_in_parts_below_the_limit(api):
    paragraphs = [f"第{i}部分：" + "联合运营的费用结构与注意事项。" * 30 for i in range(1, 5)]
    bot = ScriptedBot([{"text": "\n\n".join(paragraphs), "buttons": ANSWER["buttons"]}])
    with InProcessServer(bot, api, reply_timeout_s=2.0) as server:
        openid = new_openid()
        response = WeChatServer(server.url).post(text_xml(openid, "联合运营费用", new_msg_id()))
        assert (response.status_code, response.text) == (200, "success")
        sent = [r.json()["text"]["content"] for r in sent_to(api, openid, count=3)]
        time.sleep(0.3)
        assert len(api.received(SEND)) == len(sent)
        assert all(utf8_len(part) <= MAX_TEXT_BYTES for part in sent)
        assert sent[0].startswith("第1部分") and numbered(sent[-1])  # in order, options last
        assert squeeze("".join(sent)) == squeeze(render_turn(bot.answer)[0])


def test_a_retry_while_the_bot_runs_waits_for_the_same_passive_reply(api):
    bot = ScriptedBot([ANSWER], delay_s=1.0)
    with InProcessServer(bot, api, reply_timeout_s=3.0) as server:
        wechat, openid = WeChatServer(server.url), new_openid()
        xml = text_xml(openid, "代运营怎么收费", new_msg_id())
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(wechat.post, xml)
            time.sleep(0.3)
            retry = pool.submit(wechat.post, xml, safe=True)  # WeChat may retry in either mode
            first_reply, retry_reply = wechat.reply(first.result()), wechat.reply(retry.result(), safe=True)
        assert first_reply["Content"] == retry_reply["Content"]
        assert first_reply["Content"].startswith("代运营的费用")
        assert bot.calls == ["代运营怎么收费"]
        assert not api.received(SEND)


def test_a_retry_after_a_late_answer_gets_success_and_the_answer_is_sent_once(api):
    bot = ScriptedBot([ANSWER], delay_s=0.6)
    with InProcessServer(bot, api, reply_timeout_s=0.2) as server:
        wechat, openid = WeChatServer(server.url), new_openid()
        xml = text_xml(openid, "代运营怎么收费", new_msg_id())
        assert wechat.post(xml).text == "success"
        assert wechat.post(xml).text == "success"
        sent_to(api, openid)
        time.sleep(1.0)
        assert bot.calls == ["代运营怎么收费"] and len(sent_to(api, openid)) == 1


def test_a_slow_customer_service_api_does_not_block_the_server(api):
    bot = ScriptedBot([ANSWER], delay_s=0.3)
    with InProcessServer(bot, api, reply_timeout_s=0.1) as server:
        sending, threads = threading.Event(), []
        client_message = server.channel.client.message
        send_text = client_message.send_text

        def slow_send_text(*args, **kwargs):
            threads.append(threading.current_thread().name)
            sending.set()
            time.sleep(2.0)
            return send_text(*args, **kwargs)

        client_message.send_text = slow_send_text
        wechat, openid = WeChatServer(server.url), new_openid()
        assert wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id())).text == "success"
        assert sending.wait(5)
        started = time.time()
        assert wechat.verify("still-here").text == "still-here"
        assert time.time() - started < 0.5
        assert threads and threads[0].startswith("wechat-api")
        sent_to(api, openid)


def test_customer_service_api_errors_are_logged_and_the_server_carries_on(caplog):
    failing = FakePlatformAPI({
        "/cgi-bin/token": {"access_token": "test-access-token", "expires_in": 7200},
        SEND: {"errcode": 45015, "errmsg": "response out of time limit"},
    }).start()
    try:
        with InProcessServer(ScriptedBot([ANSWER], delay_s=0.3), failing, reply_timeout_s=0.1) as server:
            wechat, openid = WeChatServer(server.url), new_openid()
            assert wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id())).text == "success"
            failing.wait_for(SEND)
            deadline = time.time() + 5
            while "45015" not in caplog.text and time.time() < deadline:
                time.sleep(0.05)
            assert "customer-service message" in caplog.text and "45015" in caplog.text
            assert wechat.verify("alive").text == "alive"
    finally:
        failing.stop()


# ---------------------------------------------------------------------------------------
# 3. end-to-end: the running assistant (real model, action server, every channel on)
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wechat(assistant) -> WeChatServer:
    Seller(assistant.rasa_url).say("代运营怎么收费")  # warm up: first answers are slower
    return WeChatServer(assistant.rasa_url)


@pytest.fixture(scope="module")
def user_turns(assistant):
    """How many user messages the bot has handled for an OpenID, from the tracker store."""
    db = assistant.log.parent / "tracker.db"  # the fixture's SQL tracker store

    def count(openid: str) -> int:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return connection.execute(
                "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
                (openid,)).fetchone()[0]

    return count


def test_server_verification_echoes_echostr_only_when_signed(wechat):
    response = wechat.verify("echo-12345")
    assert (response.status_code, response.text) == (200, "echo-12345")
    assert wechat.verify("echo-12345", signature="0" * 40).status_code == 403
    assert requests.get(wechat.url, params={"echostr": "echo-12345"}, timeout=10).status_code == 403
    forged = WeChatServer(wechat.url.split("/webhooks")[0], token="not-the-token")
    assert "echo" not in forged.verify("echo-12345").text


def test_a_question_gets_a_passive_reply_with_the_documented_answer_and_numbered_options(wechat, kb):
    openid = new_openid()
    reply = wechat.reply(wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id())))
    assert (reply["MsgType"], reply["ToUserName"], reply["FromUserName"]) == ("text", openid, ACCOUNT)
    content = reply["Content"]
    assert kb.entries["agency_cost"].answer in content
    assert "来源：艾瑞咨询《2024年中国跨境电商代运营市场报告》" in content
    assert numbered(content) == [kb.entries[e].question for e in kb.entries["agency_cost"].related[:3]]
    assert utf8_len(content) <= MAX_TEXT_BYTES


def test_safe_mode_reply_is_encrypted_and_decrypts_to_the_answer(wechat, kb):
    openid = new_openid()
    response = wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id()), safe=True)
    reply = wechat.reply(response, safe=True)
    assert reply["ToUserName"] == openid
    assert kb.entries["agency_cost"].answer in reply["Content"]


@pytest.mark.parametrize("case", ["bad signature", "bad msg_signature", "no msg_signature",
                                  "another AES key", "another token"])
def test_badly_signed_or_encrypted_messages_are_refused(wechat, user_turns, case):
    openid = new_openid()
    xml = text_xml(openid, "代运营怎么收费", new_msg_id())
    if case == "bad signature":
        response = wechat.post(xml, signature="0" * 40)
    elif case == "bad msg_signature":
        response = wechat.post(xml, safe=True, msg_signature="0" * 40)
    elif case == "no msg_signature":
        response = wechat.post(xml, safe=True, msg_signature="")
    elif case == "another AES key":
        other = WeChatServer(wechat.url.split("/webhooks")[0], aes_key="B" * 43)
        response = other.post(xml, safe=True)
    else:
        response = WeChatServer(wechat.url.split("/webhooks")[0], token="not-the-token").post(xml)
    assert 400 <= response.status_code < 500, response.text
    assert user_turns(openid) == 0


def test_a_retried_message_is_answered_once(wechat, user_turns, fake_wechat_api):
    openid, msg_id = new_openid(), new_msg_id()
    xml = text_xml(openid, "代运营怎么收费", msg_id)
    first = wechat.post(xml)
    retry = wechat.post(xml)  # WeChat's retry: same MsgId
    assert wechat.reply(retry)["Content"] == wechat.reply(first)["Content"]
    assert user_turns(openid) == 1  # the bot ran once
    # concurrent retries while the bot runs
    xml = text_xml(openid, "联合营销怎么开通", new_msg_id())
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(wechat.post, [xml] * 3))
    assert len({wechat.reply(r)["Content"] for r in responses}) == 1
    assert user_turns(openid) == 2
    assert not fake_wechat_api.received(SEND, where=lambda r: r.json()["touser"] == openid)


def test_answering_a_number_gets_that_options_answer(wechat, kb):
    openid = new_openid()
    first = wechat.reply(wechat.post(text_xml(openid, "代运营怎么收费", new_msg_id())))["Content"]
    assert numbered(first)[0] == kb.entries["agency_pitfalls"].question
    chosen = wechat.reply(wechat.post(text_xml(openid, "1", new_msg_id())))["Content"]
    assert kb.entries["agency_pitfalls"].answer in chosen
    # the new answer's options replace the old ones: full-width digits work too
    second = numbered(chosen)[1]
    (entry,) = [e for e in kb.entries.values() if e.question == second]
    assert entry.answer in wechat.reply(wechat.post(text_xml(openid, "２", new_msg_id())))["Content"]


def test_subscribing_gets_the_welcome_menu_and_unsubscribing_nothing(wechat, user_turns):
    openid, created = new_openid(), int(time.time())
    first = wechat.post(event_xml(openid, "subscribe", created))
    welcome = wechat.reply(first)["Content"]
    assert welcome.startswith("您好！我是亚马逊合作模式问答助手")
    assert numbered(welcome)[:2] == ["三种模式对比", "代运营怎么收费？"]
    # an event has no MsgId: its retry is known by sender and CreateTime
    assert wechat.reply(wechat.post(event_xml(openid, "subscribe", created)))["Content"] == welcome
    assert user_turns(openid) == 1
    goodbye = wechat.post(event_xml(openid, "unsubscribe", created + 5))
    assert (goodbye.status_code, goodbye.text) == (200, "success")
    assert user_turns(openid) == 1


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "location", "link"])
def test_non_text_messages_get_a_text_only_note_without_the_bot(wechat, user_turns, msg_type):
    openid = new_openid()
    reply = wechat.reply(wechat.post(media_xml(openid, msg_type, new_msg_id()), safe=True), safe=True)
    assert reply["Content"] == NON_TEXT_NOTE and "文字" in reply["Content"]
    assert user_turns(openid) == 0


def test_an_empty_text_gets_the_bots_no_content_reply(wechat):
    reply = wechat.reply(wechat.post(text_xml(new_openid(), "   ", new_msg_id())))
    assert "我没有看到文字内容" in reply["Content"]


ENTITY_BOMB = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
               '<xml><ToUserName>x</ToUserName><FromUserName>o-bomb</FromUserName>'
               '<MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>')
BAD_BODIES = {
    "empty": b"",
    "not xml": "代运营怎么收费".encode(),
    "unclosed": b"<xml><ToUserName><![CDATA[x]]></ToUserName><MsgType>text",
    "no root fields": b"<xml>hello</xml>",
    "another root": b"<foo><MsgType>text</MsgType></foo>",
    "no MsgType": b"<xml><FromUserName>o1</FromUserName></xml>",
    "nested MsgType": b"<xml><FromUserName>o1</FromUserName><MsgType><a/></MsgType></xml>",
    "nested Content": b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>"
                      b"<Content><b>1</b></Content><MsgId>1</MsgId></xml>",
    "no sender": b"<xml><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
    "not utf-8": b"<xml><FromUserName>\xff\xfe</FromUserName></xml>",
    "entity bomb": ENTITY_BOMB.encode(),
    "doctype": b'<!DOCTYPE xml SYSTEM "http://example.com/x.dtd"><xml><MsgType>text</MsgType></xml>',
    "external entity": b'<!doctype x [<!entity e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>',
    "huge": b"<xml><Content>" + b"a" * (MAX_BODY_BYTES + 1) + b"</Content></xml>",
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_input_gets_a_4xx_and_the_server_stays_up(wechat, name):
    response = wechat.post(BAD_BODIES[name])
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert wechat.verify("alive").text == "alive"


def test_bad_input_in_safe_mode_gets_a_4xx_too(wechat):
    # encrypted correctly, but the plaintext inside is an entity bomb / malformed
    for xml in (ENTITY_BOMB, "<xml><MsgType>text"):
        response = wechat.post(xml, safe=True)
        assert 400 <= response.status_code < 500, response.text


def test_the_assistant_still_answers_after_bad_input(wechat, kb):
    reply = wechat.reply(wechat.post(text_xml(new_openid(), "代运营怎么收费", new_msg_id())))
    assert kb.entries["agency_cost"].answer in reply["Content"]
