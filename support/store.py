"""The support desk's operations, as plain functions taking a SQLAlchemy Session first.

Callers own the transaction: `with session_scope() as session: store.claim(session, 7, "王敏")`.
Errors: `TicketNotFound` for an unknown id, `TicketStateError` for a claim or resolve that the
ticket's status doesn't allow (the API answers 404 and 409).
"""
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from support.models import (AUTHORS, EVENT_KINDS, FEEDBACK_VALUES, TRIGGERS, URGENCIES,
                            ConversationEvent, Feedback, Ticket, TicketMessage, utcnow)

ACTIVE = ("open", "claimed")
TranscriptLine = Tuple[str, str, Optional[datetime]]


class TicketNotFound(LookupError):
    pass


class TicketStateError(Exception):
    """The ticket's status doesn't allow this (already resolved, claimed by someone else)."""


# ---- tickets ----

def create_ticket(session: Session, *, sender_id: str, channel: str, category: str,
                  urgency: str, trigger: str, summary: str, profile: Optional[Dict] = None,
                  recommendation: Optional[Dict] = None,
                  transcript: Iterable[TranscriptLine] = ()) -> Ticket:
    """A new open ticket with the conversation so far as its first messages."""
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}")
    now = utcnow()
    ticket = Ticket(sender_id=sender_id, channel=channel or "unknown", category=category,
                    urgency=urgency, trigger=trigger, summary=(summary or "")[:200],
                    profile=dict(profile or {}), recommendation=recommendation,
                    status="open", created_at=now, updated_at=now)
    for author, text, created_at in transcript:
        _check_author(author)
        ticket.messages.append(TicketMessage(author=author, text=text,
                                             created_at=created_at or now))
    session.add(ticket)
    session.flush()
    return ticket


def open_ticket_for(session: Session, sender_id: str) -> Optional[Ticket]:
    """The sender's ticket a person holds or is about to (open or claimed), newest first."""
    return session.execute(
        select(Ticket).where(Ticket.sender_id == sender_id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.id.desc()).limit(1)
    ).scalar_one_or_none()


def list_tickets(session: Session, status: Optional[str] = None,
                 category: Optional[str] = None, urgency: Optional[str] = None,
                 channel: Optional[str] = None) -> List[Ticket]:
    """Tickets matching every given filter: urgent first, then high, normal; oldest first."""
    query = select(Ticket)
    for column, value in ((Ticket.status, status), (Ticket.category, category),
                          (Ticket.urgency, urgency), (Ticket.channel, channel)):
        if value:
            query = query.where(column == value)
    rank = case({u: i for i, u in enumerate(URGENCIES)}, value=Ticket.urgency,
                else_=len(URGENCIES))
    return list(session.execute(query.order_by(rank, Ticket.created_at, Ticket.id)).scalars())


def get_ticket(session: Session, ticket_id: int) -> Optional[Ticket]:
    return session.get(Ticket, ticket_id)


def add_message(session: Session, ticket_id: int, author: str, text: str) -> TicketMessage:
    _check_author(author)
    ticket = _existing(session, ticket_id)
    now = utcnow()
    message = TicketMessage(author=author, text=text, created_at=now)
    ticket.messages.append(message)  # keeps the loaded transcript current
    ticket.updated_at = now
    session.flush()
    return message


def claim(session: Session, ticket_id: int, staff_name: str) -> Ticket:
    """Staff take the ticket. One conditional UPDATE, so when two claim at once the database
    lets exactly one through; claiming one's own ticket again is fine."""
    now = utcnow()
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == "open")
        .values(status="claimed", claimed_by=staff_name, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    ticket = _existing(session, ticket_id, refresh=True)
    if result.rowcount == 1:
        return ticket
    if ticket.status == "claimed" and ticket.claimed_by == staff_name:
        return ticket
    if ticket.status == "resolved":
        raise TicketStateError(f"ticket {ticket_id} is already resolved")
    raise TicketStateError(f"ticket {ticket_id} is already claimed by {ticket.claimed_by}")


def resolve(session: Session, ticket_id: int, staff_name: str) -> Ticket:
    """Close the ticket; the bot takes the conversation back (the caller resumes it in Rasa)."""
    now = utcnow()
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(ACTIVE))
        .values(status="resolved", resolved_at=now, updated_at=now,
                claimed_by=case((Ticket.claimed_by.is_(None), staff_name),
                                else_=Ticket.claimed_by))
        .execution_options(synchronize_session=False)
    )
    ticket = _existing(session, ticket_id, refresh=True)
    if result.rowcount != 1:
        raise TicketStateError(f"ticket {ticket_id} is already resolved")
    return ticket


def ticket_dict(ticket: Ticket, with_messages: bool = False) -> Dict:
    """JSON-ready; times as ISO 8601 UTC."""
    data = {
        "id": ticket.id, "sender_id": ticket.sender_id, "channel": ticket.channel,
        "category": ticket.category, "urgency": ticket.urgency, "trigger": ticket.trigger,
        "summary": ticket.summary, "profile": ticket.profile or {},
        "recommendation": ticket.recommendation, "status": ticket.status,
        "claimed_by": ticket.claimed_by, "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at), "claimed_at": _iso(ticket.claimed_at),
        "resolved_at": _iso(ticket.resolved_at),
    }
    if with_messages:
        data["messages"] = [
            {"id": m.id, "author": m.author, "text": m.text, "created_at": _iso(m.created_at)}
            for m in ticket.messages
        ]
    return data


