"""Urgency rules for handoffs, from data/support/urgency.yml (plain functions, no Rasa).

An urgent topic is one the documents name as a risk (Listing被停用, 账户被封, 广告超支, 违约,
罚金, 侵权), or a listing hijacked (跟卖, which staff must handle at once though the documents
don't cover it), when the seller reports it happening — "我的账户被封了怎么办" — rather than asking
about it — "代运营会导致账户被封吗", which the FAQ answers.
"""
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Tuple

import yaml

from components.text_normalization import normalize_text

RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "support" / "urgency.yml"
# a clause: text between punctuation marks (the text is folded to half-width, 。 stays)
_CLAUSE = re.compile(r"[^,.;!?、。\n]+")
SUMMARY_MAX = 200
QUOTE_MAX = 80


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    urgency: str
    category: str
    matchers: Tuple[Pattern, ...]

    def spans(self, text: str) -> List[Tuple[int, int]]:
        """What matched. For a pattern with groups, only the groups: in
        "账号健康亮红灯了，马上要被封" the words between 账号 and 被封 can still be markers."""
        spans = []
        for pattern in self.matchers:
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                groups = [match.span(g) for g in range(1, (pattern.groups or 0) + 1)
                          if match.span(g)[1] > match.span(g)[0]]
                spans += groups or [match.span()]
        return spans


@dataclass(frozen=True)
class Rules:
    topics: Tuple[Topic, ...]
    urgencies: Dict[str, Dict[str, str]]
    triggers: Dict[str, Dict[str, str]]
    categories: Dict[str, str]
    incident_markers: Tuple[Pattern, ...]
    general_markers: Tuple[Pattern, ...]

    def rank(self, urgency: str) -> int:
        """0 for the most urgent."""
        order = list(self.urgencies)
        return order.index(urgency) if urgency in order else len(order)


def _compile_all(patterns) -> Tuple[Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=None)
def load_rules(path: Path = RULES_PATH) -> Rules:
    data = yaml.safe_load(path.read_text("utf-8"))
    topics = tuple(
        Topic(id=topic_id, label=t["label"], urgency=t["urgency"], category=t["category"],
              # keywords are literal text, matched on the normalised lower-case message
              matchers=_compile_all([re.escape(_fold(k)) for k in t.get("keywords") or []]
                                    + list(t.get("patterns") or [])))
        for topic_id, t in data["topics"].items()
    )
    return Rules(topics=topics, urgencies=data["urgencies"], triggers=data["triggers"],
                 categories=data.get("categories") or {},
                 incident_markers=_compile_all(data["markers"]["incident"]),
                 general_markers=_compile_all(data["markers"]["general"]))


def _fold(text: str) -> str:
    return normalize_text(text).lower()


