"""The knowledge base (data/knowledge/*.yml) and its lookups. Plain functions, no Rasa."""
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import yaml

from components.text_normalization import normalize_text

KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "data" / "knowledge"
LEXICON_PATH = Path(__file__).resolve().parents[1] / "data" / "nlu" / "lexicon.yml"
ALL_MODES = "all"

# Terms a seller quotes from a passage (`SLA`, `账户迁移支持`, `促销日历`): Latin words with two
# capitals or a hyphen (ACoS, GMV, Co-Promotions), and runs of 4+ Chinese characters between
# function characters. Runs of 3 (销售额, 第一步, 控制权) are words sellers use about anything.
# Names (Amplify) and runs of 2-4 Latin words (Minimum Performance Commitment, ad health score)
# are terms only in a short question about them (`Amazon Amplify是啥`): in a longer message
# they are the seller's setting (`Vendor Manager约我们谈…`, `Prime Day快到了…`).
_LATIN_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9-]*(?: +[A-Za-z][A-Za-z0-9-]*)+")
MIN_NAME_LENGTH = 5
MAX_PHRASE_WORDS = 4
# what else a message quoting a name may say, in Chinese characters and Latin words
MAX_WORDS_AROUND_NAME = 10
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CJK_CHARACTER = re.compile(r"[\u4e00-\u9fff]")
_FUNCTION_CHARACTERS = re.compile("[的了吗呢么吧啊呀哦嘛我你他她们这那啥咋怎什谁哪是在有个和跟与也都就还会能要想说问下些很太给把被让对呗啦哈]")
MIN_CHINESE_TERM = 4
# Longer runs are sentences, not terms; the cap keeps a 500-character run of text at ~5k
# substrings instead of ~125k (290 ms → a few ms against 23 passages).
MAX_CHINESE_TERM = 12


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    question_type: str
    modes: Tuple[str, ...]
    document: str
    section: str
    answer: str
    sources: Tuple[str, ...]
    related: Tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    """The entry that answers a (question type, mode) cell, with a note where the
    documents only cover the cell indirectly."""

    entry: Entry
    mode: str
    note: Optional[str] = None
    # the sentences a follow-up asked about, said instead of the whole passage
    excerpt: Optional[str] = None


