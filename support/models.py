"""The support desk's tables (SQLAlchemy 1.4 declarative; schema changes go through Alembic)."""
from datetime import datetime, timezone

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()

URGENCIES = ("urgent", "high", "normal")
TRIGGERS = ("asked_for_person", "repeated_fallback", "urgent_topic")
STATUSES = ("open", "claimed", "resolved")
AUTHORS = ("seller", "bot", "staff")
FEEDBACK_VALUES = ("up", "down")
EVENT_KINDS = ("message", "answer", "fallback", "handoff", "recommendation")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite has no time zones), always read back as aware UTC, so both
    databases give the same values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False, default="rest")
    category = Column(String(64), nullable=False, default="general")
    urgency = Column(String(16), nullable=False, default="normal")
    trigger = Column(String(32), nullable=False)
    summary = Column(String(200), nullable=False, default="")
    profile = Column(JSON, nullable=False, default=dict)
    recommendation = Column(JSON, nullable=True)
    status = Column(String(16), nullable=False, default="open", index=True)
    claimed_by = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime, nullable=True)
    resolved_at = Column(UTCDateTime, nullable=True)

    # selectin: a ticket read anywhere carries its transcript, so ticket_dict works after the
    # session has closed (one extra query for a whole list, not one per ticket)
    messages = relationship("TicketMessage", back_populates="ticket", lazy="selectin",
                            order_by="(TicketMessage.created_at, TicketMessage.id)",
                            cascade="all, delete-orphan")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                       index=True)
    author = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="messages")


class Feedback(Base):
    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    answer_id = Column(String(64), nullable=True)
    question = Column(Text, nullable=True)
    value = Column(String(8), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class ConversationEvent(Base):
    """One analytics fact: a seller message, an answer (detail = knowledge area), a fallback
    (detail = the question), a handoff (detail = trigger), a recommendation (detail = mode)."""

    __tablename__ = "conversation_events"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=True)
    kind = Column(String(32), nullable=False)
    detail = Column(String(255), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
