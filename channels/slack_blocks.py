"""Bot messages as Slack Block Kit: each bot message becomes one chat.postMessage.

Pure functions, no Rasa, so tests call them directly. `slack_message` takes a message as
the actions send it (`text`, `buttons`, `custom`) and returns `text` (the plain fallback
Slack shows in notifications) and `blocks`. The `custom` payload picks the layout; an
unknown or malformed one falls back to text and buttons. Seller-visible text goes out as
mrkdwn, so `&`, `<` and `>` are escaped: `<@U…>` or `<!channel>` in an answer stays text.
"""
import logging
from typing import Any, Callable, Dict, List, Optional, Sequence

logger = logging.getLogger(__name__)

# Slack's Block Kit limits
MAX_TEXT_CHARS = 3000  # a section's text; a context element's text
MAX_FIELD_CHARS = 2000
MAX_FIELDS = 10
MAX_HEADER_CHARS = 150
MAX_BUTTON_CHARS = 75
MAX_BUTTON_VALUE_CHARS = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCKS = 50
# the top-level text is only the notification fallback when blocks are given
MAX_FALLBACK_CHARS = 3000

ELLIPSIS = "…"
SOURCES = "来源："
TRUNCATED_NOTE = "（内容过长，后面的部分已省略）"

Block = Dict[str, Any]


def escape(text: str) -> str:
    """Text shown as-is in mrkdwn: Slack reads `&`, `<`, `>` as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters, `…` marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def clip_escaped(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` characters, never cut inside an `&amp;`."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out, size = [], 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + ELLIPSIS


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> List[str]:
    """`text` escaped, in pieces of at most `limit` characters: cut between paragraphs,
    else between lines, else anywhere (but never inside an escape)."""
    return [p.strip() for p in _split(text, limit, ("\n\n", "\n", "")) if p.strip()]


def _split(text: str, limit: int, separators: Sequence[str]) -> List[str]:
    if len(escape(text)) <= limit:
        return [escape(text)]
    separator, finer = separators[0], separators[1:]
    parts = text.split(separator) if separator else list(text)
    pieces: List[str] = []
    current: Optional[str] = None
    for part in parts:
        escaped = escape(part)
        if len(escaped) > limit:  # only for a separator, single characters always fit
            if current is not None:
                pieces.append(current)
                current = None
            pieces.extend(_split(part, limit, finer))
            continue
        joined = escaped if current is None else current + separator + escaped
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = escaped
    if current is not None:
        pieces.append(current)
    return pieces


# ---- blocks ----
def mrkdwn(escaped: str) -> Dict[str, str]:
    return {"type": "mrkdwn", "text": escaped}


def sections(text: str, title: Optional[str] = None) -> List[Block]:
    """Sections holding `text`, split to Slack's size; `title` in bold above the first."""
    prefix = f"*{escape(title)}*\n" if title else ""
    pieces = split_text(text, MAX_TEXT_CHARS - len(prefix))
    if prefix:
        pieces = [prefix + p for p in pieces[:1]] + pieces[1:] if pieces else [prefix.strip()]
    return [{"type": "section", "text": mrkdwn(p)} for p in pieces]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_CHARS)}}


def context(lines: Sequence[str]) -> List[Block]:
    """One context block (small grey text) with a line per element; none if empty."""
    elements = [mrkdwn(p) for line in lines if line for p in split_text(line)]
    return [{"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}] if elements else []


def button_blocks(buttons: Sequence[Dict[str, Any]]) -> List[Block]:
    """Buttons as `actions` blocks of up to 25 buttons; the value is the payload Rasa
    receives when the button is clicked. Buttons without a usable payload are left out."""
    elements = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        value = button.get("payload")
        if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE_CHARS:
            logger.warning("Slack: button without a usable payload left out: %r", button)
            continue
        title = str(button.get("title") or value).strip() or value
        elements.append({
            "type": "button",
            "text": {"type": "plain_text", "text": clip(title, MAX_BUTTON_CHARS)},
            "value": value,
            "action_id": f"button_{len(elements)}",  # unique within the message
        })
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ACTIONS_ELEMENTS]}
        for i in range(0, len(elements), MAX_ACTIONS_ELEMENTS)
    ]


# ---- layouts per custom payload type ----
def _plain(text: str, custom: Optional[dict]) -> List[Block]:
    return sections(text)


