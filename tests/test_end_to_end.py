"""The assistant as sellers reach it: real Rasa + action server, REST channel, trained model."""
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

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


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    assert MODEL.exists(), "train first: make train"
    workdir = tmp_path_factory.mktemp("e2e")
    rasa_port, action_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n"
    )
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    commands = [
        [str(bin_dir / "rasa"), "run", "actions", "--port", str(action_port), "--actions", "actions"],
        [str(bin_dir / "rasa"), "run", "--model", str(MODEL), "--port", str(rasa_port),
         "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints)],
    ]
    processes = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        for cmd, log in zip(commands, logs)
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", processes[0], logs[0])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", processes[1], logs[1])
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


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


def test_an_answer_has_the_documented_text_sources_buttons_and_payload(rasa_url):
    messages = Seller(rasa_url).say("代运营怎么收费")
    assert "每月8,000–30,000元" in texts(messages)
    assert "来源：艾瑞咨询《2024年中国跨境电商代运营市场报告》" in texts(messages)
    assert any(2 <= len(m.get("buttons", [])) <= 3 for m in messages)
    (answer,) = customs(messages, "answer")
    assert answer["id"] == "agency_cost" and answer["sources"]


@pytest.mark.parametrize(
    "question, entry_id",
    [
        ("代運營的費用怎麼算", "agency_cost"),  # traditional
        ("代运映的收费标准是啥", "agency_cost"),  # typo
        ("Co-Op program 适合什么样的卖家", "coop_who_fits"),  # English mixed in
        ("联合运营费用怎么算", "coop_cost"),
    ],
)
def test_sellers_own_wording_lands(rasa_url, question, entry_id):
    assert [a["id"] for a in customs(Seller(rasa_url).say(question), "answer")] == [entry_id]


def test_every_section_of_both_documents_is_answered(rasa_url, kb):
    missed = []
    for entry in kb.entries.values():
        answered = [a["id"] for a in customs(Seller(rasa_url).say(entry.question), "answer")]
        if entry.id not in answered:
            missed.append((entry.question, answered))
    assert missed == []


def test_a_question_without_a_mode_is_clarified_then_answered(rasa_url):
    seller = Seller(rasa_url)
    (clarification,) = customs(seller.say("费用怎么算？"), "clarification")
    assert clarification["question_type"] == "ask_cost"
    messages = seller.say('/choose_mode{"mode": "amazon_coop"}')
    assert [a["id"] for a in customs(messages, "answer")] == ["coop_cost"]
    # a follow-up that only changes the mode keeps the question type
    messages = seller.say("那代运营呢？")
    assert [a["id"] for a in customs(messages, "answer")] == ["agency_cost"]


def test_a_typed_mode_answers_the_clarifying_question(rasa_url):
    seller = Seller(rasa_url)
    assert customs(seller.say("新手最容易忽略什么"), "clarification")
    assert [a["id"] for a in customs(seller.say("联合运营"), "answer")] == ["coop_pitfalls"]


def test_three_modes_compared_side_by_side(rasa_url):
    (table,) = customs(Seller(rasa_url).say("三种模式对比"), "comparison")
    assert [r["key"] for r in table["rows"]] == ["control", "data", "cost", "risk", "who_fits"]
    assert len(table["modes"]) == 3


@pytest.mark.parametrize("question", ["今天天气怎么样", "淘宝店怎么开", "讲个笑话吧", "FBA头程怎么发货"])
def test_out_of_scope_is_said_plainly_with_a_way_to_a_person(rasa_url, question):
    messages = Seller(rasa_url).say(question)
    assert "超出了我的知识范围" in texts(messages)
    assert any(b["payload"] == "/request_human" for m in messages for b in m.get("buttons", []))


def test_gibberish_gets_no_made_up_answer(rasa_url):
    messages = Seller(rasa_url).say("asdkjh qwpoe zmxn")
    assert messages and not customs(messages, "answer")


def test_greeting_help_thanks_goodbye(rasa_url):
    seller = Seller(rasa_url)
    greeting = seller.say("你好")
    assert "您好" in texts(greeting) and len(greeting[0]["buttons"]) >= 3
    assert "三种亚马逊合作模式" in texts(seller.say("你能做什么"))
    assert "不客气" in texts(seller.say("谢谢"))
    assert "再见" in texts(seller.say("拜拜"))


@pytest.mark.parametrize(
    "message",
    ["", "   ", "😀😀😀", "<script>alert(1)</script>", "代运营" + "很" * 5000 + "贵吗"],
)
def test_odd_input_gets_a_sensible_reply(rasa_url, message):
    messages = Seller(rasa_url).say(message)
    assert messages and all("alert(1)" not in m.get("text", "") for m in messages)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", json.dumps({"sender": "s"}).encode(), json.dumps({"message": "hi"}).encode()],
)
def test_malformed_requests_get_400(rasa_url, body):
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "error" in response.json()

