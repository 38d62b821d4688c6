"""Bot messages built from the knowledge base. Plain functions returning dicts with
`text`, `buttons` and `custom` (the channel-neutral payload), so tests need no Rasa."""
import json
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from actions.knowledge import ALL_MODES, KnowledgeBase, Resolved

MAX_RELATED = 3
COMPARE = "ask_compare"


def payload(intent: str, mode: Optional[str] = None) -> str:
    """A button payload Rasa parses without NLU: /intent{"mode": "..."}."""
    return f"/{intent}" + (json.dumps({"mode": mode}) if mode else "")


def button(title: str, intent: str, mode: Optional[str] = None) -> Dict[str, str]:
    return {"title": title, "payload": payload(intent, mode)}


def carried_over_note(kb: KnowledgeBase, modes: Sequence[str]) -> str:
    """Says which mode a mode-less follow-up was answered for, and how to ask for another."""
    others = [m for m in kb.modes if m not in modes]
    note = "（接着说" + "、".join(kb.mode_name(m) for m in modes)
    return note + (f"。想了解其他模式，可以说“那{kb.mode_name(others[0])}呢”）" if others else "）")


def answer_message(kb: KnowledgeBase, resolved: Resolved, lead: Optional[str] = None) -> dict:
    entry = resolved.entry
    citations = kb.citations(entry)
    parts = [lead, resolved.note, resolved.excerpt or entry.answer, "来源：" + "；".join(citations)]
    related = [kb.entries[entry_id] for entry_id in entry.related[:MAX_RELATED]]
    return {
        "text": "\n\n".join(p for p in parts if p),
        "buttons": [button(r.question, r.question_type, r.modes[0]) for r in related],
        "custom": {
            "type": "answer",
            "id": entry.id,
            "question_type": entry.question_type,
            "mode": resolved.mode,
            "excerpt": bool(resolved.excerpt),
            "sources": citations,
            "document": {
                **{k: kb.documents[entry.document][k] for k in ("title", "date")},
                "section": entry.section,
            },
            "related": [r.id for r in related],
        },
    }


def clarification_message(
    kb: KnowledgeBase, question_type: str, modes: Sequence[str]
) -> dict:
    """Asks which mode a mode-less question is about; each mode is a button."""
    label = kb.question_label(question_type)
    buttons = [button(kb.mode_name(m), "choose_mode", m) for m in modes]
    buttons.append(button("都想了解", "choose_mode", ALL_MODES))
    return {
        "text": f"您想了解哪种模式的{label}？"
        + "、".join(kb.mode_name(m) for m in modes)
        + "的情况各不相同，请选择一种：",
        "buttons": buttons,
        "custom": {
            "type": "clarification",
            "question_type": question_type,
            "options": list(modes),
        },
    }


def comparison_message(kb: KnowledgeBase, modes: Sequence[str]) -> dict:
    """Side by side: control, data, cost, risk, who fits, from data/knowledge/comparison.yml."""
    names = [kb.mode_name(m) for m in modes]
    lines = [" vs ".join(names) + " 对比："]
    for dimension in kb.comparison:
        lines.append(f"【{dimension['label']}】")
        for mode, name in zip(modes, names):
            lines.append(f"· {name}：{dimension['cells'][mode]['text']}")
    cited_entries = {
        dimension["cells"][m]["entry"] for dimension in kb.comparison for m in modes
    }
    documents = sorted({kb.entries[e].document for e in cited_entries})
    combine = kb.resolve("ask_combine", "agency").entry
    sources = [kb.document_citation(d) for d in documents]
    lines.append("来源：" + "；".join(sources))
    return {
        "text": "\n".join(lines),
        "buttons": [
            button(kb.question_for("ask_who_fits", m), "ask_who_fits", m) for m in modes
        ][:2]
        + [button(combine.question, combine.question_type, combine.modes[0])]
        + [button("哪种适合我？帮我推荐", "ask_recommendation")],
        "custom": {
            "type": "comparison",
            "modes": list(modes),
            "mode_names": names,
            "rows": [
                {
                    "key": d["key"],
                    "label": d["label"],
                    "cells": {m: d["cells"][m]["text"] for m in modes},
                    "entries": {m: d["cells"][m]["entry"] for m in modes},
                }
                for d in kb.comparison
            ],
            "sources": sources,
        },
    }


def candidate_label(kb: KnowledgeBase, intent: str, mode: Optional[str]) -> Optional[str]:
    """A human title for an intent the classifier hesitated over; None to leave it out."""
    if intent == COMPARE:
        return kb.question_for(COMPARE, mode or "agency")
    if intent in kb.question_types:
        if mode and mode != ALL_MODES:
            return kb.question_for(intent, mode)
        return f"关于{kb.question_label(intent)}的问题"
    if intent == "choose_mode" and mode and mode != ALL_MODES:
        return f"了解{kb.mode_name(mode)}"
    return {"ask_capabilities": "我能问什么？", "request_human": "转人工客服"}.get(intent)


def disambiguation_message(
    kb: KnowledgeBase,
    candidates: Iterable[Tuple[str, Optional[str]]],
    text: str = "您是想问……",
) -> Optional[dict]:
    """`您是想问……` with the candidate intents as buttons and `都不是`; None if none fit."""
    buttons: List[Dict[str, str]] = []
    for intent, mode in candidates:
        title = candidate_label(kb, intent, mode)
        if title and title not in (b["title"] for b in buttons):
            buttons.append(button(title, intent, mode if mode != ALL_MODES else None))
    if not buttons:
        return None
    buttons.append(button("都不是", "deny"))
    return {
        "text": text,
        "buttons": buttons,
        "custom": {"type": "disambiguation", "options": [b["payload"] for b in buttons]},
    }


NO_CONTENT_MESSAGE = {
    "text": "我没有看到文字内容。请用文字描述您的问题，比如“代运营怎么收费？”或“联合营销和代运营有什么区别？”",
    "buttons": [
        button("三种模式对比", COMPARE, ALL_MODES),
        button("我能问什么？", "ask_capabilities"),
    ],
    # the kind of reply, for the review script and staff: a request to write it again
    "custom": {"type": "no_content"},
}
