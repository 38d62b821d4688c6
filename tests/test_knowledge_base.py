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


@pytest.mark.parametrize(
    "question, modes, entry_id, term",
    [
        ("SLA係乜嘢嚟㗎", ["agency"], "agency_cost", "SLA"),
        ("账户迁移支持是啥意思", ["agency"], "agency_pitfalls", "账户迁移支持"),
        ("any hidden costs? 比如ERP那些", ["agency"], "agency_cost", "ERP"),
        ("促销日历提前多久对齐比较好", ["co_marketing"], "co_marketing_failure_reasons", "促销日历"),
        ("我是SC 能用那个Co-Promotions吗", ["co_marketing"], "co_marketing_how_to_start",
         "Co-Promotions"),
        ("退出成本高是指什麼", ["amazon_coop"], "coop_pros_cons", "退出成本高"),
        # a name or a Latin phrase in a short question about it, whatever its case
        ("听说有个Amplify计划", ["amazon_coop"], "coop_mechanism", "Amplify"),
        ("ad health score是什么东西", ["amazon_coop"], "coop_cost", "Ad Health Score"),
        ("what does minimum performance commitment mean", ["amazon_coop"], "coop_pitfalls",
         "Minimum Performance Commitment"),
    ],
)
def test_a_term_only_one_passage_of_the_mode_contains_names_that_passage(
    kb, question, modes, entry_id, term
):
    entry, found = kb.passage_naming_a_term(question, modes)
    assert (entry.id, found) == (entry_id, term)
    assert found in entry.answer


@pytest.mark.parametrize(
    "question, modes",
    [
        # 代运营公司 is the mode's name, not a term; 销售额 and 第一步 are everyday words
        ("数据归谁啊 会不会被代运营公司拿走", ["agency"]),
        ("提成5到15个点 是按销售额算吗", ["agency"]),
        ("那开始的话第一步干啥", ["amazon_coop"]),
        # the Co-Op's name is in most of its passages
        ("Co-Op怎么收费", ["amazon_coop"]),
        # a mode's own English name names the mode, not the definition that spells it out
        ("听说很多co-marketing项目都黄了？", ["co_marketing"]),
        ("Third-Party Operation一般怎么收费", ["agency"]),
        # our question texts are not searched: 新手最容易忽略 is in one of them only
        ("新手最容易忽略啥", list(("co_marketing", "agency", "amazon_coop"))),
        # Latin terms match whole words: SC is not the one in `Jungle Scout` (co_marketing_risk)
        ("我是SC小卖家 有戏吗", ["co_marketing"]),
        # the seller's own category and marketplace (宠物用品 is only in agency_cost)
        ("我们做宠物用品的，美国站SC，代运营是啥意思", ["agency"]),
        # in a longer message a name is the seller's setting (Vendor Manager: coop_who_fits)
        ("我们是VC，Vendor Manager上周约我们开会，说可以一起做推广，这个联合运营到底是啥", ["amazon_coop"]),
    ],
)
def test_words_that_name_no_single_passage_name_none(kb, question, modes):
    assert kb.passage_naming_a_term(question, modes) is None


def test_a_long_message_yields_terms_no_longer_than_the_cap():
    from actions.knowledge import MAX_CHINESE_TERM, question_terms

    terms = question_terms("账户迁移支持知识产权退出成本高促销日历" * 25)
    assert terms and max(len(t) for t in terms) == MAX_CHINESE_TERM
