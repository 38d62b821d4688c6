"""Normalisation, dictionary entities (on the project's real lexicon) and the tie between
thanks and goodbye, without Rasa."""
import pytest
import yaml

from components.closing_tie import closing_tie_ranking
from components.dictionary_entities import build_entity_nlp, extract_entities, lexicon_patterns
from components.text_normalization import (
    NLU_HEAD_CHARS,
    NLU_TAIL_CHARS,
    has_meaningful_text,
    is_goodbye_in_digits,
    is_keyboard_mash,
    is_question,
    normalize_text,
)
from tests.conftest import ROOT


def test_traditional_and_full_width_become_simplified_half_width():
    assert normalize_text("代運營的費用怎麼算？") == "代运营的费用怎么算?"
    assert normalize_text("ＡＣｏＳ　太高") == "ACoS 太高"


def test_html_is_stripped_to_its_text():
    assert normalize_text("<script>alert(1)</script>代运营<b>费用</b>") == "alert(1) 代运营 费用"


def test_long_messages_keep_head_and_tail_for_nlu():
    text = "代运营" + "啊" * 5000 + "怎么收费"
    normalized = normalize_text(text)
    assert len(normalized) == NLU_HEAD_CHARS + NLU_TAIL_CHARS + 1
    assert normalized.startswith("代运营") and normalized.endswith("怎么收费")


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😀😀🙏", "？？？。。。", "!!!"])
def test_messages_without_words_are_not_meaningful(text):
    assert not has_meaningful_text(text)


@pytest.mark.parametrize("text", ["代运营", "ROI", "50"])
def test_words_or_numbers_are_meaningful(text):
    assert has_meaningful_text(text)


@pytest.mark.parametrize("text", ["代运营怎么收费", "有咩要注意", "我月销3万刀，够吗", "没啥效果 原因可能是啥",
                                  "我们没多少预算，选哪个？", "對方是VC 有影響嗎",
                                  "联合营销是不是主要在美国站做", "有没有坑", "代运营适不适合我们",
                                  "那代运营呢", "品牌还没注册 那联合营销呢", "那还没注册品牌的呢",
                                  "库存错配了 咋整", "SC 美国站 年销80万刀。想问下代运营的费用",
                                  "請問聯合運營的開通流程", "一起做的内容版权归谁"])
def test_questions_are_questions(text):
    assert is_question(text)


# A-not-A and Cantonese questions carry no question word: `能申请不`, `得唔得`, `有冇`. A 不 that
# negates what follows it, or one after a modal inside a statement, does not ask.
@pytest.mark.parametrize("text, question", [
    ("年销300万美金能申请不", True), ("VC账号能进不", True), ("这样搞行不", True),
    ("代运营可以包FBA补货不", True), ("我哋细卖家得唔得", True), ("聯合運營有冇門檻", True),
    ("团队能力不行", False), ("会员日我们不参加", False), ("要的预算不多", False),
    ("品牌还没注册，广告也不投", False), ("有预算 不多", False),
])
def test_a_not_a_and_cantonese_questions(text, question):
    assert is_question(text) is question


@pytest.mark.parametrize("text, goodbye", [
    ("88", True), ("886", True), ("行 88", True), ("算了，88！", True), ("8888", True), ("行吧 886", True),
    ("88单", False), ("日均88", False), ("188", False), ("一天大概88", False),
])
def test_goodbye_in_digits(text, goodbye):
    assert is_goodbye_in_digits(text) is goodbye


@pytest.mark.parametrize("text, mash", [
    ("asdfjkl;;", True), ("dsfjkdsjf", True), ("jjjjjkkkk；；；。。。", True), ("SDFGHJKL", True),
    ("ads", False), ("ACoS", False), ("ads 太贵", False), ("qwerty", False),
])
def test_keyboard_mash(text, mash):
    assert is_keyboard_mash(text) is mash


@pytest.mark.parametrize("text", ["日均五十单，做美国站", "刚开始做,还没什么经验", "一天没多少单 品牌还没注册",
                                  "广告不怎么投", "没啥预算", "一天二十来单吧 品牌还没注册呢", "還沒開賬號呢",
                                  "正忙着呢"])
def test_statements_are_not_questions_even_with_a_negated_question_word(text):
    assert not is_question(text)


