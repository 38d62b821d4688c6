"""The staff console's API (webapp/staff_api.py), in-process.

Each test gets the web app on a loopback port, a fresh SQLite support database created
through the Alembic migrations (support.db.upgrade), and a fake Rasa conversation API that
records what the web app appends to conversations. Requests are sent as the console and the
widget send them. No Rasa, no model. At the end, WeChat's output channel for Rasa's
conversation API (how a staff reply reaches a WeChat seller) against a fake WeChat API.
"""
import asyncio
import logging
import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
import yaml
from aiohttp import web
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select

from support import store
from support.db import session_scope, upgrade
from channels.wechat import WeChatDeliveryError, WeChatInput
from support.models import Feedback
from tests.conftest import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, free_port
from tests.fake_platform_api import FakePlatformAPI
from webapp import staff_api
from webapp.nlu_export import domain_intents, example_text, nlu_yaml
from webapp.rasa_api import RasaAPI, RasaAPIError
from webapp.server import create_app
from webapp.staff_api import CLAIMED_TEXT, RESUMED_TEXT, StaffConfig

STAFF_TOKEN = "staff-api-test-token-5d1f"
RASA_TOKEN = "rasa-api-test-token-93ab"
WRONG_TOKEN = "guessed-token-0000"


class RunningApp:
    """The aiohttp app served from a thread with its own event loop, as `python -m webapp`
    serves it (access log on)."""

    def __init__(self, app: web.Application):
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def start(self) -> "RunningApp":
        self.thread.start()
        self._run(self.runner.setup())
        self._run(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        return self

    def stop(self) -> None:
        self._run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Api:
    """The web app with its database and its fake Rasa."""

    def __init__(self, url: str, database_url: str, rasa: FakePlatformAPI):
        self.url, self.database_url, self.rasa = url, database_url, rasa

    def call(self, method: str, path: str, token: Optional[str] = STAFF_TOKEN, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=15, **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.call("POST", path, json=body, **kwargs)

    def ticket(self, **fields) -> int:
        """A ticket made as the handoff action makes it; returns its id."""
        values = dict(sender_id="seller-1", channel="socketio", category="ask_cost",
                      urgency="normal", trigger="asked_for_person", summary="卖家要求转人工",
                      profile={"daily_orders": 20, "marketplaces": ["DE"]},
                      recommendation={"mode": "agency", "scores": {"agency": 5}},
                      transcript=[("seller", "代运营怎么收费", None), ("bot", "代运营一般收取…", None),
                                  ("seller", "转人工", None)])
        values.update(fields)
        with session_scope(self.database_url) as session:
            return store.create_ticket(session, **values).id

    def status_of(self, ticket_id: int) -> Dict:
        with session_scope(self.database_url) as session:
            return store.ticket_dict(store.get_ticket(session, ticket_id), with_messages=True)

    def rasa_accepts(self, sender: str) -> str:
        """Let the fake Rasa answer appends to `sender`'s conversation; returns the path."""
        path = f"/conversations/{requests.utils.quote(sender, safe='')}/tracker/events"
        self.rasa.responses[path] = {"sender_id": sender, "events": []}
        return path


@pytest.fixture(scope="module")
def rasa_server():
    api = FakePlatformAPI({}).start()
    yield api
    api.stop()


@pytest.fixture
def fake_rasa(rasa_server):
    """Rasa's conversation API, faked: 404 for every conversation until a test lets it
    accept one (Api.rasa_accepts); records what it got."""
    rasa_server.responses.clear()
    with rasa_server._lock:
        rasa_server.requests.clear()
    return rasa_server


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database file brought to the latest schema by the migrations; each test gets a copy
    (SQLite in WAL mode: the file is complete once the migration's connections are closed)."""
    path = tmp_path_factory.mktemp("migrated") / "support.db"
    upgrade(f"sqlite:///{path}")
    return path


def serve(tmp_path: Path, rasa_url: str, migrated: Path, token: Optional[str] = STAFF_TOKEN):
    shutil.copy(migrated, tmp_path / "support.db")
    database_url = f"sqlite:///{tmp_path / 'support.db'}"
    config = StaffConfig(token=token, database_url=database_url, rasa=RasaAPI(rasa_url, RASA_TOKEN))
    return RunningApp(create_app("http://127.0.0.1:5005", config)).start(), database_url


@pytest.fixture
def api(tmp_path, fake_rasa, migrated):
    running, database_url = serve(tmp_path, fake_rasa.url, migrated)
    yield Api(running.url, database_url, fake_rasa)
    running.stop()


STAFF_ROUTES = [
    ("GET", "/api/tickets", None),
    ("GET", "/api/tickets/1", None),
    ("POST", "/api/tickets/1/claim", {"staff": "王敏"}),
    ("POST", "/api/tickets/1/reply", {"staff": "王敏", "text": "您好"}),
    ("POST", "/api/tickets/1/resolve", {"staff": "王敏"}),
    ("GET", "/api/review", None),
    ("POST", "/api/review/export", {"items": [{"text": "怎么开票", "intent": "ask_cost"}]}),
    ("GET", "/api/intents", None),
    ("GET", "/api/labels", None),
    ("GET", "/api/stats", None),
]


# ---------------------------------------------------------------------------------------
# authentication
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,path,body", STAFF_ROUTES)
def test_every_staff_route_needs_the_token(api, method, path, body):
    api.ticket()
    for headers in ({}, {"Authorization": f"Bearer {WRONG_TOKEN}"},
                    {"Authorization": f"Bearer {STAFF_TOKEN}x"}, {"Authorization": "Bearer"},
                    {"Authorization": STAFF_TOKEN}, {"Authorization": f"Basic {STAFF_TOKEN}"}):
        response = api.call(method, path, token=None, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "口令无效" in response.json()["error"]
    # nothing changed behind the refusals
    assert api.status_of(1)["status"] == "open"
    assert not api.rasa.requests


def test_with_the_token_the_routes_answer(api):
    api.ticket()
    assert api.get("/api/tickets").status_code == 200
    assert api.get("/api/tickets", token=None,
                   headers={"Authorization": f"bearer   {STAFF_TOKEN}  "}).status_code == 200


def test_without_staff_token_the_console_is_off(tmp_path, fake_rasa, migrated):
    running, _ = serve(tmp_path, fake_rasa.url, migrated, token=None)
    try:
        off = Api(running.url, "", fake_rasa)
        for method, path, body in STAFF_ROUTES:
            for token in (None, "", STAFF_TOKEN):
                response = off.call(method, path, token=token, json=body)
                assert response.status_code == 401
                assert "未开启" in response.json()["error"]
        # the public feedback route still works
        feedback = {"session_id": "s-1", "answer_id": "agency_cost", "question": "q", "value": "up"}
        assert off.post("/api/feedback", feedback, token=None).status_code == 204
    finally:
        running.stop()


def test_the_token_is_compared_in_constant_time(api, monkeypatch):
    seen = []
    real = staff_api.hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(staff_api.hmac, "compare_digest", spy)
    assert api.get("/api/tickets", token=WRONG_TOKEN).status_code == 401
    assert api.get("/api/tickets").status_code == 200
    assert seen == [(WRONG_TOKEN.encode(), STAFF_TOKEN.encode()),
                    (STAFF_TOKEN.encode(), STAFF_TOKEN.encode())]


def test_no_token_reaches_the_log(tmp_path, migrated, caplog):
    """Neither the staff token (right or wrong), nor the Authorization header, nor Rasa's
    API token (a query parameter of the web app's requests to Rasa) is logged, on success
    and on every failure path."""
    caplog.set_level(logging.DEBUG)
    unreachable = f"http://127.0.0.1:{free_port()}"
    refusing = FakePlatformAPI({}).start()  # 404 for every conversation: "Rasa refused"
    try:
        for n, rasa_url in enumerate((unreachable, refusing.url)):
            (tmp_path / str(n)).mkdir()
            running, database_url = serve(tmp_path / str(n), rasa_url, migrated)
            try:
                app = Api(running.url, database_url, refusing)
                ticket = app.ticket()
                app.get("/api/tickets")
                app.get("/api/tickets", token=WRONG_TOKEN)
                app.get(f"/api/tickets/{ticket}")
                assert app.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "您好"}).status_code == 502
                assert app.post(f"/api/tickets/{ticket}/resolve", {"staff": "王敏"}).status_code == 502
            finally:
                running.stop()
        logging.getLogger("webapp").info("%s", StaffConfig(STAFF_TOKEN, "sqlite://", RasaAPI(unreachable, RASA_TOKEN)))
    finally:
        refusing.stop()
    logged = caplog.text
    assert "GET /api/tickets" in logged, "the access log was not captured"
    assert "Rasa conversation API" in logged, "the failure path was not logged"
    assert "token=***" in logged, "urllib3's request lines were not captured"
    for secret in (STAFF_TOKEN, RASA_TOKEN, WRONG_TOKEN, "Authorization", "Bearer"):
        assert secret not in logged


def test_rasa_errors_carry_no_token():
    client = RasaAPI(f"http://127.0.0.1:{free_port()}", RASA_TOKEN)
    with pytest.raises(RasaAPIError) as raised:
        client.append_events("seller-1", [{"event": "resume"}])
    assert RASA_TOKEN not in str(raised.value)
    assert raised.value.__suppress_context__  # the requests error (with the URL) is not shown
    assert RASA_TOKEN not in repr(client)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("STAFF_TOKEN", STAFF_TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/support")
    monkeypatch.setenv("RASA_INTERNAL_URL", "http://rasa:5005/")
    monkeypatch.setenv("RASA_API_TOKEN", RASA_TOKEN)
    config = StaffConfig.from_env()
    assert (config.token, config.database_url, config.rasa.base_url) == (
        STAFF_TOKEN, "postgresql://u:p@db/support", "http://rasa:5005")
    assert STAFF_TOKEN not in repr(config) and RASA_TOKEN not in repr(config)
    monkeypatch.delenv("RASA_INTERNAL_URL")
    monkeypatch.setenv("RASA_PORT", "5999")
    monkeypatch.setenv("STAFF_TOKEN", "")
    config = StaffConfig.from_env()
    assert config.rasa.base_url == "http://127.0.0.1:5999" and config.token is None


# ---------------------------------------------------------------------------------------
# the queue and one ticket
# ---------------------------------------------------------------------------------------
def ids(response) -> List[int]:
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["tickets"]]


def test_the_queue_and_its_filters(api):
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    normal = api.ticket(sender_id="a", urgency="normal", channel="socketio", category="ask_cost")
    urgent = api.ticket(sender_id="b", urgency="urgent", trigger="urgent_topic", channel="wechat",
                        category="account", transcript=[("seller", "我的账户被封了怎么办", old)])
    high = api.ticket(sender_id="c", urgency="high", trigger="repeated_fallback", channel="slack",
                      category="ask_risk")
    done = api.ticket(sender_id="d", urgency="urgent", channel="socketio", category="ask_cost")
    api.rasa_accepts("c")
    api.rasa_accepts("d")
    assert api.post(f"/api/tickets/{high}/claim", {"staff": "王敏"}).status_code == 200
    assert api.post(f"/api/tickets/{done}/resolve", {"staff": "王敏"}).status_code == 200

    assert ids(api.get("/api/tickets")) == [urgent, done, high, normal]  # urgent first, then oldest
    assert ids(api.get("/api/tickets?status=open")) == [urgent, normal]
    assert ids(api.get("/api/tickets?status=claimed")) == [high]
    assert ids(api.get("/api/tickets?status=resolved")) == [done]
    assert ids(api.get("/api/tickets?status=open,claimed")) == [urgent, high, normal]
    assert ids(api.get("/api/tickets?urgency=urgent")) == [urgent, done]
    assert ids(api.get("/api/tickets?category=ask_cost")) == [done, normal]
    assert ids(api.get("/api/tickets?channel=wechat")) == [urgent]
    assert ids(api.get("/api/tickets?channel=socketio&status=open")) == [normal]
    assert ids(api.get("/api/tickets?category=nothing-like-it")) == []

    row = api.get("/api/tickets?channel=wechat").json()["tickets"][0]
    assert {"id", "sender_id", "channel", "category", "urgency", "trigger", "summary", "profile",
            "recommendation", "status", "claimed_by", "created_at", "updated_at", "claimed_at",
            "resolved_at"} <= set(row)
    assert "messages" not in row  # the queue is light; the transcript comes with one ticket
    assert api.get("/api/tickets").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", [
    "status=closed", "status=open,nope", "status=,", "urgency=critical", "category=" + "x" * 65,
    "channel=" + "y" * 65,
])
def test_bad_queue_filters_are_a_400(api, query):
    response = api.get("/api/tickets?" + query)
    assert response.status_code == 400
    assert response.json()["error"]