def _without(text: str, spans: List[Tuple[int, int]]) -> str:
    """The text with the matched keywords blanked out, so "被" in "账户被封" is no marker."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


def mentioned_topics(text: str, rules: Optional[Rules] = None) -> List[Topic]:
    """Topics named in the text, incident or not."""
    rules = rules or load_rules()
    folded = _fold(text)
    return [t for t in rules.topics if t.spans(folded)]


def is_incident(text: str, topic: Topic, rules: Optional[Rules] = None) -> bool:
    rules = rules or load_rules()
    folded = _fold(text)
    return _is_incident_folded(folded, topic, rules, _spans_by_topic(folded, rules))


def _spans_by_topic(folded: str, rules: Rules) -> Dict[str, List[Tuple[int, int]]]:
    return {t.id: spans for t in rules.topics for spans in [t.spans(folded)] if spans}


def _without_clauses_of_other_topics(
    text: str, topic_id: str, spans_by_topic: Dict[str, List[Tuple[int, int]]]
) -> str:
    """The text without the clauses that name only other topics, whose markers are about
    them: in `刚收到侵权投诉，listing可能要被下架` 可能 does not make the complaint a question."""
    def touches(clause: Tuple[int, int], spans: List[Tuple[int, int]]) -> bool:
        return any(s < clause[1] and clause[0] < e for s, e in spans)

    own = spans_by_topic.get(topic_id, [])
    others = [span for t, spans in spans_by_topic.items() if t != topic_id for span in spans]
    return " ".join(
        text[m.start():m.end()] for m in _CLAUSE.finditer(text)
        if touches((m.start(), m.end()), own) or not touches((m.start(), m.end()), others))


def _is_incident_folded(folded: str, topic: Topic, rules: Rules,
                        spans_by_topic: Dict[str, List[Tuple[int, int]]]) -> bool:
    spans = spans_by_topic.get(topic.id)
    if not spans:
        return False
    rest = _without_clauses_of_other_topics(_without(folded, spans), topic.id, spans_by_topic)
    if any(p.search(rest) for p in rules.general_markers):
        return False
    return any(p.search(rest) for p in rules.incident_markers)


def urgent_topic(text: str, rules: Optional[Rules] = None) -> Optional[Topic]:
    """The most urgent topic the seller reports as happening to them, or None.
    Button payloads (`/intent…`) are never incidents."""
    if not text or text.lstrip().startswith("/"):
        return None
    rules = rules or load_rules()
    folded = _fold(text)  # once per message: this runs in the NLU pipeline
    spans_by_topic = _spans_by_topic(folded, rules)
    incidents = [t for t in rules.topics if _is_incident_folded(folded, t, rules, spans_by_topic)]
    return min(incidents, key=lambda t: rules.rank(t.urgency)) if incidents else None


def topic_by_id(topic_id: Optional[str], rules: Optional[Rules] = None) -> Optional[Topic]:
    rules = rules or load_rules()
    return next((t for t in rules.topics if t.id == topic_id), None)


def urgency_for(trigger: str, topic: Optional[Topic] = None,
                rules: Optional[Rules] = None) -> str:
    """The topic's urgency when there is one, else the trigger's."""
    rules = rules or load_rules()
    if topic is not None:
        return topic.urgency
    return rules.triggers.get(trigger, {}).get("urgency", "normal")


def expectation(urgency: str, rules: Optional[Rules] = None) -> str:
    """What the seller is told happens next, for this urgency."""
    rules = rules or load_rules()
    return rules.urgencies.get(urgency, rules.urgencies["normal"])["expectation"]


def urgency_label(urgency: str, rules: Optional[Rules] = None) -> str:
    rules = rules or load_rules()
    return rules.urgencies.get(urgency, {}).get("label", urgency)


def trigger_label(trigger: str, rules: Optional[Rules] = None) -> str:
    rules = rules or load_rules()
    return rules.triggers.get(trigger, {}).get("label", trigger)


def category_label(category: str, rules: Optional[Rules] = None) -> str:
    """Knowledge areas take their label from the knowledge base (ask_cost → 费用)."""
    rules = rules or load_rules()
    if category in rules.categories:
        return rules.categories[category]
    from actions.knowledge import knowledge_base

    try:
        return knowledge_base().question_label(category)
    except (KeyError, AttributeError):
        return category


def one_line_summary(trigger: str, topic: Optional[Topic], question: Optional[str],
                     category: Optional[str] = None, rules: Optional[Rules] = None) -> str:
    """`紧急·账户被封：“我的账户被封了怎么办”` — what staff read in the queue."""
    rules = rules or load_rules()
    head = (f"{urgency_label(topic.urgency, rules)}·{topic.label}" if topic
            else trigger_label(trigger, rules))
    if category and not topic and category != "general":
        head += f"（{category_label(category, rules)}）"
    quote = " ".join((question or "").split())
    if len(quote) > QUOTE_MAX:
        quote = quote[:QUOTE_MAX - 1] + "…"
    return (f"{head}：“{quote}”" if quote else head)[:SUMMARY_MAX]
