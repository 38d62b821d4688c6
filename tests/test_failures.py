"""Failures, in the default single-machine set-up (SQLite): the action server killed in the
middle of a conversation, Rasa killed and restarted, a database that is not there at start.
Rasa and the action server are started as separate `scripts/serve.sh` parts, so each can be
killed on its own."""
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from scripts.local_servers import wait_for_http
from tests.conftest import ROOT, conversation_tracker, free_port, say, texts

API_TOKEN = "test-failures-api-token"
SERVICE_UNAVAILABLE = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))[
    "responses"]["utter_service_unavailable"][0]["text"]


class Part:
    """One `scripts/serve.sh <part>` process group, which the test may kill and start again."""

    def __init__(self, name: str, env: dict, workdir: Path, health_url: str):
        self.name, self.env, self.health_url = name, env, health_url
        self.log = workdir / f"{name}.log"
        self.process = None

    def start(self) -> "Part":
        self.process = subprocess.Popen([str(ROOT / "scripts" / "serve.sh"), self.name],
                                        cwd=ROOT, env=self.env, stdout=self.log.open("a"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_http(self.health_url, [self.process], log=self.log)
        return self

    def kill(self) -> None:
        """As a crash: SIGKILL, no chance to tidy up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("failures")
    rasa_port, action_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("SLACK_TOKEN", "WECHAT_TOKEN", "REDIS_URL")}
    env.update({
        "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
        "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port),
        "RUN_DIR": str(workdir / "run"), "RASA_API_TOKEN": API_TOKEN,
        "DATABASE_URL": f"sqlite:///{workdir / 'support.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
    })
    actions = Part("actions", env, workdir, f"http://127.0.0.1:{action_port}/health").start()
    rasa = Part("rasa", env, workdir, f"http://127.0.0.1:{rasa_port}/").start()
    yield {"actions": actions, "rasa": rasa, "url": f"http://127.0.0.1:{rasa_port}",
           "env": env, "workdir": workdir}
    rasa.stop()
    actions.stop()


def answer_id(messages: list):
    return next((m["custom"].get("id") for m in messages if "custom" in m), None)


def test_action_server_killed_mid_conversation_the_seller_gets_an_apology_then_answers(parts):
    sender = f"failure-{uuid.uuid4().hex[:8]}"
    assert answer_id(say(parts["url"], sender, "代运营怎么收费")) == "agency_cost"
    parts["actions"].kill()
    try:
        apology = say(parts["url"], sender, "联合营销有什么风险")
        assert [m.get("text") for m in apology] == [SERVICE_UNAVAILABLE]
        # the question itself is kept in the conversation
        events = conversation_tracker(parts["url"], sender, API_TOKEN)["events"]
        assert "联合营销有什么风险" in [e.get("text") for e in events if e["event"] == "user"]
    finally:
        parts["actions"].start()
    assert answer_id(say(parts["url"], sender, "联合营销有什么风险")) == "co_marketing_risk"


def test_rasa_killed_and_restarted_keeps_the_conversation(parts):
    sender = f"failure-{uuid.uuid4().hex[:8]}"
    assert "品牌注册" in texts(say(parts["url"], sender, "帮我推荐一个合作模式"))
    say(parts["url"], sender, "已经注册了")
    parts["rasa"].kill()
    parts["rasa"].start()
    state = conversation_tracker(parts["url"], sender, API_TOKEN)
    assert state["slots"]["brand_registered"] is True
    assert state["active_loop"].get("name") == "recommendation_form"
    # the form goes on from where it was: the next answer is read as an answer, no restart
    follow_up = texts(say(parts["url"], sender, "跳过"))
    assert "品牌注册" not in follow_up and follow_up


def test_an_unreachable_database_stops_the_start_with_a_clear_message(parts):
    env = {**parts["env"], "RASA_PORT": str(free_port()), "DATABASE_CONNECT_TIMEOUT_S": "2",
           "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/desk"}
    started = time.monotonic()
    result = subprocess.run([str(ROOT / "scripts" / "serve.sh"), "rasa"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert time.monotonic() - started < 60  # one clear failure, no retry loop
    assert "unreachable" in result.stderr and "desk" in result.stderr