def test_one_ticket_with_transcript_profile_and_recommendation(api):
    ticket = api.ticket(summary="<script>alert(1)</script>")
    data = api.get(f"/api/tickets/{ticket}").json()
    assert data["summary"] == "<script>alert(1)</script>"  # JSON; the console draws it as text
    assert data["profile"] == {"daily_orders": 20, "marketplaces": ["DE"]}
    assert data["recommendation"]["mode"] == "agency"
    assert [(m["author"], m["text"]) for m in data["messages"]] == [
        ("seller", "代运营怎么收费"), ("bot", "代运营一般收取…"), ("seller", "转人工")]


@pytest.mark.parametrize("path", ["/api/tickets/999", "/api/tickets/0", "/api/tickets/99999999999",
                                  "/api/tickets/abc", "/api/tickets/-1", "/api/tickets/1.5"])
def test_an_unknown_ticket_is_a_404(api, path):
    api.ticket()
    assert api.get(path).status_code == 404
    for action in ("claim", "reply", "resolve"):
        assert api.post(f"{path}/{action}", {"staff": "王敏", "text": "您好"}).status_code == 404


def test_claim_pauses_the_bot_and_tells_the_seller_and_its_conflicts(api):
    ticket = api.ticket()
    path = api.rasa_accepts("seller-1")
    claimed = api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"})
    assert claimed.status_code == 200
    assert (claimed.json()["status"], claimed.json()["claimed_by"]) == ("claimed", "王敏")
    assert claimed.json()["claimed_at"]
    notice = CLAIMED_TEXT.format(staff="王敏", id=ticket)
    assert claimed.json()["messages"][-1]["text"] == notice
    [sent] = api.rasa.received(path)
    assert sent.query["output_channel"] == ["latest"]
    # from now on Rasa logs the seller's messages without answering them
    assert sent.json() == [{"event": "pause"}, {
        "event": "bot", "text": notice, "metadata": {"staff": True},
        "data": {"custom": {"type": "handoff_claimed", "ticket_id": ticket}}}]

    assert api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"}).status_code == 200  # again: fine
    taken = api.post(f"/api/tickets/{ticket}/claim", {"staff": "李雷"})
    assert taken.status_code == 409 and "王敏" in taken.json()["error"]
    assert api.status_of(ticket)["claimed_by"] == "王敏"
    assert len(api.rasa.received(path)) == 1  # the seller was told once


