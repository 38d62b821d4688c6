"""The knowledge base (data/knowledge/*.yml) and its lookups. Plain functions, no Rasa."""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "data" / "knowledge"
ALL_MODES = "all"


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


def load_knowledge_base(directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    with open(directory / "knowledge_base.yml", encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    with open(directory / "comparison.yml", encoding="utf-8") as f:
        comparison = yaml.safe_load(f)
    return _build(raw, comparison)


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()