def _without_sources(text: str) -> str:
    """The answer text without its trailing `来源：…` paragraph (shown as context instead)."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 1 and paragraphs[-1].strip().startswith(SOURCES):
        paragraphs = paragraphs[:-1]
    return "\n\n".join(paragraphs)


def _answer(text: str, custom: dict) -> List[Block]:
    sources = custom.get("sources") or []
    if not isinstance(sources, list):
        raise TypeError("sources must be a list")
    sources = [str(s) for s in sources]
    document = custom.get("document") or {}
    if not sources and document.get("title"):
        sources = [f"《{document['title']}》（{document.get('date', '')}）"]
    if not sources:
        return sections(text)
    section = document.get("section")
    return sections(_without_sources(text)) + context(
        [SOURCES + "；".join(sources), f"章节：{section}" if section else ""]
    )


def _field(title: str, text: str) -> Dict[str, str]:
    prefix = f"*{escape(title)}*\n"
    return mrkdwn(prefix + clip_escaped(text, MAX_FIELD_CHARS - len(prefix)))


def _comparison(text: str, custom: dict) -> List[Block]:
    modes, names = list(custom["modes"]), list(custom["mode_names"])
    blocks = [header(" vs ".join(names) + " 对比")]
    for row in custom["rows"]:
        fields = [_field(name, str(row["cells"][mode])) for mode, name in zip(modes, names)]
        blocks.append({
            "type": "section",
            "text": mrkdwn(f"*{clip_escaped(str(row['label']), MAX_TEXT_CHARS - 2)}*"),
            "fields": fields[:MAX_FIELDS],
        })
    sources = [str(s) for s in custom.get("sources") or []]
    return blocks + context([SOURCES + "；".join(sources)] if sources else [])


def _line(text: str, prefix: str) -> Optional[str]:
    return next((line for line in text.splitlines() if line.startswith(prefix)), None)


def _recommendation(text: str, custom: dict) -> List[Block]:
    blocks = [header(f"推荐模式：{custom['mode_name']}")]
    reasons = custom.get("reasons") or []
    if reasons:
        lines = [f"{i}. {r['text']}（{SOURCES}{r['source']}）" for i, r in enumerate(reasons, 1)]
        blocks += sections("\n".join(lines), title="理由")
    else:
        blocks += sections(_line(text, "理由：") or "")
    runner_up = custom.get("runner_up") or {}
    # the text's line has the scores and the wording the actions chose; else the payload
    runner_line = _line(text, "次选：")
    if runner_line:
        blocks += sections(runner_line[len("次选："):], title="次选")
    elif runner_up.get("mode"):
        why_not = "；".join(runner_up.get("why_not") or [])
        name = runner_up.get("mode_name") or runner_up["mode"]
        blocks += sections(f"{name}——{why_not}" if why_not else name, title="次选")
    if custom.get("warning"):
        blocks += sections(str(custom["warning"]), title="⚠️ 注意")
    still_open = _line(text, "还可能改变推荐的：")
    if still_open:
        blocks += sections(still_open)
    return blocks


LAYOUTS: Dict[str, Callable[[str, dict], List[Block]]] = {
    "answer": _answer,
    "comparison": _comparison,
    "recommendation": _recommendation,
    "clarification": _plain,
    "disambiguation": _plain,
}


def _content(text: str, custom: Any) -> List[Block]:
    kind = custom.get("type") if isinstance(custom, dict) else None
    layout = LAYOUTS.get(kind, _plain)
    try:
        return layout(text, custom)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        logger.warning("Slack: %s payload of unexpected shape, sent as text", kind)
        return _plain(text, custom)


def _fit(content: List[Block], actions: List[Block]) -> List[Block]:
    """At most 50 blocks: the buttons are kept, the content is cut with a note."""
    actions = actions[: MAX_BLOCKS // 2]
    room = MAX_BLOCKS - len(actions)
    if len(content) > room:
        content = content[: room - 1] + [{"type": "section", "text": mrkdwn(TRUNCATED_NOTE)}]
    return content + actions


def _fallback(text: str, blocks: List[Block]) -> str:
    if text:
        return clip_escaped(text, MAX_FALLBACK_CHARS)
    for block in blocks:
        if block.get("text", {}).get("text"):
            return clip(block["text"]["text"], MAX_FALLBACK_CHARS)
    return ""


def slack_message(message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """`{"text": fallback, "blocks": [...]}` for one bot message; None if nothing to show."""
    text = str(message.get("text") or "").strip()
    buttons = message.get("buttons") or message.get("quick_replies") or []
    blocks = _content(text, message.get("custom"))
    image = message.get("image")
    if isinstance(image, str) and image:
        blocks.append({"type": "image", "image_url": image, "alt_text": clip(text or image, 2000)})
    blocks = _fit(blocks, button_blocks(buttons))
    if not blocks:
        return None
    return {"text": _fallback(text, blocks) or ELLIPSIS, "blocks": blocks}