def test_a_claim_rasa_did_not_take_is_a_502_and_the_ticket_stays_open(api):
    ticket = api.ticket(sender_id="nobody-home")  # the fake Rasa answers 404 for this sender
    response = api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"})
    assert response.status_code == 502 and "对话服务" in response.json()["error"]
    data = api.status_of(ticket)
    assert (data["status"], data["claimed_by"]) == ("open", None)  # the bot still answers
    assert [m["author"] for m in data["messages"]] == ["seller", "bot", "seller"]


@pytest.mark.parametrize("body", [
    None, [], "staff", {}, {"staff": ""}, {"staff": "   "}, {"staff": 7}, {"staff": ["王敏"]},
    {"staff": "王" * 65},
])
def test_claim_with_a_bad_body_is_a_400(api, body):
    ticket = api.ticket()
    response = api.post(f"/api/tickets/{ticket}/claim", body)
    assert response.status_code == 400, response.text
    assert api.status_of(ticket)["status"] == "open"


def test_a_body_that_is_not_json_is_a_400(api):
    ticket = api.ticket()
    for data in (b"staff=x", b"{", "\udcff".encode("utf-8", "surrogatepass"), b""):
        response = api.call("POST", f"/api/tickets/{ticket}/claim", data=data,
                            headers={"Content-Type": "application/json"})
        assert response.status_code == 400


