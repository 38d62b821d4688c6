"""The ticket store on SQLite and on PostgreSQL (Debian's postgresql-15, started here as the
`postgres` user in a temp dir on a free port), schema from the Alembic migrations on both;
and the event broker that feeds it."""
import asyncio
import shutil
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from scripts.local_servers import PG_BIN, PostgresServer
from support import db, store
from support.event_broker import SupportEventBroker, facts_from_event
from support.models import Base

TABLES = {"tickets", "ticket_messages", "feedback", "conversation_events", "alembic_version"}


# ---- databases ----

@pytest.fixture(scope="module")
def postgres_server():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed (scripts/install_system_packages.sh)")
    # the server runs as the `postgres` user, who can't enter pytest's private temp dirs
    base = Path(tempfile.mkdtemp(prefix="ticket-store-pg-"))
    base.chmod(0o755)
    server = PostgresServer(base).start()
    try:
        yield server.url.rsplit("/", 1)[0]
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _new_postgres_database(server_url: str) -> str:
    name = f"tickets_{uuid.uuid4().hex[:10]}"
    engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server_url}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh database of each kind, schema from `alembic upgrade head`."""
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'support.db'}"
    else:
        database_url = _new_postgres_database(request.getfixturevalue("postgres_server"))
    db.upgrade(database_url)
    yield database_url
    db.engine_for(database_url).dispose()


def new_ticket(url, sender="seller-1", urgency="normal", **fields):
    values = dict(sender_id=sender, channel="rest", category="ask_cost", urgency=urgency,
                  trigger="asked_for_person", summary="卖家要求转人工", profile={},
                  recommendation=None, transcript=[])
    values.update(fields)
    with db.session_scope(url) as session:
        return store.create_ticket(session, **values).id


# ---- schema ----

def test_migrations_create_exactly_the_models_tables(url):
    engine = db.engine_for(url)
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []  # models and migrations agree
    db.upgrade(url)  # a second upgrade is a no-op
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0001"


def test_downgrade_and_upgrade_again(url):
    from alembic import command

    command.downgrade(db.alembic_config(url), "base")
    assert set(inspect(db.engine_for(url)).get_table_names()) <= {"alembic_version"}
    db.upgrade(url)
    assert set(inspect(db.engine_for(url)).get_table_names()) == TABLES


def test_database_url_defaults_to_a_sqlite_file_and_accepts_postgres_urls(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == f"sqlite:///{db.ROOT / 'support.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/desk")
    assert db.database_url() == "postgresql://u:p@db.example:5432/desk"


# ---- tickets ----

def test_a_ticket_keeps_everything_the_handoff_gave_it(url):
    at = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    ticket_id = new_ticket(
        url, category="recommendation", urgency="urgent", trigger="urgent_topic",
        summary="紧急·账户被封：“我的账户被封了怎么办”",
        profile={"daily_orders": 20, "marketplaces": ["US", "DE"], "brand_registered": True},
        recommendation={"mode": "agency", "scores": {"agency": 7.5}},
        transcript=[("seller", "我的账户被封了怎么办", at), ("bot", "已为您转人工", None)])
    with db.session_scope(url) as session:
        data = store.ticket_dict(store.get_ticket(session, ticket_id), with_messages=True)
    assert data["status"] == "open" and data["claimed_by"] is None
    assert data["urgency"] == "urgent" and data["trigger"] == "urgent_topic"
    assert data["profile"] == {"daily_orders": 20, "marketplaces": ["US", "DE"],
                               "brand_registered": True}
    assert data["recommendation"]["mode"] == "agency"
    assert [(m["author"], m["text"]) for m in data["messages"]] == [
        ("seller", "我的账户被封了怎么办"), ("bot", "已为您转人工")]
    assert data["messages"][0]["created_at"] == at.isoformat()
    assert datetime.fromisoformat(data["created_at"]).tzinfo is not None
    assert data["resolved_at"] is None


def test_bad_values_are_refused(url):
    with pytest.raises(ValueError):
        new_ticket(url, urgency="whenever")
    with pytest.raises(ValueError):
        new_ticket(url, trigger="because")
    ticket_id = new_ticket(url)
    with db.session_scope(url) as session, pytest.raises(ValueError):
        store.add_message(session, ticket_id, "robot", "hi")
    with db.session_scope(url) as session, pytest.raises(store.TicketNotFound):
        store.add_message(session, 99999, "seller", "hi")
    with db.session_scope(url) as session:
        assert store.get_ticket(session, 99999) is None


def test_messages_are_added_in_order(url):
    ticket_id = new_ticket(url, transcript=[("seller", "转人工", None)])
    with db.session_scope(url) as session:
        store.add_message(session, ticket_id, "seller", "代运营怎么收费")
        store.add_message(session, ticket_id, "staff", "您好，我来帮您看看")
    with db.session_scope(url) as session:
        ticket = store.get_ticket(session, ticket_id)
        assert [m.author for m in ticket.messages] == ["seller", "seller", "staff"]
        assert ticket.updated_at >= ticket.created_at


def test_open_ticket_for_a_sender(url):
    first = new_ticket(url, sender="s-1")
    with db.session_scope(url) as session:
        assert store.open_ticket_for(session, "s-1").id == first
        assert store.open_ticket_for(session, "s-2") is None
        store.claim(session, first, "王敏")
    with db.session_scope(url) as session:
        assert store.open_ticket_for(session, "s-1").id == first  # claimed still holds it
        store.resolve(session, first, "王敏")
    with db.session_scope(url) as session:
        assert store.open_ticket_for(session, "s-1") is None


def test_queue_filters_and_order(url):
    old_normal = new_ticket(url, sender="a", urgency="normal", channel="wechat")
    high = new_ticket(url, sender="b", urgency="high", category="ask_risk")
    urgent = new_ticket(url, sender="c", urgency="urgent", category="ask_risk", channel="slack")
    new_normal = new_ticket(url, sender="d", urgency="normal")
    with db.session_scope(url) as session:
        store.claim(session, new_normal, "王敏")
    with db.session_scope(url) as session:
        ids = lambda **f: [t.id for t in store.list_tickets(session, **f)]  # noqa: E731
        assert ids() == [urgent, high, old_normal, new_normal]
        assert ids(status="open") == [urgent, high, old_normal]
        assert ids(status="claimed") == [new_normal]
        assert ids(category="ask_risk") == [urgent, high]
        assert ids(urgency="normal") == [old_normal, new_normal]
        assert ids(channel="wechat") == [old_normal]
        assert ids(channel="slack", urgency="urgent", status="open") == [urgent]
        assert ids(status="resolved") == []


def test_claim_and_resolve(url):
    ticket_id = new_ticket(url)
    with db.session_scope(url) as session:
        ticket = store.claim(session, ticket_id, "王敏")
        assert (ticket.status, ticket.claimed_by) == ("claimed", "王敏")
        assert ticket.claimed_at is not None
    with db.session_scope(url) as session:
        assert store.claim(session, ticket_id, "王敏").status == "claimed"  # again: fine
        with pytest.raises(store.TicketStateError):
            store.claim(session, ticket_id, "李雷")
    with db.session_scope(url) as session:
        ticket = store.resolve(session, ticket_id, "王敏")
        assert ticket.status == "resolved" and ticket.resolved_at is not None
    with db.session_scope(url) as session:
        with pytest.raises(store.TicketStateError):
            store.resolve(session, ticket_id, "王敏")
        with pytest.raises(store.TicketStateError):
            store.claim(session, ticket_id, "李雷")
        with pytest.raises(store.TicketNotFound):
            store.claim(session, 99999, "李雷")
        with pytest.raises(store.TicketNotFound):
            store.resolve(session, 99999, "李雷")


def test_resolving_an_unclaimed_ticket_records_who_did(url):
    ticket_id = new_ticket(url)
    with db.session_scope(url) as session:
        assert store.resolve(session, ticket_id, "李雷").claimed_by == "李雷"


def test_a_second_claim_waits_for_the_first_and_loses(url):
    """Staff A's claim is written but not committed; B's claim blocks on it, then finds the
    ticket taken: the conditional UPDATE never lets both through."""
    ticket_id = new_ticket(url)
    outcome = {}
    first = db._session_factory(url)()
    try:
        store.claim(first, ticket_id, "王敏")

        def second():
            try:
                with db.session_scope(url) as session:
                    outcome["claimed_by"] = store.claim(session, ticket_id, "李雷").claimed_by
            except store.TicketStateError as error:
                outcome["error"] = error

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second claim should wait for the first transaction"
        first.commit()
        thread.join(20)
    finally:
        first.close()
    assert "error" in outcome and "王敏" in str(outcome["error"])
    with db.session_scope(url) as session:
        assert store.get_ticket(session, ticket_id).claimed_by == "王敏"


def test_two_staff_claiming_at_once_one_wins(url):
    ticket_id = new_ticket(url)
    start = threading.Barrier(2)
    winners, losers = [], []

    def claim_as(name):
        start.wait()
        try:
            with db.session_scope(url) as session:
                store.claim(session, ticket_id, name)
            winners.append(name)
        except store.TicketStateError:
            losers.append(name)

    threads = [threading.Thread(target=claim_as, args=(n,)) for n in ("王敏", "李雷")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(winners) == 1 and len(losers) == 1
    with db.session_scope(url) as session:
        assert store.get_ticket(session, ticket_id).claimed_by == winners[0]


# ---- feedback, review and stats ----

def test_feedback_is_validated(url):
    with db.session_scope(url) as session:
        feedback = store.record_feedback(session, sender_id="s", value="up",
                                         answer_id="agency_cost", question="代运营怎么收费")
        assert feedback.id
        with pytest.raises(ValueError):
            store.record_feedback(session, sender_id="s", value="meh")
        with pytest.raises(ValueError):
            store.record_event(session, sender_id="s", kind="click")


def test_review_groups_fallbacks_and_downvotes_by_normalised_text(url):
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    with db.session_scope(url) as session:
        store.record_event(session, sender_id="a", kind="fallback", detail="代运营靠谱吗？",
                           created_at=t0)
        store.record_event(session, sender_id="b", kind="fallback", detail="代運營靠譜嗎",
                           created_at=t0 + timedelta(hours=1))
        store.record_event(session, sender_id="c", kind="fallback", detail="ＦＢＡ头程多少钱",
                           created_at=t0 + timedelta(hours=3))
        store.record_event(session, sender_id="c", kind="message", created_at=t0)
        downvote = store.record_feedback(session, sender_id="d", value="down",
                                         answer_id="agency_risk", question="代运营靠谱吗")
        downvote.created_at = t0 + timedelta(hours=2)
        store.record_feedback(session, sender_id="d", value="up", answer_id="agency_cost",
                              question="代运营怎么收费")
        store.record_feedback(session, sender_id="d", value="down", answer_id="agency_cost")
    with db.session_scope(url) as session:
        groups = store.review_questions(session)
    assert [(g["count"], g["fallbacks"], g["downvotes"]) for g in groups] == [(1, 1, 0), (3, 2, 1)]
    assert groups[0]["text"] == "ＦＢＡ头程多少钱"
    assert groups[1]["text"] == "代运营靠谱吗"  # the newest wording
    assert groups[1]["answer_ids"] == ["agency_risk"]
    assert groups[1]["last_seen"] == (t0 + timedelta(hours=2)).isoformat()


def test_daily_stats(url):
    day = date(2026, 11, 20)
    at = lambda h: datetime(2026, 11, 20, h, tzinfo=timezone.utc)  # noqa: E731
    with db.session_scope(url) as session:
        for sender, kind, detail in [
            ("a", "message", None), ("a", "answer", "ask_cost"), ("a", "message", None),
            ("a", "fallback", "啥"), ("a", "handoff", "repeated_fallback"),
            ("b", "message", None), ("b", "answer", "ask_cost"), ("b", "answer", "ask_risk"),
            ("b", "message", None), ("b", "recommendation", "agency"),
        ]:
            store.record_event(session, sender_id=sender, kind=kind, detail=detail,
                               created_at=at(9))
        store.record_event(session, sender_id="c", kind="message",
                           created_at=at(9) - timedelta(days=1))
        store.record_event(session, sender_id="old", kind="message",
                           created_at=at(9) - timedelta(days=30))
    with db.session_scope(url) as session:
        stats = store.daily_stats(session, days=3, today=day)
    assert [s["date"] for s in stats] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert stats[0] == {"date": "2026-11-18", "conversations": 0, "messages": 0, "answers": {},
                        "fallbacks": 0, "fallback_rate": 0.0, "handoffs": 0,
                        "handoff_rate": 0.0, "recommendations": {}}
    assert stats[1]["conversations"] == 1
    today = stats[2]
    assert today["conversations"] == 2 and today["messages"] == 4
    assert today["answers"] == {"ask_cost": 2, "ask_risk": 1}
    assert today["fallback_rate"] == 0.25 and today["handoff_rate"] == 0.5
    assert today["recommendations"] == {"agency": 1}


# ---- the event broker ----

def user_event(sender, text, intent="ask_cost", at=None, channel="rest"):
    return {"sender_id": sender, "event": "user", "text": text, "input_channel": channel,
            "timestamp": (at or datetime.now(timezone.utc)).timestamp(),
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def test_broker_reads_answers_recommendations_and_fallbacks():
    answer = {"sender_id": "s", "event": "bot", "timestamp": 1_700_000_000, "text": "费用……",
              "data": {"custom": {"type": "answer", "id": "agency_cost",
                                  "question_type": "ask_cost"}}}
    (_, message), (_, event) = facts_from_event(answer)
    assert message["text"] == "费用……" and event["detail"] == "ask_cost"
    recommendation = {"sender_id": "s", "event": "bot", "data": {"custom": {
        "type": "recommendation", "mode": "agency+co_marketing"}}}
    assert facts_from_event(recommendation)[1] == ("event", {
        "sender_id": "s", "kind": "recommendation", "detail": "agency+co_marketing",
        "created_at": None})
    assert facts_from_event({"sender_id": "s", "event": "bot", "text": " hi ", "data": {}}) == [
        ("bot_message", {"sender_id": "s", "text": "hi", "at": None})]
    # staff's replies and the handoff's message are added to the ticket by whoever sends them
    assert facts_from_event({"sender_id": "s", "event": "bot", "text": "您好",
                             "metadata": {"staff": True}}) == []
    assert facts_from_event({"sender_id": "s", "event": "bot", "text": "工单号：#3",
                             "data": {"custom": {"type": "handoff", "ticket_id": 3}}}) == []
    assert facts_from_event({"sender_id": "s", "event": "action", "name": "action_listen"}) == []
    (kind, fact), = facts_from_event(user_event("s", "啥玩意", intent="nlu_fallback"))
    assert kind == "user_message" and fact["fallback"] and fact["channel"] == "rest"


def test_broker_adds_a_held_conversation_to_its_ticket_and_records_analytics(url):
    broker = SupportEventBroker(url)
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    broker.publish(user_event("s-1", "asdf 啥", intent="nlu_fallback", at=before))
    broker.publish(user_event("s-1", "转人工", intent="request_human", at=before))
    broker.flush()
    ticket_id = new_ticket(url, sender="s-1", transcript=[("seller", "转人工", before)])
    # published after the action ran, but sent before the ticket existed: not added again
    broker.publish(user_event("s-1", "转人工", intent="request_human", at=before))
    broker.publish(user_event("s-1", "代运营怎么收费", intent="ask_cost"))
    broker.publish(user_event("s-1", "qwer 嗯", intent="nlu_fallback"))  # held: no fallback
    broker.publish(user_event("s-2", "别的卖家", intent="ask_cost"))  # no ticket
    # while the ticket waits the bot still answers; staff see its answer in the ticket
    broker.publish({"sender_id": "s-1", "event": "bot", "timestamp": time.time(),
                    "text": "代运营的费用……",
                    "data": {"custom": {"type": "answer", "question_type": "ask_cost"}}})
    broker.publish({"sender_id": "s-2", "event": "bot", "timestamp": time.time(),
                    "text": "不在工单里"})
    broker.flush()
    assert broker.is_ready()
    with db.session_scope(url) as session:
        ticket = store.get_ticket(session, ticket_id)
        assert [(m.author, m.text) for m in ticket.messages] == [
            ("seller", "转人工"), ("seller", "代运营怎么收费"), ("seller", "qwer 嗯"),
            ("bot", "代运营的费用……")]
        stats = store.daily_stats(session, days=1)[-1]
        assert stats["messages"] == 6 and stats["conversations"] == 2
        assert stats["fallbacks"] == 1 and stats["answers"] == {"ask_cost": 1}
        assert [g["text"] for g in store.review_questions(session)] == ["asdf 啥"]


def test_one_bad_event_in_a_batch_costs_only_itself(url):
    broker = SupportEventBroker(url)
    events = [user_event(f"s-{i}", "代运营怎么收费", intent="ask_cost") for i in range(4)]
    events.insert(2, {**user_event("s-bad", "怎么收费"), "sender_id": {"not": "a string"}})
    broker._write(events)  # what the worker does with events that queued up together
    with db.session_scope(url) as session:
        stats = store.daily_stats(session, days=1)[-1]
    assert stats["messages"] == 4 and stats["conversations"] == 4


def test_broker_failures_never_reach_rasa(tmp_path):
    broker = SupportEventBroker(f"sqlite:///{tmp_path / 'no-tables.db'}")  # not migrated
    broker.publish(user_event("s", "代运营怎么收费"))
    broker.flush()
    assert broker.is_ready()  # the worker logged the error and carries on


def test_rasa_loads_the_broker_from_its_endpoint_config(tmp_path):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    url = f"sqlite:///{tmp_path / 'b.db'}"
    config = EndpointConfig(url=url, type="support.event_broker.SupportEventBroker")
    broker = asyncio.run(EventBroker.create(config))
    assert isinstance(broker, SupportEventBroker)
    assert broker.url == url and broker.is_ready()
    asyncio.run(broker.close())
    assert not broker.is_ready()


class RecordingBroker:
    """Stands in for the event broker: only what the tracker store publishes matters here."""

    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def test_the_tracker_store_streams_each_event_once_and_stores_it(tmp_path, domain):
    from rasa.core.tracker_store import create_tracker_store
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from rasa_runtime.tracker_store import BrokerStreamingSQLTrackerStore

    broker = RecordingBroker()
    config = EndpointConfig(type="rasa_runtime.tracker_store.BrokerStreamingSQLTrackerStore",
                            dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store_ = create_tracker_store(config, Domain.from_dict(domain), event_broker=broker)
    assert isinstance(store_, BrokerStreamingSQLTrackerStore)

    tracker = DialogueStateTracker("seller-1", [])
    tracker.update(UserUttered("代运营怎么收费"))
    asyncio.run(store_.save(tracker))
    tracker.update(ActionExecuted("action_answer_question"))
    tracker.update(BotUttered("答案"))
    asyncio.run(store_.save(tracker))
    asyncio.run(store_.save(tracker))  # nothing new: nothing streamed

    assert [e["event"] for e in broker.published] == ["user", "action", "bot"]
    assert {e["sender_id"] for e in broker.published} == {"seller-1"}
    stored = asyncio.run(store_.retrieve("seller-1"))
    assert [e.type_name for e in stored.events] == ["user", "action", "bot"]


def test_the_tracker_store_loads_the_latest_session_and_saves_after_it(tmp_path, domain):
    from rasa.core.tracker_store import create_tracker_store
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(type="rasa_runtime.tracker_store.BrokerStreamingSQLTrackerStore",
                            dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store_ = create_tracker_store(config, Domain.from_dict(domain))
    now = time.time()
    first = [ActionExecuted("action_session_start", timestamp=now - 100),
             SessionStarted(timestamp=now - 99), UserUttered("你好", timestamp=now - 98)]
    asyncio.run(store_.save(DialogueStateTracker.from_events("seller-1", first)))
    tracker = asyncio.run(store_.retrieve("seller-1"))  # as Rasa does before each message
    assert [e.type_name for e in tracker.events] == ["session_started", "user"]
    tracker.update(ActionExecuted("action_session_start", timestamp=now - 10))
    tracker.update(SessionStarted(timestamp=now - 9))
    tracker.update(UserUttered("代运营怎么收费", timestamp=now - 8))
    asyncio.run(store_.save(tracker))

    latest = asyncio.run(store_.retrieve("seller-1"))
    assert [e.type_name for e in latest.events] == ["session_started", "user"]
    assert latest.latest_message.text == "代运营怎么收费"
    everything = asyncio.run(store_.retrieve_full_tracker("seller-1"))
    assert len(everything.events) == 6

    latest.update(ActionExecuted("action_answer_question", timestamp=now))
    asyncio.run(store_.save(latest))  # only the new event is stored, once
    asyncio.run(store_.save(latest))
    assert [e.type_name for e in asyncio.run(store_.retrieve("seller-1")).events] == [
        "session_started", "user", "action"]
    assert asyncio.run(store_.retrieve("someone-else")) is None