# ---- feedback and analytics ----

def record_feedback(session: Session, *, sender_id: str, value: str,
                    answer_id: Optional[str] = None, question: Optional[str] = None) -> Feedback:
    if value not in FEEDBACK_VALUES:
        raise ValueError(f"value must be one of {FEEDBACK_VALUES}")
    feedback = Feedback(sender_id=sender_id, value=value, answer_id=answer_id,
                        question=question, created_at=utcnow())
    session.add(feedback)
    session.flush()
    return feedback


def record_event(session: Session, *, sender_id: str, kind: str,
                 channel: Optional[str] = None, detail: Optional[str] = None,
                 created_at: Optional[datetime] = None) -> ConversationEvent:
    if kind not in EVENT_KINDS:
        raise ValueError(f"kind must be one of {EVENT_KINDS}")
    event = ConversationEvent(sender_id=sender_id, kind=kind, channel=channel,
                              detail=detail[:255] if detail else detail,
                              created_at=created_at or utcnow())
    session.add(event)
    session.flush()
    return event


_NOT_WORD = re.compile(r"[^\w]+")


def question_key(text: str) -> str:
    """Grouping key: normalised (simplified, half-width), lower case, no punctuation or spaces."""
    from components.text_normalization import normalize_text

    return _NOT_WORD.sub("", normalize_text(text).lower())


def review_questions(session: Session, limit: int = 500) -> List[Dict]:
    """Questions that fell back or got 👎, grouped by normalised text, newest group first:
    {"text", "count", "fallbacks", "downvotes", "answer_ids", "last_seen"}."""
    rows = [(e.detail, "fallback", None, e.created_at) for e in session.execute(
        select(ConversationEvent).where(ConversationEvent.kind == "fallback",
                                        ConversationEvent.detail.isnot(None))
        .order_by(ConversationEvent.created_at.desc()).limit(limit * 4)).scalars()]
    rows += [(f.question, "downvote", f.answer_id, f.created_at) for f in session.execute(
        select(Feedback).where(Feedback.value == "down", Feedback.question.isnot(None))
        .order_by(Feedback.created_at.desc()).limit(limit * 4)).scalars()]
    groups: Dict[str, Dict] = {}
    for text, kind, answer_id, created_at in sorted(rows, key=lambda r: r[3], reverse=True):
        key = question_key(text or "")
        if not key:
            continue
        group = groups.setdefault(key, {"text": text.strip(), "count": 0, "fallbacks": 0,
                                        "downvotes": 0, "answer_ids": [],
                                        "last_seen": _iso(created_at)})
        group["count"] += 1
        group["fallbacks" if kind == "fallback" else "downvotes"] += 1
        if answer_id and answer_id not in group["answer_ids"]:
            group["answer_ids"].append(answer_id)
    return list(groups.values())[:limit]


def daily_stats(session: Session, days: int = 14, today: Optional[date] = None) -> List[Dict]:
    """One dict per UTC day, oldest first, days without traffic included:
    {"date", "conversations", "messages", "answers": {area: n}, "fallbacks", "fallback_rate",
    "handoffs", "handoff_rate", "recommendations": {mode: n}}. Rates are 0.0 on empty days."""
    days = max(1, min(int(days), 366))
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=timezone.utc)
    senders = defaultdict(set)
    counts = defaultdict(Counter)
    answers = defaultdict(Counter)
    modes = defaultdict(Counter)
    for event in session.execute(select(ConversationEvent)
                                 .where(ConversationEvent.created_at >= since)).scalars():
        day = event.created_at.date()
        counts[day][event.kind] += 1
        if event.kind == "message":
            senders[day].add(event.sender_id)
        elif event.kind == "answer":
            answers[day][event.detail or "unknown"] += 1
        elif event.kind == "recommendation":
            modes[day][event.detail or "unknown"] += 1
    stats = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        conversations, messages = len(senders[day]), counts[day]["message"]
        fallbacks, handoffs = counts[day]["fallback"], counts[day]["handoff"]
        stats.append({
            "date": day.isoformat(), "conversations": conversations, "messages": messages,
            "answers": dict(answers[day]), "fallbacks": fallbacks,
            "fallback_rate": round(fallbacks / messages, 4) if messages else 0.0,
            "handoffs": handoffs,
            "handoff_rate": round(handoffs / conversations, 4) if conversations else 0.0,
            "recommendations": dict(modes[day]),
        })
    return stats


# ---- helpers ----

def _existing(session: Session, ticket_id: int, refresh: bool = False) -> Ticket:
    ticket = session.get(Ticket, ticket_id, populate_existing=refresh)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def _check_author(author: str) -> None:
    if author not in AUTHORS:
        raise ValueError(f"author must be one of {AUTHORS}")


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None