def test_an_oversized_body_is_refused(api):
    ticket = api.ticket()
    response = api.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "字" * 40_000})
    assert response.status_code == 413
    assert not api.rasa.requests


def test_reply_reaches_the_seller_through_rasa_and_joins_the_ticket(api):
    ticket = api.ticket(sender_id="wx/o+penid 1")  # any sender id is one path segment
    path = api.rasa_accepts("wx/o+penid 1")
    assert path == "/conversations/wx%2Fo%2Bpenid%201/tracker/events"
    response = api.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "  您好，我来帮您处理。 "})
    assert response.status_code == 200, response.text
    data = response.json()
    # replying to an open ticket claims it for the one replying
    assert (data["status"], data["claimed_by"]) == ("claimed", "王敏")
    assert (data["messages"][-1]["author"], data["messages"][-1]["text"]) == ("staff", "您好，我来帮您处理。")

    [sent] = api.rasa.received(path)
    assert sent.method == "POST"
    assert sent.query == {"output_channel": ["latest"], "execute_side_effects": ["true"],
                          "token": [RASA_TOKEN]}
    # the claim pauses the bot: from now on staff answer
    assert sent.json() == [{"event": "pause"},
                           {"event": "bot", "text": "您好，我来帮您处理。", "metadata": {"staff": True}}]
    again = api.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "在的"})
    assert api.rasa.received(path)[-1].json() == [
        {"event": "bot", "text": "在的", "metadata": {"staff": True}}]
    assert again.json()["messages"][-1]["text"] == "在的"


