import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kb():
    return knowledge_base()


@pytest.fixture(scope="session")
def domain() -> Dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not come up:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def rasa_url(tmp_path_factory):
    assert MODEL.exists(), "train first: make train"
    workdir = tmp_path_factory.mktemp("e2e")
    rasa_port, action_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n"
    )
    log = workdir / "serve.log"
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port),
           "ENDPOINTS": str(endpoints), "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    # started as `make run` starts it, in its own process group so both servers stop together
    server = subprocess.Popen([str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", server, log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", server, log)
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


class Seller:
    """One conversation through the REST channel."""

    def __init__(self, base_url: str):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = f"seller-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> list:
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def customs(messages: list, kind: str) -> list:
    return [m["custom"] for m in messages if m.get("custom", {}).get("type") == kind]


def texts(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


