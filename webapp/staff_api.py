"""The staff console's JSON API (same host as the console, under /api).

Every route but POST /api/feedback needs `Authorization: Bearer <STAFF_TOKEN>`, compared in
constant time; with STAFF_TOKEN unset the console is off and those routes answer 401. The
token and the Authorization header are never logged (aiohttp's access log writes the request
line only, and nothing here logs headers).

Database work is synchronous SQLAlchemy (support.store), so each request runs it in a worker
thread. Replies and resolutions reach the seller through Rasa's conversation API
(webapp.rasa_api). Bad input is a 4xx with {"error": "..."} in Chinese, never a 5xx; an unknown
ticket 404; a claim, reply or resolve the ticket's status doesn't allow 409. Rasa not taking
the events is a 502, the database unreachable a 503.
"""
import asyncio
import hmac
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional

import yaml
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from support import store
from support.db import database_url, session_scope
from support.models import FEEDBACK_VALUES, STATUSES, URGENCIES
from webapp.nlu_export import ROOT, ExportError, domain_intents, nlu_yaml
from webapp.rasa_api import RasaAPI, RasaAPIError

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 2000
MAX_STAFF_NAME_CHARS = 64
MAX_FILTER_CHARS = 64
MAX_EXPORT_ITEMS = 500
MAX_STATS_DAYS = 90
MAX_SESSION_ID_CHARS = 128
MAX_ANSWER_ID_CHARS = 64
MAX_QUESTION_CHARS = 2000
MAX_TICKET_ID = 2**31 - 1
RESUMED_TEXT = "客服已处理完毕，本次人工服务结束。接下来由智能助手继续为您解答。"
CLAIMED_TEXT = "客服{staff}已接手您的问题（工单号 #{id}），接下来由客服直接回复您，请稍候。"
# the bot answers while a ticket waits; from the claim on, staff alone do (Rasa logs, the
# event broker adds the seller's messages to the ticket)
PAUSE = {"event": "pause"}
NO_STORE = {"Cache-Control": "no-store"}
# the widget posts feedback from seller sites on other origins
FEEDBACK_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


@dataclass(frozen=True)
class StaffConfig:
    token: Optional[str]  # None: the console is off
    database_url: str
    rasa: RasaAPI

    @classmethod
    def from_env(cls) -> "StaffConfig":
        return cls(token=os.environ.get("STAFF_TOKEN") or None, database_url=database_url(),
                   rasa=RasaAPI.from_env())

    def __repr__(self) -> str:  # never the token
        return f"StaffConfig(console={'on' if self.token else 'off'}, rasa={self.rasa!r})"


CONFIG = web.AppKey("staff_config", StaffConfig)


def json_response(data: Any, **kwargs: Any) -> web.Response:
    # Chinese as itself rather than \u escapes, so responses read well with curl
    return web.json_response(data, dumps=lambda obj: json.dumps(obj, ensure_ascii=False), **kwargs)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def error_response(status: int, message: str, headers: Optional[Dict] = None) -> web.Response:
    return json_response({"error": message}, status=status,
                         headers={**NO_STORE, **(headers or {})})


# ---- authentication ----