def test_reply_conflicts(api):
    mine = api.ticket(sender_id="s1")
    api.rasa_accepts("s1")
    api.post(f"/api/tickets/{mine}/claim", {"staff": "王敏"})
    other = api.post(f"/api/tickets/{mine}/reply", {"staff": "李雷", "text": "我来"})
    assert other.status_code == 409
    assert api.post(f"/api/tickets/{mine}/resolve", {"staff": "王敏"}).status_code == 200
    late = api.post(f"/api/tickets/{mine}/reply", {"staff": "王敏", "text": "还在吗"})
    assert late.status_code == 409 and "已解决" in late.json()["error"]
    assert all(r.json()[0].get("text") != "我来" for r in api.rasa.requests)


@pytest.mark.parametrize("body", [
    {"staff": "王敏"}, {"staff": "王敏", "text": ""}, {"staff": "王敏", "text": "  \n "},
    {"staff": "王敏", "text": 42}, {"staff": "王敏", "text": "字" * 2001}, {"text": "您好"},
    {"staff": None, "text": "您好"},
])
def test_reply_with_a_bad_body_is_a_400(api, body):
    ticket = api.ticket()
    assert api.post(f"/api/tickets/{ticket}/reply", body).status_code == 400
    assert not api.rasa.requests
    assert api.status_of(ticket)["status"] == "open"


def test_a_reply_of_2000_characters_is_fine(api):
    ticket = api.ticket(sender_id="long")
    api.rasa_accepts("long")
    assert api.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "字" * 2000}).status_code == 200


def test_a_reply_rasa_did_not_take_is_a_502_and_not_stored(api):
    ticket = api.ticket(sender_id="nobody-home")  # the fake Rasa answers 404 for this sender
    response = api.post(f"/api/tickets/{ticket}/reply", {"staff": "王敏", "text": "您好"})
    assert response.status_code == 502
    assert "对话服务" in response.json()["error"]
    data = api.status_of(ticket)
    assert [m["author"] for m in data["messages"]] == ["seller", "bot", "seller"]
    assert data["status"] == "open"  # not a claim either: the bot was not paused


def test_resolve_hands_the_conversation_back_to_the_bot(api):
    ticket = api.ticket(sender_id="s2")
    path = api.rasa_accepts("s2")
    api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"})
    response = api.post(f"/api/tickets/{ticket}/resolve", {"staff": "李雷"})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "resolved" and data["resolved_at"]
    assert data["claimed_by"] == "王敏"  # who handled it stays on record
    [_claim, sent] = api.rasa.received(path)
    assert sent.query["output_channel"] == ["latest"] and sent.query["token"] == [RASA_TOKEN]
    events = sent.json()
    assert events[0] == {"event": "resume"}
    assert events[1]["event"] == "bot" and events[1]["text"] == RESUMED_TEXT
    assert events[1]["data"]["custom"] == {"type": "handoff_resolved", "ticket_id": ticket}
    # the bot listens again, so the seller's next message is handled like any other
    assert events[2] == {"event": "action", "name": "action_listen"}
    assert len(events) == 3

    again = api.post(f"/api/tickets/{ticket}/resolve", {"staff": "王敏"})
    assert again.status_code == 409 and again.json()["error"] == "工单已解决。"
    assert len(api.rasa.received(path)) == 2  # the bot was not resumed twice
    assert api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"}).status_code == 409


def test_an_open_ticket_can_be_resolved_directly(api):
    ticket = api.ticket(sender_id="s3")
    api.rasa_accepts("s3")
    data = api.post(f"/api/tickets/{ticket}/resolve", {"staff": "王敏"}).json()
    assert (data["status"], data["claimed_by"]) == ("resolved", "王敏")


