import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
from playwright.sync_api import sync_playwright
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base
from scripts.local_servers import free_port, wait_for_http
from tests.fake_platform_api import FakePlatformAPI

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kb():
    return knowledge_base()


@pytest.fixture(scope="session")
def domain() -> Dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))


@pytest.fixture(scope="session")
def empty_support_database(tmp_path_factory) -> str:
    from support import db

    url = f"sqlite:///{tmp_path_factory.mktemp('support') / 'support.db'}"
    db.upgrade(url)
    yield url
    db.engine_for(url).dispose()


@pytest.fixture
def no_tickets(empty_support_database, monkeypatch):
    """Offline action tests: the actions that ask whether a handoff ticket waits for the
    seller find none (and never touch the working copy's support.db)."""
    monkeypatch.setenv("DATABASE_URL", empty_support_database)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def mode_entity(value: str) -> Dict:
    return {"entity": "mode", "value": value, "extractor": "DictionaryEntityRuler"}


def make_tracker(
    intent: str,
    modes: List[str] = (),
    text: str = "",
    slots: Optional[Dict] = None,
    ranking: Optional[List[Dict]] = None,
    entities: List[Dict] = (),
    events: List[Dict] = (),
) -> Tracker:
    """A tracker whose latest message is what the NLU pipeline would have produced."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [mode_entity(m) for m in modes] + list(entities),
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
    }
    return Tracker(
        sender_id="seller-1",
        slots={"mode": None, "question_type": None, **(slots or {})},
        latest_message=latest,
        events=list(events) + [{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


# ---- a running assistant (Rasa + action server) for end-to-end tests ----
MODEL = ROOT / "models" / "faq.tar.gz"
START_TIMEOUT_S = 240


# Channel secrets the running assistant is started with; tests sign requests with them.
SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = "test-slack-signing-secret"
SLACK_CHANNEL = "C0SELLERS"
WECHAT_TOKEN = "test-wechat-token"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_APP_SECRET = "test-wechat-app-secret"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues
STAFF_TOKEN = "test-staff-token"


@pytest.fixture(scope="session")
def fake_slack_api():
    api = FakePlatformAPI({
        "/api/chat.postMessage": {"ok": True, "channel": SLACK_CHANNEL, "ts": "1700000000.000100"},
        "/staff-webhook": {"ok": True},  # an incoming webhook of the staff channel
    }).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def fake_wechat_api():
    api = FakePlatformAPI({
        "/cgi-bin/token": {"access_token": "test-access-token", "expires_in": 7200},
        "/cgi-bin/message/custom/send": {"errcode": 0, "errmsg": "ok"},
    }).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, fake_slack_api, fake_wechat_api):
    """The assistant started as `make run` starts it (Rasa, action server, web app), with
    every channel switched on and Slack's and WeChat's APIs faked on loopback."""
    assert MODEL.exists(), "train first: make train"
    workdir = tmp_path_factory.mktemp("e2e")
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    log = workdir / "serve.log"
    database_url = f"sqlite:///{workdir / 'support.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url, "STAFF_TOKEN": STAFF_TOKEN,
        "SLACK_STAFF_WEBHOOK_URL": f"{fake_slack_api.url}/staff-webhook",
        "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "WEB_PORT": str(web_port),
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}", "RUN_DIR": str(workdir / "run"),
        "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
        "SLACK_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_CHANNEL": SLACK_CHANNEL, "SLACK_API_URL": f"{fake_slack_api.url}/api/",
        "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET, "WECHAT_AES_KEY": WECHAT_AES_KEY,
        "WECHAT_API_URL": f"{fake_wechat_api.url}/cgi-bin/",
    }
    # started as `make run` starts it, in its own process group so all servers stop together
    server = subprocess.Popen([str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for url in (f"http://127.0.0.1:{action_port}/health", f"http://127.0.0.1:{web_port}/",
                    f"http://127.0.0.1:{rasa_port}/"):
            wait_for_http(url, [server], START_TIMEOUT_S, log)
        yield Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{web_port}", log,
                        database_url, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


class Assistant:
    def __init__(self, rasa_url: str, web_url: str, log: Path, database_url: str, pid: int):
        self.rasa_url, self.web_url, self.log = rasa_url, web_url, log
        self.database_url = database_url
        self.pid = pid  # serve.sh, whose children are the servers


@pytest.fixture(scope="session")
def rasa_url(assistant) -> str:
    return assistant.rasa_url


def say(base_url: str, sender: str, text: str) -> list:
    """One message through the REST channel; the bot's messages (the reply must be a 200)."""
    response = requests.post(f"{base_url}/webhooks/rest/webhook", timeout=60,
                             json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return response.json()


def conversation_tracker(base_url: str, sender: str, api_token: str) -> dict:
    """The conversation as Rasa's HTTP API shows it."""
    response = requests.get(f"{base_url}/conversations/{sender}/tracker",
                            params={"token": api_token}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


class Seller:
    """One conversation through the REST channel."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.sender = f"seller-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> list:
        return say(self.base_url, self.sender, text)


def customs(messages: list, kind: str) -> list:
    return [m["custom"] for m in messages if m.get("custom", {}).get("type") == kind]


def texts(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


# ---- a real browser: Debian's chromium driven by Playwright (never a downloaded browser) ----
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# module scope: Playwright's sync API holds an event loop open while the browser lives,
# which would break asyncio.run() in the tests of other modules
@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make install`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
