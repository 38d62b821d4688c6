"""Integrity of data/knowledge: every cell answered once, nothing orphaned, text unchanged."""
import re
import unicodedata

import pytest

from tests.conftest import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
SOURCE_FILES = {
    "marketing_vs_agency": "000_95fab04116839c77.txt",
    "amazon_coop": "001_1490675ab30ca872.txt",
}


def test_every_entry_has_answer_sources_and_a_known_document(kb):
    for entry in kb.entries.values():
        assert entry.answer.strip(), entry.id
        assert entry.document in kb.documents, entry.id
        assert entry.question_type in kb.question_types, entry.id
        assert entry.modes and set(entry.modes) <= set(kb.modes), entry.id
        citations = kb.citations(entry)
        assert citations[-1].startswith("《") and citations[-1].endswith("）"), entry.id


def test_every_question_type_and_mode_reaches_an_entry(kb):
    for question_type in kb.question_types:
        if question_type == "ask_compare":  # answered by the comparison table
            continue
        for mode in kb.modes:
            assert kb.resolve(question_type, mode) is not None, (question_type, mode)


def test_each_entry_is_reached_by_its_own_question_type(kb):
    for entry in kb.entries.values():
        for mode in entry.modes:
            resolved = kb.resolve(entry.question_type, mode)
            assert resolved.entry.id == entry.id and resolved.note is None


def test_related_entries_exist_and_every_entry_is_linked_from_another(kb):
    linked = set()
    for entry in kb.entries.values():
        assert 2 <= len(entry.related) <= 3, entry.id
        for related_id in entry.related:
            assert related_id in kb.entries and related_id != entry.id, entry.id
        linked.update(entry.related)
    assert linked == set(kb.entries), set(kb.entries) - linked


def test_comparison_cells_cover_three_modes_and_cite_real_entries(kb):
    assert [d["key"] for d in kb.comparison] == ["control", "data", "cost", "risk", "who_fits"]
    for dimension in kb.comparison:
        assert set(dimension["cells"]) == set(kb.modes)
        for cell in dimension["cells"].values():
            assert set(cell) == {"text", "entry"}, cell  # an unquoted comma splits a cell
            assert cell["text"] and cell["entry"] in kb.entries


def test_every_figure_in_the_comparison_is_in_the_entry_it_cites(kb):
    for dimension in kb.comparison:
        for cell in dimension["cells"].values():
            answer = kb.entries[cell["entry"]].answer
            for figure in re.findall(r"\d[\d,.]*\d|\d", cell["text"]):
                assert figure in answer, (figure, cell)


def _canonical(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents are not beside the checkout")
def test_answers_are_the_documents_text_unchanged(kb):
    documents = {
        doc_id: _canonical((SEEDS / name).read_text("utf-8"))
        for doc_id, name in SOURCE_FILES.items()
    }
    for entry in kb.entries.values():
        for paragraph in entry.answer.split("\n\n"):
            assert _canonical(paragraph) in documents[entry.document], (entry.id, paragraph[:30])
    for doc_id, document in kb.documents.items():
        for key in ("title", "summary", "conclusion"):
            assert _canonical(document[key]) in documents[doc_id]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents are not beside the checkout")
def test_every_figure_of_the_documents_is_in_the_knowledge_base(kb):
    """Each number of the documents (percentages, money, ratios) appears in some answer."""
    text = _canonical(" ".join(e.answer for e in kb.entries.values()))
    for name in SOURCE_FILES.values():
        body = _canonical((SEEDS / name).read_text("utf-8")).split("2026-01-16", 1)[1]
        for figure in re.findall(r"\d[\d,.:–%]*\d%?|\d+%", body):
            assert figure in text, (name, figure)