def test_when_rasa_cannot_be_told_the_ticket_stays_open(api):
    ticket = api.ticket(sender_id="unreachable")
    path = api.rasa_accepts("unreachable")
    api.post(f"/api/tickets/{ticket}/claim", {"staff": "王敏"})
    del api.rasa.responses[path]  # Rasa stops taking events for this conversation
    response = api.post(f"/api/tickets/{ticket}/resolve", {"staff": "王敏"})
    assert response.status_code == 502
    assert api.status_of(ticket)["status"] == "claimed"  # rolled back: staff can try again
    api.rasa_accepts("unreachable")
    assert api.post(f"/api/tickets/{ticket}/resolve", {"staff": "王敏"}).status_code == 200


def test_resolve_with_a_bad_body_is_a_400(api):
    ticket = api.ticket()
    for body in ({}, {"staff": ""}, [], None):
        assert api.post(f"/api/tickets/{ticket}/resolve", body).status_code == 400
    assert api.status_of(ticket)["status"] == "open"


# ---------------------------------------------------------------------------------------
# review and NLU export
# ---------------------------------------------------------------------------------------
def test_review_groups_fallbacks_and_downvotes(api):
    with session_scope(api.database_url) as session:
        for text in ("怎么开发票", "怎么开发票？", "怎麼開發票"):
            store.record_event(session, sender_id="s", kind="fallback", detail=text)
        store.record_event(session, sender_id="s", kind="fallback", detail="亚马逊物流怎么算")
        store.record_event(session, sender_id="s", kind="message", detail=None)
    for value, question in (("down", "代运营要签多久合同"), ("down", "代运营要签多久合同 "), ("up", "好的问题")):
        assert api.post("/api/feedback", {"session_id": "s", "answer_id": "agency_cost",
                                          "question": question, "value": value}, token=None).status_code == 204
    questions = api.get("/api/review").json()["questions"]
    by_text = {q["text"]: q for q in questions}
    # one group for the three wordings (punctuation, traditional characters), shown as the newest
    assert set(by_text) == {"代运营要签多久合同", "亚马逊物流怎么算", "怎麼開發票"}
    invoice = by_text["怎麼開發票"]
    assert (invoice["count"], invoice["fallbacks"], invoice["downvotes"]) == (3, 3, 0)
    contract = by_text["代运营要签多久合同"]
    assert (contract["count"], contract["downvotes"], contract["answer_ids"]) == (2, 2, ["agency_cost"])
    assert questions[0]["text"] == "代运营要签多久合同"  # newest first


def test_export_is_rasa_nlu_yaml_ready_for_data(api, tmp_path):
    items = [
        {"text": "代运营合同一般签多久", "intent": "ask_how_to_start"},
        {"text": "怎么开发票", "intent": "out_of_scope"},
        {"text": "代运营合同一般签多久", "intent": "ask_how_to_start"},  # twice: once in the file
        {"text": "[代运营](mode)的\n费用", "intent": "ask_cost"},
        {"text": "  请问 #1 套餐: 多少钱 - 含税吗  ", "intent": "ask_cost"},
    ]
    response = api.post("/api/review/export", {"items": items})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/yaml")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.text

    parsed = yaml.safe_load(text)
    assert parsed["version"] == "3.1"
    assert [block["intent"] for block in parsed["nlu"]] == ["ask_cost", "ask_how_to_start", "out_of_scope"]
    assert parsed["nlu"][1]["examples"] == "- 代运营合同一般签多久\n"

    reader = RasaYAMLReader()
    reader.validate(text)  # Rasa's NLU schema
    data = reader.reads(text)
    examples = {(m.get("text"), m.get("intent")) for m in data.intent_examples}
    assert examples == {
        ("代运营合同一般签多久", "ask_how_to_start"),
        ("怎么开发票", "out_of_scope"),
        ("［代运营］(mode)的 费用", "ask_cost"),  # read as text, not as an entity annotation
        ("请问 #1 套餐: 多少钱 - 含税吗", "ask_cost"),
    }
    assert not data.entity_examples
    saved = tmp_path / "nlu_review.yml"
    saved.write_text(text, "utf-8")
    assert RasaYAMLReader.is_yaml_nlu_file(saved)