def bearer_token(header: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_matches(presented: Optional[str], expected: Optional[str]) -> bool:
    """Constant-time comparison, so response timing says nothing about the token."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def staff_only(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        config = request.app[CONFIG]
        challenge = {"WWW-Authenticate": 'Bearer realm="staff"'}
        if not config.token:
            return error_response(401, "客服控制台未开启：服务器没有设置 STAFF_TOKEN。", challenge)
        if not token_matches(bearer_token(request.headers.get("Authorization")), config.token):
            return error_response(401, "口令无效，请重新登录。", challenge)
        return await handler(request)

    return guarded


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.message)
    except RasaAPIError as error:
        logger.warning("Rasa conversation API: %s", error)
        return error_response(502, str(error))
    except SQLAlchemyError:
        logger.exception("support database error on %s %s", request.method, request.path)
        return error_response(503, "数据库暂时不可用，请稍后再试。")


# ---- input ----

async def json_body(request: web.Request) -> Dict[str, Any]:
    try:
        data = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "请求体必须是 JSON。")
    if not isinstance(data, dict):
        raise ApiError(400, "请求体必须是 JSON 对象。")
    return data


def text_field(data: Dict, name: str, max_chars: int, required: bool = True) -> Optional[str]:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"字段 {name} 必须是非空字符串。")
    value = value.strip()
    if len(value) > max_chars:
        raise ApiError(400, f"字段 {name} 最多 {max_chars} 个字符。")
    return value


def staff_name(data: Dict) -> str:
    return text_field(data, "staff", MAX_STAFF_NAME_CHARS)


def ticket_id(request: web.Request) -> int:
    # the route only matches digits; an id beyond the column's range can't exist
    value = int(request.match_info["id"])
    if not 0 < value <= MAX_TICKET_ID:
        raise ApiError(404, "没有这个工单。")
    return value


def ticket_filters(query) -> Dict[str, Any]:
    """The queue's filters from the query string. `status` may list several, comma-separated
    (the console's default view is `open,claimed`)."""
    filters: Dict[str, Any] = {}
    status = (query.get("status") or "").strip()
    if status:
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown or not statuses:
            raise ApiError(400, f"status 只能是 {', '.join(STATUSES)}。")
        filters["statuses"] = statuses
    urgency = (query.get("urgency") or "").strip()
    if urgency:
        if urgency not in URGENCIES:
            raise ApiError(400, f"urgency 只能是 {', '.join(URGENCIES)}。")
        filters["urgency"] = urgency
    for name in ("category", "channel"):
        value = (query.get(name) or "").strip()
        if len(value) > MAX_FILTER_CHARS:
            raise ApiError(400, f"{name} 最多 {MAX_FILTER_CHARS} 个字符。")
        if value:
            filters[name] = value
    return filters


def stats_days(query) -> int:
    raw = query.get("days") or "14"
    try:
        days = int(raw)
    except ValueError:
        raise ApiError(400, "days 必须是整数。")
    if not 1 <= days <= MAX_STATS_DAYS:
        raise ApiError(400, f"days 必须在 1 到 {MAX_STATS_DAYS} 之间。")
    return days


def feedback_fields(data: Dict) -> Dict[str, Any]:
    """The widget's 👍/👎: {"session_id", "answer_id", "question", "value": "up"|"down"}."""
    value = data.get("value")
    if value not in FEEDBACK_VALUES:
        raise ApiError(400, 'value 只能是 "up" 或 "down"。')
    return {
        "sender_id": text_field(data, "session_id", MAX_SESSION_ID_CHARS),
        "answer_id": text_field(data, "answer_id", MAX_ANSWER_ID_CHARS, required=False),
        "question": text_field(data, "question", MAX_QUESTION_CHARS, required=False),
        "value": value,
    }


def export_pairs(data: Dict):
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise ApiError(400, "items 必须是非空列表。")
    if len(items) > MAX_EXPORT_ITEMS:
        raise ApiError(400, f"一次最多导出 {MAX_EXPORT_ITEMS} 条。")
    pairs = []
    for item in items:
        if not isinstance(item, dict):
            raise ApiError(400, "items 的每一项必须是对象 {text, intent}。")
        text, intent = item.get("text"), item.get("intent")
        if not isinstance(text, str) or not isinstance(intent, str):
            raise ApiError(400, "items 的每一项需要字符串 text 和 intent。")
        pairs.append((text, intent))
    return pairs


# ---- labels for the console ----

@lru_cache(maxsize=1)
def console_labels() -> Dict[str, Any]:
    """Chinese names for the ids the API returns, from the data files that define them:
    knowledge areas and ticket categories, urgencies, triggers, modes, profile fields."""
    from actions.knowledge import knowledge_base
    from support.urgency import load_rules

    kb, rules = knowledge_base(), load_rules()
    areas = {qt: spec.get("label", qt) for qt, spec in kb.question_types.items()}
    # an answer's analytics detail is its question type, or its entry id when it has none
    areas.update({e.id: areas.get(e.question_type, e.id) for e in kb.entries.values()})
    areas.update(rules.categories)
    criteria_file = ROOT / "data" / "recommendation" / "criteria.yml"
    criteria = yaml.safe_load(criteria_file.read_text("utf-8"))
    labels = criteria.get("labels") or {}
    return {
        "areas": areas,
        "urgencies": {u: spec.get("label", u) for u, spec in rules.urgencies.items()},
        "triggers": {t: spec.get("label", t) for t, spec in rules.triggers.items()},
        "modes": {**{m: spec["name"] for m, spec in kb.modes.items()}, **criteria.get("modes", {})},
        "fields": labels.get("field", {}),
        "values": {k: v for k, v in labels.items() if k != "field"},
    }


# ---- routes ----

async def in_thread(work: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(work)


def _found(session, ticket_id_: int):
    ticket = store.get_ticket(session, ticket_id_)
    if ticket is None:
        raise ApiError(404, "没有这个工单。")
    return ticket


def _conflict(session, ticket_id_: int) -> ApiError:
    """409 saying why, from the ticket as the failed claim or resolve left it."""
    ticket = _found(session, ticket_id_)
    if ticket.status == "resolved":
        return ApiError(409, "工单已解决。")
    return ApiError(409, f"工单已由{ticket.claimed_by}认领。")


@staff_only
async def list_tickets(request: web.Request) -> web.Response:
    filters = ticket_filters(request.query)
    url = request.app[CONFIG].database_url

    def work():
        statuses = filters.pop("statuses", [None])
        with session_scope(url) as session:
            found = []
            for status in statuses:
                found += store.list_tickets(session, status=status, **filters)
            if len(statuses) > 1:  # keep the store's order: urgent first, then oldest
                rank = {u: i for i, u in enumerate(URGENCIES)}
                found.sort(key=lambda t: (rank.get(t.urgency, len(rank)), t.created_at, t.id))
            return [store.ticket_dict(t) for t in found]

    return json_response({"tickets": await in_thread(work)}, headers=NO_STORE)


@staff_only
async def get_ticket(request: web.Request) -> web.Response:
    id_ = ticket_id(request)
    url = request.app[CONFIG].database_url

    def work():
        with session_scope(url) as session:
            return store.ticket_dict(_found(session, id_), with_messages=True)

    return json_response(await in_thread(work), headers=NO_STORE)


@staff_only
async def claim_ticket(request: web.Request) -> web.Response:
    """Take the ticket: the bot stops answering and the seller is told who took over, in one
    transaction (when Rasa can't be told, the ticket stays open: 502)."""
    id_ = ticket_id(request)
    staff = staff_name(await json_body(request))
    config = request.app[CONFIG]

    def work():
        with session_scope(config.database_url) as session:
            was_open = _found(session, id_).status == "open"
            try:
                ticket = store.claim(session, id_, staff)
            except store.TicketStateError:
                raise _conflict(session, id_)
            if was_open:  # not on claiming one's own ticket again
                notice = CLAIMED_TEXT.format(staff=staff, id=id_)
                config.rasa.append_events(ticket.sender_id, [PAUSE, {
                    "event": "bot", "text": notice, "metadata": {"staff": True},
                    "data": {"custom": {"type": "handoff_claimed", "ticket_id": id_}}}])
                store.add_message(session, id_, "bot", notice)
            return store.ticket_dict(ticket, with_messages=True)

    return json_response(await in_thread(work), headers=NO_STORE)


@staff_only
async def reply_ticket(request: web.Request) -> web.Response:
    """Send staff's text to the seller (their latest channel) and add it to the ticket.
    Replying to an open ticket claims it for the one replying (and pauses the bot). One
    transaction: a reply Rasa did not take is neither stored nor a claim."""
    id_ = ticket_id(request)
    data = await json_body(request)
    staff = staff_name(data)
    text = text_field(data, "text", MAX_REPLY_CHARS)
    config = request.app[CONFIG]

    def work():
        with session_scope(config.database_url) as session:
            ticket = _found(session, id_)
            if ticket.status == "resolved":
                raise ApiError(409, "工单已解决，不能再回复。")
            was_open = ticket.status == "open"
            sender = ticket.sender_id
            try:
                store.claim(session, id_, staff)
            except store.TicketStateError:
                raise _conflict(session, id_)
            reply = {"event": "bot", "text": text, "metadata": {"staff": True}}
            config.rasa.append_events(sender, [PAUSE, reply] if was_open else [reply])
            store.add_message(session, id_, "staff", text)
            return store.ticket_dict(_found(session, id_), with_messages=True)

    return json_response(await in_thread(work), headers=NO_STORE)


@staff_only
async def resolve_ticket(request: web.Request) -> web.Response:
    """Close the ticket and hand the conversation back to the bot, in one transaction: when
    Rasa can't be told, the ticket stays open (502) and staff can try again."""
    id_ = ticket_id(request)
    staff = staff_name(await json_body(request))
    config = request.app[CONFIG]

    def work():
        with session_scope(config.database_url) as session:
            _found(session, id_)
            try:
                ticket = store.resolve(session, id_, staff)
            except store.TicketStateError:
                raise _conflict(session, id_)
            config.rasa.append_events(ticket.sender_id, [
                {"event": "resume"},
                {"event": "bot", "text": RESUMED_TEXT, "metadata": {"staff": True},
                 "data": {"custom": {"type": "handoff_resolved", "ticket_id": id_}}},
                # the seller's messages while paused got no action: without this the policies
                # would see the next message right after them, out of any rule's context
                {"event": "action", "name": "action_listen"},
            ])
            return store.ticket_dict(ticket, with_messages=True)

    return json_response(await in_thread(work), headers=NO_STORE)


@staff_only
async def review(request: web.Request) -> web.Response:
    url = request.app[CONFIG].database_url

    def work():
        with session_scope(url) as session:
            return store.review_questions(session)

    return json_response({"questions": await in_thread(work)}, headers=NO_STORE)


@staff_only
async def export_review(request: web.Request) -> web.Response:
    pairs = export_pairs(await json_body(request))
    try:
        text = nlu_yaml(pairs, domain_intents())
    except ExportError as error:
        raise ApiError(400, str(error))
    return web.Response(text=text, content_type="text/yaml", charset="utf-8", headers={
        **NO_STORE, "Content-Disposition": 'attachment; filename="nlu_review.yml"'})


@staff_only
async def intents(_: web.Request) -> web.Response:
    return json_response({"intents": list(domain_intents())})


@staff_only
async def labels(_: web.Request) -> web.Response:
    return json_response(await in_thread(console_labels))


@staff_only
async def stats(request: web.Request) -> web.Response:
    days = stats_days(request.query)
    url = request.app[CONFIG].database_url

    def work():
        with session_scope(url) as session:
            return store.daily_stats(session, days=days)

    return json_response({"days": await in_thread(work)}, headers=NO_STORE)


async def feedback(request: web.Request) -> web.Response:
    """Public: the widget's 👍/👎 on an answer. 204, or 400 with a reason."""
    try:
        fields = feedback_fields(await json_body(request))
    except ApiError as error:
        return error_response(error.status, error.message, FEEDBACK_CORS)
    url = request.app[CONFIG].database_url

    def work():
        with session_scope(url) as session:
            store.record_feedback(session, **fields)

    await in_thread(work)
    return web.Response(status=204, headers=FEEDBACK_CORS)


async def feedback_preflight(_: web.Request) -> web.Response:
    return web.Response(status=204, headers=FEEDBACK_CORS)


def add_staff_routes(app: web.Application, config: StaffConfig) -> None:
    app[CONFIG] = config
    app.middlewares.append(api_errors)
    ticket = r"/api/tickets/{id:\d{1,12}}"
    app.router.add_get("/api/tickets", list_tickets)
    app.router.add_get(ticket, get_ticket)
    app.router.add_post(ticket + "/claim", claim_ticket)
    app.router.add_post(ticket + "/reply", reply_ticket)
    app.router.add_post(ticket + "/resolve", resolve_ticket)
    app.router.add_get("/api/review", review)
    app.router.add_post("/api/review/export", export_review)
    app.router.add_get("/api/intents", intents)
    app.router.add_get("/api/labels", labels)
    app.router.add_get("/api/stats", stats)
    app.router.add_post("/api/feedback", feedback)
    app.router.add_route("OPTIONS", "/api/feedback", feedback_preflight)
