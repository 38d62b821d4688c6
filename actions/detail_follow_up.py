"""A follow-up about a detail of the last answer (`有案例吗` after the combination passage,
`隐藏成本具体指啥`, `23%这个数据哪来的`): the words and figures it shares with that passage and
not with the passage its wording would get, and the sentences that hold them. Plain functions,
no Rasa."""
import logging
import re
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Tuple

import jieba

from actions.knowledge import (
    Entry,
    KnowledgeBase,
    Resolved,
    knowledge_base,
    lexicon_synonyms,
    without_setting_words,
)
from components.text_normalization import normalize_text

jieba.setLogLevel(logging.WARNING)
jieba.initialize()  # at start-up, not in the first seller's reply (~0.7 s)

# A word in more passages than this (a sixth of them) is the domain's vocabulary (品牌, 卖家, 数据)
# or a verb of asking (提升), not a detail; a word naming the passage's own question type
# (成本 in the cost passage) counts whatever its spread.
MAX_PASSAGES_WITH_DETAIL = 4
# Figures sellers quote back as the passage writes them: percentages, decimals, amounts in 万/亿
# (`23%`, `5.8`, `5万`). Bare integers are left out: `日均80单` is about the seller.
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|万|亿)|\d+\.\d+")
_CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# Words of asking, not of the subject (`具体指啥`, `一般多少`)
_ASKING_WORDS = frozenset(
    "具体 一般 可以 需要 问题 建议 主要 比较 还是 就是 现在 知道 意思 情况 怎么 什么 为什么 多少 这个 那个".split()
)
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
DETAIL_NOTE = "刚才那段里讲到“{detail}”的是："


@lru_cache(maxsize=64)
def _words(text: str) -> Tuple[str, ...]:
    """Cached: one answer looks a message's words up for its type and for each last passage."""
    # `美国站费用多少` after a passage about 美国站 asks the cost: the seller's setting is no detail
    return tuple(
        word
        for word in jieba.lcut(without_setting_words(text))
        if _CHINESE_WORD.fullmatch(word) and word not in _ASKING_WORDS
    )


@lru_cache(maxsize=1)
def question_type_words() -> Dict[str, FrozenSet[str]]:
    """Words that name a question type: its label's (效果, 开通, 物流) and its aspect's synonyms
    in the lexicon (门槛, 成本). `那风险呢` after a passage that mentions 风险 asks a new question."""
    kb = knowledge_base()
    synonyms = lexicon_synonyms()
    named = {
        question_type: {w for w in jieba.lcut(spec["label"]) if _CHINESE_WORD.fullmatch(w)}
        for question_type, spec in kb.question_types.items()
    }
    for dimension in kb.comparison:
        named[dimension["question_type"]].update(synonyms.get(dimension["key"], ()))
    return {question_type: frozenset(words) for question_type, words in named.items()}


def _question_types_named_by(word: str) -> FrozenSet[str]:
    return frozenset(qt for qt, words in question_type_words().items() if word in words)


def names_question_type(text: str, question_type: str) -> bool:
    """`要怎么开通`: the question names its type with a word of the type's label or aspect."""
    words = question_type_words().get(question_type, frozenset())
    return any(word in words for word in _words(normalize_text(text)))


def details_only_in(
    kb: KnowledgeBase,
    text: str,
    passage: Entry,
    rival: Optional[Entry],
    figures_only: bool = False,
) -> List[str]:
    """Figures and words of the question that the passage contains and the rival (the passage
    the question's wording would get) does not. Left out: words most passages share, and words
    naming another question type than the passage's (`隐藏成本` counts after the cost passage)."""
    text = normalize_text(text)
    found = []
    for detail in _FIGURE.findall(text) + ([] if figures_only else list(_words(text))):
        if detail in found or detail not in passage.answer:
            continue
        if rival is not None and detail in rival.answer:
            continue
        types = _question_types_named_by(detail)
        if types:
            specific = passage.question_type in types
        else:
            in_passages = sum(detail in entry.answer for entry in kb.entries.values())
            specific = in_passages <= MAX_PASSAGES_WITH_DETAIL
        if specific:
            found.append(detail)
    return found


def detail_passage(
    kb: KnowledgeBase,
    text: str,
    mode: str,
    just_answered: List[str],
    rival: Optional[Resolved],
    figures_only: bool = False,
) -> Optional[Resolved]:
    """`隐藏成本具体指啥` right after the cost passage, `23%这个数据哪来的` right after the risks:
    a follow-up naming no mode that shares a detail (a word few passages have, a figure)
    with the last answer and not with the passage its wording gets asks about that detail. It
    gets the sentences that hold it. `figures_only` for a message read as off-topic
    (`67%提前终止？？这么高`): a figure of the passage is specific enough, a word is not."""
    rival_entry = rival.entry if rival else None
    for entry_id in just_answered:
        last = kb.entries.get(entry_id)
        if last is None or mode not in last.modes or last is rival_entry:
            continue
        details = details_only_in(kb, text, last, rival_entry, figures_only)
        if details:
            return Resolved(
                last, mode, DETAIL_NOTE.format(detail=details[0]), sentences_with(last, details)
            )
    return None


def sentences_with(passage: Entry, details: List[str]) -> str:
    """The passage's sentences that contain any of the details, in the passage's order."""
    sentences = [s.strip() for s in _SENTENCE.findall(passage.answer) if s.strip()]
    return "".join(s for s in sentences if any(d in s for d in details))