@pytest.mark.parametrize("body", [
    {}, {"items": []}, {"items": "怎么开发票"}, {"items": [["怎么开发票", "ask_cost"]]},
    {"items": [{"text": "怎么开发票"}]}, {"items": [{"text": "怎么开发票", "intent": "no_such_intent"}]},
    {"items": [{"text": "   ", "intent": "ask_cost"}]}, {"items": [{"text": 1, "intent": "ask_cost"}]},
    {"items": [{"text": "字" * 501, "intent": "ask_cost"}]},
    {"items": [{"text": "问", "intent": "ask_cost"}] * 501}, [],
])
def test_export_with_a_bad_body_is_a_400(api, body):
    response = api.post("/api/review/export", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]


def test_intents_are_the_domains(api):
    intents = api.get("/api/intents").json()["intents"]
    domain = yaml.safe_load((Path(__file__).resolve().parents[1] / "domain.yml").read_text("utf-8"))
    assert intents == [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    assert "ask_cost" in intents and "request_human" in intents


def test_example_text_is_one_plain_line():
    assert example_text(" a\tb\r\nc\u2028d ") == "a b c d"
    assert example_text("[x]{\"entity\": \"mode\"}") == "［x］{\"entity\": \"mode\"}"
    assert example_text("数组[0] 很好") == "数组[0] 很好"  # brackets alone are no annotation
    assert example_text("bell\x07 and \ufffe") == "bell and"
    assert yaml.safe_load(nlu_yaml([("a: b # c", "ask_cost")], domain_intents()))["nlu"][0]["examples"] == "- a: b # c\n"


# ---------------------------------------------------------------------------------------
# dashboard
# ---------------------------------------------------------------------------------------
def test_stats_per_day(api):
    now = datetime.now(timezone.utc)
    yesterday = now - timedelta(days=1)
    with session_scope(api.database_url) as session:
        for sender, when in (("a", now), ("a", now), ("b", now), ("c", yesterday)):
            store.record_event(session, sender_id=sender, kind="message", created_at=when)
        store.record_event(session, sender_id="a", kind="answer", detail="ask_cost", created_at=now)
        store.record_event(session, sender_id="b", kind="answer", detail="ask_cost", created_at=now)
        store.record_event(session, sender_id="b", kind="answer", detail="ask_risk", created_at=now)
        store.record_event(session, sender_id="b", kind="fallback", detail="嗯？", created_at=now)
        store.record_event(session, sender_id="b", kind="handoff", detail="asked_for_person", created_at=now)
        store.record_event(session, sender_id="a", kind="recommendation", detail="agency", created_at=now)
    response = api.get("/api/stats?days=3")
    assert response.status_code == 200
    days = response.json()["days"]
    assert [d["date"] for d in days] == [(now - timedelta(days=n)).date().isoformat() for n in (2, 1, 0)]
    assert days[0]["conversations"] == 0 and days[0]["fallback_rate"] == 0.0
    assert days[1]["conversations"] == 1
    today = days[2]
    assert today["conversations"] == 2 and today["messages"] == 3
    assert today["answers"] == {"ask_cost": 2, "ask_risk": 1}
    assert today["fallback_rate"] == round(1 / 3, 4)
    assert today["handoff_rate"] == 0.5
    assert today["recommendations"] == {"agency": 1}
    assert len(api.get("/api/stats").json()["days"]) == 14  # the default


@pytest.mark.parametrize("days", ["0", "-3", "91", "abc", "1.5", ""])
def test_stats_with_bad_days_is_a_400(api, days):
    if days == "":
        assert api.get("/api/stats?days=").status_code == 200  # empty: the default
        return
    assert api.get(f"/api/stats?days={days}").status_code == 400


def test_labels_name_areas_modes_and_profile_fields(api):
    labels = api.get("/api/labels").json()
    assert labels["areas"]["ask_cost"] == "费用"
    assert labels["areas"]["agency_cost"] == "费用"  # an entry id maps to its area
    assert labels["modes"]["agency"] == "代运营"
    assert labels["fields"]["daily_orders"] == "日均订单"
    assert labels["values"]["marketplaces"]["DE"] == "德国站"


# ---------------------------------------------------------------------------------------
# the widget's public feedback route
# ---------------------------------------------------------------------------------------
def test_feedback_is_public_and_stored(api):
    body = {"session_id": "sess-1", "answer_id": "agency_cost", "question": "代运营怎么收费", "value": "down"}
    response = api.post("/api/feedback", body, token=None, headers={"Origin": "http://seller.example"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert api.post("/api/feedback", {"session_id": "sess-1", "value": "up"}, token=None).status_code == 204
    with session_scope(api.database_url) as session:
        rows = session.execute(select(Feedback).order_by(Feedback.id)).scalars().all()
        assert [(f.sender_id, f.answer_id, f.question, f.value) for f in rows] == [
            ("sess-1", "agency_cost", "代运营怎么收费", "down"), ("sess-1", None, None, "up")]


def test_feedback_preflight_allows_other_origins(api):
    response = requests.options(api.url + "/api/feedback", timeout=5, headers={
        "Origin": "http://seller.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    # the staff routes have no CORS: other origins can't read them
    assert "Access-Control-Allow-Origin" not in api.get("/api/tickets").headers


@pytest.mark.parametrize("body", [
    None, [], {}, {"session_id": "s", "value": "meh"}, {"session_id": "s", "value": True},
    {"session_id": "s"}, {"value": "up"}, {"session_id": "", "value": "up"},
    {"session_id": "s" * 129, "value": "up"}, {"session_id": 5, "value": "up"},
    {"session_id": "s", "value": "up", "answer_id": 3}, {"session_id": "s", "value": "up", "answer_id": "a" * 65},
    {"session_id": "s", "value": "up", "question": "问" * 2001}, {"session_id": "s", "value": "up", "question": {}},
])
def test_feedback_with_a_bad_body_is_a_400(api, body):
    response = api.post("/api/feedback", body, token=None)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # the widget can read why
    with session_scope(api.database_url) as session:
        assert not session.execute(select(Feedback)).scalars().all()


def test_feedback_that_is_not_json_is_a_400(api):
    response = api.call("POST", "/api/feedback", token=None, data=b"value=up",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


# ---------------------------------------------------------------------------------------
# the console's files
# ---------------------------------------------------------------------------------------
def test_the_console_is_served_and_loads_nothing_from_elsewhere(api):
    page = api.get("/staff", token=None)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    for asset in ("/staff.js", "/staff.css"):
        response = api.get(asset, token=None)
        assert response.status_code == 200
        assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in response.text
    assert "http" not in page.text.lower().replace("http-equiv", "")
    script = api.get("/staff.js", token=None).text
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script


# ---------------------------------------------------------------------------------------
# the seller's own channel: WeChat's output for Rasa's conversation API
# ---------------------------------------------------------------------------------------
WECHAT_SEND = "/cgi-bin/message/custom/send"


def wechat_channel(api_url: str) -> WeChatInput:
    return WeChatInput(WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_AES_KEY,
                       api_url=api_url + "/cgi-bin/")


def test_wechat_output_sends_through_the_customer_service_api():
    fake = FakePlatformAPI({"/cgi-bin/token": {"access_token": "t", "expires_in": 7200},
                            WECHAT_SEND: {"errcode": 0, "errmsg": "ok"}}).start()
    try:
        channel = wechat_channel(fake.url)
        output = channel.get_output_channel()
        long_text = "客服回复：" + "代运营费用说明。" * 200  # over WeChat's 2048-byte limit
        asyncio.run(output.send_response("o-seller", {"text": long_text, "staff": True}))
        sent = fake.received(WECHAT_SEND)
        assert len(sent) >= 2 and all(r.json()["touser"] == "o-seller" for r in sent)
        assert "".join(r.json()["text"]["content"] for r in sent).replace("\n", "") == long_text
        # buttons become numbered options, answered by digit as after a bot turn
        asyncio.run(output.send_response("o-seller", {"text": "请选择", "buttons": [
            {"title": "代运营", "payload": "/choose_mode{\"mode\":\"agency\"}"}]}))
        assert "1. 代运营" in fake.received(WECHAT_SEND)[-1].json()["text"]["content"]
        assert channel._options.get("o-seller") == ["/choose_mode{\"mode\":\"agency\"}"]
    finally:
        fake.stop()


def test_a_failed_wechat_delivery_raises_so_staff_learn_of_it():
    fake = FakePlatformAPI({"/cgi-bin/token": {"access_token": "t", "expires_in": 7200},
                            # outside the 48-hour window WeChat refuses customer-service messages
                            WECHAT_SEND: {"errcode": 45015, "errmsg": "response out of time limit"}}).start()
    try:
        output = wechat_channel(fake.url).get_output_channel()
        with pytest.raises(WeChatDeliveryError):
            asyncio.run(output.send_response("o-seller", {"text": "您好"}))
    finally:
        fake.stop()