@dataclass(frozen=True)
class KnowledgeBase:
    documents: Dict[str, dict]
    modes: Dict[str, dict]
    question_types: Dict[str, dict]
    entries: Dict[str, Entry]
    routes: Dict[Tuple[str, str], Tuple[str, Optional[str]]]
    comparison: List[dict]

    def mode_name(self, mode: str) -> str:
        return self.modes[mode]["name"]

    def question_label(self, question_type: str) -> str:
        return self.question_types[question_type]["label"]

    def question_for(self, question_type: str, mode: str) -> str:
        return self.question_types[question_type]["ask"].format(mode=self.mode_name(mode))

    def resolve(self, question_type: str, mode: str) -> Optional[Resolved]:
        route = self.routes.get((question_type, mode))
        if route is None:
            return None
        entry_id, note = route
        return Resolved(self.entries[entry_id], mode, note)

    def modes_for(self, question_type: str) -> List[str]:
        """Modes that have an answer of this question type, in the KB's mode order."""
        return [m for m in self.modes if (question_type, m) in self.routes]

    def aspect_question_type(self, aspect: str) -> Optional[str]:
        """The question type whose passages answer one aspect of a comparison."""
        for dimension in self.comparison:
            if dimension["key"] == aspect:
                return dimension["question_type"]
        return None

    @cached_property
    def _searchable_passages(self) -> Dict[str, str]:
        # the documents' own text: the questions are ours, and generic (新手最容易忽略的点)
        return {e.id: e.answer.lower() for e in self.entries.values()}

    @cached_property
    def _passage_latin_words(self) -> Dict[str, Dict[str, int]]:
        # Latin terms match whole words (`SC` is not the one in `Jungle Scout`): word → where
        # it first stands in the passage
        positions: Dict[str, Dict[str, int]] = {}
        for entry_id, text in self._searchable_passages.items():
            words: Dict[str, int] = {}
            for match in _LATIN_TERM.finditer(text):
                words.setdefault(match.group(0), match.start())
            positions[entry_id] = words
        return positions

    def _term_position(self, entry_id: str, term: str) -> int:
        """Where the term stands in the passage, -1 when it does not."""
        if term.isascii() and " " in term:
            found = re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])",
                              self._searchable_passages[entry_id])
            return found.start() if found else -1
        if term.isascii():
            return self._passage_latin_words[entry_id].get(term, -1)
        return self._searchable_passages[entry_id].find(term)

    def passage_naming_a_term(
        self, text: str, modes: Iterable[str]
    ) -> Optional[Tuple[Entry, str]]:
        """The one passage of these modes that contains a term of the question, with the term
        as the passage writes it. None when no term is that specific, or when two passages
        are named by equally long terms."""
        modes = set(modes)
        candidates = [e for e in self.entries.values() if modes & set(e.modes)]
        found: Dict[str, str] = {}
        for term in question_terms(text):
            holders = [e for e in candidates if self._term_position(e.id, term) >= 0]
            if len(holders) == 1:
                entry_id = holders[0].id
                found[entry_id] = max(found.get(entry_id, ""), term, key=len)
        ranked = sorted(found.items(), key=lambda item: -len(item[1]))
        if not ranked or (len(ranked) > 1 and len(ranked[1][1]) == len(ranked[0][1])):
            return None
        entry, term = self.entries[ranked[0][0]], ranked[0][1]
        start = self._term_position(entry.id, term)
        return entry, entry.answer[start : start + len(term)]

    def document_citation(self, document_id: str) -> str:
        document = self.documents[document_id]
        return f"《{document['title']}》（{document['date']}）"

    def citations(self, entry: Entry) -> List[str]:
        """The sources the document cites for the passage, then the document itself."""
        return list(entry.sources) + [self.document_citation(entry.document)]


def _build(raw: dict, comparison: dict) -> KnowledgeBase:
    entries: Dict[str, Entry] = {}
    routes: Dict[Tuple[str, str], Tuple[str, Optional[str]]] = {}
    for item in raw["entries"]:
        entry = Entry(
            id=item["id"],
            question=item["question"],
            question_type=item["question_type"],
            modes=tuple(item["modes"]),
            document=item["document"],
            section=item["section"],
            answer=item["answer"].strip(),
            sources=tuple(item.get("sources") or ()),
            related=tuple(item.get("related") or ()),
        )
        if entry.id in entries:
            raise ValueError(f"duplicate knowledge entry id {entry.id}")
        entries[entry.id] = entry
        cells = [(entry.question_type, mode, None) for mode in entry.modes] + [
            (cell["question_type"], cell["mode"], cell.get("note"))
            for cell in item.get("also_answers") or ()
        ]
        for question_type, mode, note in cells:
            if (question_type, mode) in routes:
                raise ValueError(f"two entries answer {question_type} × {mode}")
            routes[(question_type, mode)] = (entry.id, note)
    return KnowledgeBase(
        documents=raw["documents"],
        modes=raw["modes"],
        question_types=raw["question_types"],
        entries=entries,
        routes=routes,
        comparison=comparison["dimensions"],
    )


@lru_cache(maxsize=1)
def _lexicon() -> Tuple[Dict[str, Tuple[str, ...]], Dict[str, Tuple[str, ...]]]:
    """The lexicon's words for each canonical value (`agency`: 代运营, 托管 …; `cost`: 费用 …),
    and the canonical values of each entity (`marketplace`: US, DE …)."""
    with open(LEXICON_PATH, encoding="utf-8") as f:
        lexicon = yaml.safe_load(f)["nlu"]

    def lines(item: dict) -> Tuple[str, ...]:
        return tuple(
            line.strip()[2:].strip()
            for line in item["examples"].splitlines()
            if line.strip().startswith("- ")
        )

    synonyms = {item["synonym"]: lines(item) for item in lexicon if "synonym" in item}
    lookups = {item["lookup"]: lines(item) for item in lexicon if "lookup" in item}
    return synonyms, lookups


