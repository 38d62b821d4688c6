"""Scale-out (`make run-scaled`, scripts/serve_scaled.py): two Rasa replicas behind nginx, the
conversations in a real PostgreSQL and the locks in a real Redis, both from Debian's packages
and started by the launcher itself, as on a machine with DATABASE_URL and REDIS_URL unset."""
import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from rasa.utils.endpoints import EndpointConfig

from rasa_runtime.lock_store import AtomicRedisLockStore
from scripts.local_servers import PG_BIN, PostgresServer, wait_for_http
from tests.conftest import ROOT, conversation_tracker, free_port, say, texts

API_TOKEN = "test-scaled-api-token"
FIRST_QUESTION = "品牌注册"  # the recommendation form's first question is about Brand Registry


class Scaled:
    def __init__(self, proxy_url, replica_urls, database_url, postgres, redis_port):
        self.proxy_url, self.replica_urls = proxy_url, replica_urls
        self.database_url, self.postgres, self.redis_port = database_url, postgres, redis_port


@pytest.fixture(scope="module")
def scaled():
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is missing: run `make install`")
    # PostgreSQL runs as the `postgres` user, who can't enter pytest's private temp dirs
    workdir = Path(tempfile.mkdtemp(prefix="scaled-"))
    workdir.chmod(0o755)
    proxy_port, replica_ports = free_port(), [free_port(), free_port()]
    pg_port, redis_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "SLACK_TOKEN", "WECHAT_TOKEN")}
    env.update({
        "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
        "RUN_DIR": str(workdir / "run"), "LISTEN_HOST": "127.0.0.1",
        "RASA_PORT": str(proxy_port), "RASA_REPLICAS": "2",
        "RASA_REPLICA_1_PORT": str(replica_ports[0]), "RASA_REPLICA_2_PORT": str(replica_ports[1]),
        "ACTION_PORT": str(free_port()), "WEB_PORT": str(free_port()),
        "PG_PORT": str(pg_port), "REDIS_PORT": str(redis_port),
        "RASA_API_TOKEN": API_TOKEN, "STAFF_TOKEN": "test-staff-token",
    })
    log = workdir / "scaled.log"
    launcher = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "scripts.serve_scaled"],
                                cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    try:
        wait_for_http(proxy_url, [launcher], log=log)
        postgres = PostgresServer(workdir / "run" / "postgres", pg_port)
        yield Scaled(proxy_url, [f"http://127.0.0.1:{p}" for p in replica_ports],
                     postgres.url, postgres, redis_port)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGTERM)
            launcher.wait(90)
        shutil.rmtree(workdir, ignore_errors=True)


def tracker(base_url: str, sender: str) -> dict:
    return conversation_tracker(base_url, sender, API_TOKEN)


def test_a_form_continues_whichever_replica_takes_each_message(scaled):
    first, second = scaled.replica_urls
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    assert FIRST_QUESTION in texts(say(first, sender, "帮我推荐一个合作模式"))
    # the answer reaches the other replica, which knows which question it answers
    second_turn = texts(say(second, sender, "已经注册了"))
    assert FIRST_QUESTION not in second_turn.splitlines()[-1]
    assert tracker(first, sender)["slots"]["brand_registered"] is True
    # and back: the first replica sees what the second stored
    say(first, sender, "跳过")
    slots = tracker(second, sender)["slots"]
    assert slots["brand_registered"] is True
    assert tracker(first, sender)["active_loop"].get("name") == "recommendation_form"


def test_messages_of_one_conversation_sent_to_both_replicas_at_once_are_handled_in_turn(scaled):
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    replies = {}

    def send(index, url, message):
        replies[index] = say(url, sender, message)

    threads = [threading.Thread(target=send, args=(i, url, message)) for i, (url, message) in
               enumerate(zip(scaled.replica_urls, ["代运营怎么收费", "联合营销是什么"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(replies.get(i) for i in range(2)), replies
    # Redis held the conversation for one replica at a time: each message is followed by its
    # own answer before the next message is read, and no event is lost
    kinds = [e["event"] for e in tracker(scaled.proxy_url, sender)["events"]
             if e["event"] in ("user", "bot")]
    assert kinds.count("user") == 2
    first_user, second_user = [i for i, kind in enumerate(kinds) if kind == "user"]
    assert "bot" in kinds[first_user:second_user] and "bot" in kinds[second_user:]


def test_tickets_of_one_conversation_drawn_at_once_from_many_processes_are_all_different(scaled):
    # separate lock stores = separate Redis connections, as separate replicas have
    config = EndpointConfig(type="rasa_runtime.lock_store.AtomicRedisLockStore",
                            url="127.0.0.1", port=scaled.redis_port, db=1, key_prefix="faq")
    stores = [AtomicRedisLockStore(config) for _ in range(8)]
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(len(stores))
    tickets = []

    def draw(store):
        start.wait()
        tickets.append(store.issue_ticket(conversation))

    threads = [threading.Thread(target=draw, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(tickets) == list(range(len(stores)))
    for ticket in tickets:
        stores[0].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None


def test_conversations_are_stored_in_postgresql(scaled):
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    say(scaled.proxy_url, sender, "联合运营适合哪些卖家")
    engine = create_engine(scaled.database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                   {"s": sender}).scalar()
    engine.dispose()
    assert count >= 4  # session start, the message, the answer, action_listen


def test_the_widget_s_socket_io_session_stays_on_one_replica_through_the_proxy(scaled):
    async def conversation():
        client = socketio.AsyncClient()
        replies, confirmed = [], asyncio.Event()
        client.on("bot_uttered", lambda data: replies.append(data))
        client.on("session_confirm", lambda _: confirmed.set())
        # long polling: many HTTP requests for one session, which only sticky routing survives
        await client.connect(scaled.proxy_url, transports=["polling"])
        session_id = f"scaled-widget-{uuid.uuid4().hex[:8]}"
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        for message in ("代运营怎么收费", "联合营销是什么"):
            before = len(replies)
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            for _ in range(100):
                if len(replies) > before:
                    break
                await asyncio.sleep(0.1)
        await client.disconnect()
        return replies

    replies = asyncio.run(conversation())
    ids = [r.get("custom", {}).get("id") for r in replies]
    assert "agency_cost" in ids and "co_marketing_definition" in ids, ids


def test_database_down_gives_a_clear_error_and_the_next_message_works_once_it_is_back(scaled):
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    assert say(scaled.proxy_url, sender, "代运营怎么收费")
    scaled.postgres.stop()
    try:
        failed = requests.post(f"{scaled.proxy_url}/webhooks/rest/webhook", timeout=60,
                               json={"sender": sender, "message": "联合营销是什么"})
        assert failed.status_code == 503
        assert "send it again" in failed.json()["error"]
        for url in scaled.replica_urls:  # no crash: both replicas still up
            assert requests.get(url, timeout=5).status_code == 200
    finally:
        scaled.postgres.start()
    answer = say(scaled.proxy_url, sender, "联合营销是什么")
    assert [m["custom"]["id"] for m in answer if "custom" in m] == ["co_marketing_definition"]