@pytest.fixture(scope="module")
def entity_nlp():
    synonyms, entity_values = {}, {}
    for item in yaml.safe_load((ROOT / "data/nlu/lexicon.yml").read_text("utf-8"))["nlu"]:
        lines = [l.strip()[2:] for l in item["examples"].splitlines() if l.strip()]
        if "synonym" in item:
            synonyms.update({line: item["synonym"] for line in lines})
        else:
            entity_values[item["lookup"]] = lines
    return build_entity_nlp(lexicon_patterns(synonyms, entity_values))


def entities(nlp, text):
    text = normalize_text(text)
    return [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in extract_entities(nlp, text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("代运营怎么收费", [("mode", "agency", "代运营")]),
        ("代運營的費用", [("mode", "agency", "代运营")]),  # traditional
        ("代运映靠谱吗", [("mode", "agency", "代运映")]),  # homophone typo
        ("联合营消怎么做", [("mode", "co_marketing", "联合营消")]),
        # sounds like 个护 but cuts 有个|互补: a coincidence, not a typo
        ("我们有个互补品牌", []),
        ("店铺托管多少钱", [("mode", "agency", "店铺托管")]),
        # slang, and its fees (代运费 alone is a forwarding fee: see below)
        ("代运的坑有哪些啊", [("mode", "agency", "代运")]),
        ("代运费用怎么算", [("mode", "agency", "代运费用")]),
        ("Co-Op的门槛", [("mode", "amazon_coop", "Co-Op")]),
        ("那亚马逊联合运营呢", [("mode", "amazon_coop", "亚马逊联合运营")]),  # longest match
        ("三种模式对比", [("mode", "all", "三种模式对比")]),
        (
            "代运营和联合营销的费用有啥不同",
            [("mode", "agency", "代运营"), ("mode", "co_marketing", "联合营销"), ("aspect", "cost", "费用")],
        ),
        ("数据归谁", [("aspect", "data", "数据")]),
        # programmes only one document names are that mode
        ("月销三万刀能参加FBA Select Expansion吗",
         [("mode", "amazon_coop", "FBA Select Expansion")]),
        ("Co-Promotions在哪开", [("mode", "co_marketing", "Co-Promotions")]),
        ("欧洲的Co-Branded Promotion Tool怎么申请",
         [("mode", "amazon_coop", "Co-Branded Promotion Tool")]),
        ("我们美国站做保健品", [("marketplace", "US", "美国站"), ("category", "health", "保健品")]),
        (
            "美国站做母婴的适合co marketing吗",
            [("marketplace", "US", "美国站"), ("category", "baby", "母婴"), ("mode", "co_marketing", "co marketing")],
        ),
    ],
)
def test_dictionary_entities(entity_nlp, text, expected):
    types = {entity for entity, _, _ in expected}
    assert [e for e in entities(entity_nlp, text) if e[0] in types] == expected


@pytest.mark.parametrize("text", ["cooperation with brands", "代运费多少", "代运输服务怎么收费",
                                  "外包装破损率高", "我想做品牌"])
def test_no_entity_inside_longer_words_or_unrelated_text(entity_nlp, text):
    assert [e for e in entities(entity_nlp, text) if e[0] == "mode"] == []


def _ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


@pytest.mark.parametrize("ranking, kept", [
    # `谢谢，再见`: a near tie between the two closings is no ambiguity
    (_ranked(("nlu_fallback", 0.3), ("goodbye", 0.505), ("thank", 0.494)), "goodbye"),
    (_ranked(("nlu_fallback", 0.3), ("thank", 0.46), ("goodbye", 0.45)), "thank"),
    # a tie with a question type stays a fallback, and so do closings holding little of it
    (_ranked(("nlu_fallback", 0.3), ("thank", 0.45), ("ask_cost", 0.44)), None),
    (_ranked(("nlu_fallback", 0.3), ("goodbye", 0.35), ("thank", 0.34), ("ask_cost", 0.3)), None),
    # no fallback: nothing to undo
    (_ranked(("goodbye", 0.6), ("thank", 0.39)), None),
])
def test_a_tie_between_thanks_and_goodbye_keeps_the_likelier(ranking, kept):
    result = closing_tie_ranking(ranking)
    assert (result[0]["name"] if result else None) == kept
    if result:
        assert all(r["name"] != "nlu_fallback" for r in result)
