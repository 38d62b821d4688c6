"""Details of the last answer a follow-up asks about: plain functions, no Rasa."""
import pytest

from actions.detail_follow_up import (
    details_only_in,
    names_question_type,
    question_type_words,
    sentences_with,
)


def test_question_types_are_named_by_their_labels_and_aspect_synonyms():
    words = question_type_words()
    assert {"开通"} <= words["ask_how_to_start"]  # label 开通方式
    assert {"门槛", "适合"} <= words["ask_who_fits"]  # lexicon aspect synonym, label
    assert {"成本", "费用"} <= words["ask_cost"]
    assert names_question_type("要怎麼開通", "ask_how_to_start")
    assert not names_question_type("客户经理热线在哪找", "ask_how_to_start")


@pytest.mark.parametrize(
    "text, passage, rival, details",
    [
        ("有案例吗", "combine_co_marketing_and_agency", "agency_who_fits", ["案例"]),
        ("ROAS 5.8是怎么做到的", "combine_co_marketing_and_agency", None, ["5.8"]),
        ("15% cap 是指啥", "coop_cost", None, ["15%"]),
        # 品牌 is in most passages: the domain's vocabulary, not a detail
        ("品牌方面呢", "coop_who_fits", "coop_cost", []),
        # the rival passage has 案例 too: nothing sets the last passage apart
        ("有案例吗", "combine_co_marketing_and_agency", "co_marketing_who_fits", []),
        # 门槛 names the who-fits question, so it is no detail of the logistics passage
        ("门槛高吗", "coop_logistics", "coop_who_fits", []),
        # a bare integer is most often about the seller, even one the passage has (低于50单)
        ("50单够不够", "agency_who_fits", None, []),
    ],
)
def test_details_are_what_only_the_last_passage_has(kb, text, passage, rival, details):
    rival_entry = kb.entries[rival] if rival else None
    assert details_only_in(kb, text, kb.entries[passage], rival_entry) == details


def test_the_excerpt_is_the_sentences_holding_the_details_in_passage_order(kb):
    passage = kb.entries["coop_cost"]
    excerpt = sentences_with(passage, ["15%"])
    assert excerpt.startswith("例如") and excerpt.endswith("(上限15%)。")
    assert excerpt in passage.answer