def lexicon_synonyms() -> Dict[str, Tuple[str, ...]]:
    return _lexicon()[0]


def chinese_words_for(values: Iterable[str]) -> Tuple[str, ...]:
    """The lexicon's Chinese words for these canonical values, longest first, so that cutting
    them out of a text takes 代运营公司 before 代运营."""
    synonyms = lexicon_synonyms()
    words = {word for value in values for word in synonyms.get(value, ()) if _CJK_RUN.search(word)}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def entity_values_in_lexicon(entity: str) -> Tuple[str, ...]:
    """The canonical values of a lexicon entity (`marketplace`: US, DE …)."""
    return _lexicon()[1].get(entity, ())


@lru_cache(maxsize=1)
def setting_words() -> Tuple[str, ...]:
    """The lexicon's Chinese words for the modes, marketplaces and categories (代运营, 美国站,
    宠物用品 …), longest first. They name a mode or the seller's own setting, not a passage,
    so they are cut out of question terms (`代运营公司` is no term; `我们做宠物用品的 代运营是啥`
    asks the definition, not the cost passage that lists 宠物用品)."""
    setting = [v for e in ("marketplace", "category") for v in entity_values_in_lexicon(e)]
    return chinese_words_for(list(knowledge_base().modes) + setting)


def without_setting_words(text: str) -> str:
    """The text lower-cased, with the setting words (see above) blanked out."""
    lowered = text.lower()
    for word in setting_words():
        lowered = lowered.replace(word, " ")
    return lowered


@lru_cache(maxsize=1)
def mode_name_terms() -> FrozenSet[str]:
    """The modes' English names as Latin terms (`co-marketing`, `co-op`). Like the setting
    words they name a mode, not the one passage that spells them out (the definition)."""
    return frozenset(
        word.lower()
        for mode in knowledge_base().modes.values()
        for word in _LATIN_TERM.findall(mode["english"])
    )


def quoted_names(text: str) -> Set[str]:
    """Lower-cased names and Latin phrases a short question asks about (see _LATIN_RUN)."""
    size = len(_CJK_CHARACTER.findall(text)) + len(_LATIN_TERM.findall(text))
    names = {
        word.lower()
        for word in _LATIN_TERM.findall(text)
        if word[0].isupper() and len(word) >= MIN_NAME_LENGTH and size - 1 <= MAX_WORDS_AROUND_NAME
    }
    for run in _LATIN_RUN.findall(text):
        words = run.lower().split()
        names.update(
            " ".join(words[i:j])
            for i in range(len(words))
            for j in range(i + 2, min(i + MAX_PHRASE_WORDS, len(words)) + 1)
            if size - (j - i) <= MAX_WORDS_AROUND_NAME
        )
    return {name for name in names if not set(name.split()) <= mode_name_terms()}


@lru_cache(maxsize=64)
def question_terms(text: str) -> FrozenSet[str]:
    """Lower-cased terms of a question that could name one passage (see _LATIN_TERM). Cached:
    one answer looks the message's terms up for each mode it answers."""
    text = normalize_text(text)
    terms = {
        word.lower()
        for word in _LATIN_TERM.findall(text)
        if (sum(c.isupper() for c in word) >= 2 or "-" in word)
        and word.lower() not in mode_name_terms()
    }
    terms.update(quoted_names(text))
    for run in _CJK_RUN.findall(without_setting_words(text)):
        for piece in _FUNCTION_CHARACTERS.split(run):
            terms.update(
                piece[i:j]
                for i in range(len(piece))
                for j in range(i + MIN_CHINESE_TERM, min(i + MAX_CHINESE_TERM, len(piece)) + 1)
            )
    return frozenset(terms)


def load_knowledge_base(directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    with open(directory / "knowledge_base.yml", encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    with open(directory / "comparison.yml", encoding="utf-8") as f:
        comparison = yaml.safe_load(f)
    return _build(raw, comparison)


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()
