"""Custom actions, offline: tracker fixtures and a real CollectingDispatcher."""
import json

import pytest

from actions.faq_actions import ActionAnswerQuestion, ActionDisambiguate, ActionOutOfScope
from tests.conftest import make_tracker, mode_entity

pytestmark = pytest.mark.usefixtures("no_tickets")


def run(action, tracker, dispatcher, domain):
    events = action.run(dispatcher, tracker, domain)
    return events, dispatcher.messages


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_question_with_a_mode_gets_the_documented_answer_sources_and_buttons(
    kb, dispatcher, domain
):
    tracker = make_tracker("ask_cost", ["agency"], "代运营怎么收费")
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert len(messages) == 1
    message = messages[0]
    assert "每月8,000–30,000元" in message["text"] and "绩效提成(5%–15%)" in message["text"]
    assert "来源：艾瑞咨询《2024年中国跨境电商代运营市场报告》" in message["text"]
    assert "《亚马逊联合营销与代运营的区别》（2026-01-16）" in message["text"]
    assert 2 <= len(message["buttons"]) <= 3
    custom = message["custom"]
    assert custom["type"] == "answer" and custom["id"] == "agency_cost"
    assert custom["sources"][0] == "艾瑞咨询《2024年中国跨境电商代运营市场报告》"
    assert slot_events(events) == {
        "question_type": "ask_cost", "mode": "agency", "context_modes": ["agency"]
    }


def test_related_buttons_lead_to_the_entries_they_name(kb, dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(), make_tracker("ask_cost", ["agency"]), dispatcher, domain
    )
    for button in messages[0]["buttons"]:
        intent, entities = button["payload"][1:].split("{", 1)
        mode = json.loads("{" + entities)["mode"]
        assert kb.resolve(intent, mode).entry.question == button["title"]


def test_a_question_without_a_mode_asks_which_mode_with_buttons(dispatcher, domain):
    tracker = make_tracker("ask_cost", [], "费用怎么算？")
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    message = messages[0]
    assert message["text"].startswith("您想了解哪种模式的费用？")
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[:3] == [
        '/choose_mode{"mode": "co_marketing"}',
        '/choose_mode{"mode": "agency"}',
        '/choose_mode{"mode": "amazon_coop"}',
    ]
    assert message["custom"]["type"] == "clarification"
    assert slot_events(events) == {"question_type": "ask_cost"}


def test_a_follow_up_without_a_mode_stays_on_the_mode_of_the_conversation(dispatcher, domain):
    tracker = make_tracker(
        "ask_cost", [], "有没有隐藏收费要小心", slots={"context_modes": ["agency"], "mode": "agency"}
    )
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["agency_cost"]
    assert messages[0]["text"].startswith("（接着说代运营。想了解其他模式，可以说“那联合营销呢”）")
    assert "ERP系统接入费" in messages[0]["text"]
    assert slot_events(events)["context_modes"] == ["agency"]


def test_a_follow_up_to_a_comparison_answers_each_compared_mode(dispatcher, domain):
    tracker = make_tracker(
        "ask_risk", [], "哪个风险大", slots={"context_modes": ["co_marketing", "agency"]}
    )
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_risk", "agency_risk"]
    assert messages[0]["text"].startswith("（接着说联合营销、代运营。")
    assert not messages[1]["text"].startswith("（")


def clarification_then(intent, modes, text):
    """The bot asked which mode the cost question is about; the seller replies."""
    asked = {"event": "bot", "text": "您想了解哪种模式的费用？",
             "data": {"custom": {"type": "clarification", "question_type": "ask_cost"}}}
    return make_tracker(intent, modes, text, slots={"question_type": "ask_cost"},
                        events=[{"event": "user", "text": "费用怎么算"}, asked])


def test_describing_a_mode_answers_the_pending_which_mode_question(dispatcher, domain):
    tracker = clarification_then("ask_what_is", ["amazon_coop"], "就是跟亚马逊一起做的那个co-op")
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["coop_cost"]


def test_asking_what_a_mode_is_after_which_mode_gets_the_definition(dispatcher, domain):
    tracker = clarification_then("ask_what_is", ["amazon_coop"], "co-op是什么？")
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["coop_definition"]


def test_a_choice_naming_no_mode_after_which_mode_answers_every_mode(dispatcher, domain):
    tracker = clarification_then("choose_mode", [], "都说说吧")
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_definition", "agency_cost", "coop_cost"]


def test_clarification_puts_the_mode_in_context_first(dispatcher, domain):
    tracker = make_tracker("ask_pitfalls", [], "新手最容易忽略什么", slots={"mode": "amazon_coop"})
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert messages[0]["buttons"][0]["payload"] == '/choose_mode{"mode": "amazon_coop"}'


def test_choosing_a_mode_answers_the_pending_question(dispatcher, domain):
    tracker = make_tracker(
        "choose_mode", ["amazon_coop"], "联合运营", slots={"question_type": "ask_cost"}
    )
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert messages[0]["custom"]["id"] == "coop_cost"
    assert "3万–8万美元" in messages[0]["text"]


def test_a_bare_mode_switch_keeps_the_question_type(dispatcher, domain):
    tracker = make_tracker(
        "choose_mode",
        ["co_marketing"],
        "那联合营销呢？",
        slots={"question_type": "ask_risk", "mode": "agency"},
    )
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert messages[0]["custom"]["id"] == "co_marketing_risk"
    assert "67%" in messages[0]["text"]
    assert slot_events(events)["mode"] == "co_marketing"


def test_a_bare_mode_with_no_history_explains_the_mode(dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(), make_tracker("choose_mode", ["agency"], "代运营"), dispatcher, domain
    )
    assert messages[0]["custom"]["id"] == "agency_definition"


def test_two_modes_get_one_answer_each_and_a_shared_passage_once(dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(),
        make_tracker("ask_cost", ["agency", "amazon_coop"]),
        dispatcher,
        domain,
    )
    assert [m["custom"]["id"] for m in messages] == ["agency_cost", "coop_cost"]
    dispatcher.messages.clear()
    _, messages = run(
        ActionAnswerQuestion(),
        make_tracker("ask_control", ["co_marketing", "agency"]),
        dispatcher,
        domain,
    )
    assert [m["custom"]["id"] for m in messages] == ["control_comparison"]


def test_a_cell_the_documents_cover_indirectly_says_so(dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(), make_tracker("ask_cost", ["co_marketing"]), dispatcher, domain
    )
    assert messages[0]["text"].startswith("两份资料都没有给出联合营销的收费标准")
    assert messages[0]["custom"]["id"] == "co_marketing_definition"


def test_comparison_of_the_three_modes_is_a_table(dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(), make_tracker("ask_compare", ["all"], "三种模式对比"), dispatcher, domain
    )
    message = messages[0]
    custom = message["custom"]
    assert custom["type"] == "comparison"
    assert custom["modes"] == ["co_marketing", "agency", "amazon_coop"]
    assert [row["label"] for row in custom["rows"]] == ["控制权", "数据归属", "费用", "风险", "适合谁"]
    for label in ("【控制权】", "【数据归属】", "【费用】", "【风险】", "【适合谁】"):
        assert label in message["text"]
    assert "67%" in message["text"] and "23%" in message["text"]
    assert len(custom["sources"]) == 2


def test_comparison_of_two_named_modes_shows_those_two(dispatcher, domain):
    _, messages = run(
        ActionAnswerQuestion(),
        make_tracker("ask_compare", ["co_marketing", "agency"], "联合营销和代运营的区别"),
        dispatcher,
        domain,
    )
    assert messages[0]["custom"]["modes"] == ["co_marketing", "agency"]
    assert "亚马逊联合运营" not in messages[0]["text"].split("来源")[0]


def test_a_near_tie_offers_the_candidates_and_none_of_these(dispatcher, domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 1.0},
        {"name": "ask_pitfalls", "confidence": 0.41},
        {"name": "ask_risk", "confidence": 0.38},
        {"name": "greet", "confidence": 0.1},
        {"name": "ask_cost", "confidence": 0.01},
    ]
    tracker = make_tracker("nlu_fallback", ["agency"], "代运营要小心啥", ranking=ranking)
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    message = messages[0]
    assert message["text"] == "您是想问……"
    assert [b["title"] for b in message["buttons"]] == ["代运营要注意什么？", "代运营有什么风险？", "都不是"]
    assert message["buttons"][0]["payload"] == '/ask_pitfalls{"mode": "agency"}'
    assert message["buttons"][-1]["payload"] == "/deny"


def test_a_question_not_placed_in_a_conversation_on_a_mode_gets_its_likeliest_answer(
    dispatcher, domain
):
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "ask_failure_reasons", "confidence": 0.35},
               {"name": "ask_what_is", "confidence": 0.3},
               {"name": "greet", "confidence": 0.1}]
    tracker = make_tracker("nlu_fallback", text="效果拿啥追踪", ranking=ranking,
                           slots={"context_modes": ["co_marketing"], "mode": "co_marketing"})
    events, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert messages[0]["custom"]["id"] == "co_marketing_failure_reasons"
    # the other reading stays one click away
    assert messages[1]["text"] == "如果您问的不是这个，您是想问……"
    assert [b["payload"] for b in messages[1]["buttons"]] == [
        '/ask_what_is{"mode": "co_marketing"}', "/deny"]
    assert slot_events(events)["question_type"] == "ask_failure_reasons"


@pytest.mark.parametrize("text, slots, top", [
    # nothing before it: which mode is not known
    ("效果拿啥追踪", {}, 0.35),
    # a statement, not a question
    ("我们做户外露营灯 加拿大站", {"context_modes": ["co_marketing"]}, 0.35),
    # too unsure
    ("效果拿啥追踪", {"context_modes": ["co_marketing"]}, 0.12),
])
def test_other_messages_not_placed_offer_the_candidates(dispatcher, domain, text, slots, top):
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "ask_failure_reasons", "confidence": top},
               {"name": "ask_what_is", "confidence": top - 0.02}]
    tracker = make_tracker("nlu_fallback", text=text, ranking=ranking, slots=slots)
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert [m["text"] for m in messages] == ["您是想问……"]


def test_a_runner_up_asking_for_a_person_keeps_the_candidates(dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "ask_problem_handling", "confidence": 0.25},
               {"name": "request_human", "confidence": 0.23}]
    tracker = make_tracker("nlu_fallback", text="Can I talk to someone from your support team?",
                           ranking=ranking, slots={"context_modes": ["amazon_coop"]})
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert [m["text"] for m in messages] == ["您是想问……"]
    assert "转人工客服" in [b["title"] for b in messages[0]["buttons"]]


def test_a_message_not_placed_keeps_the_mode_it_named_for_the_follow_up(dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 1.0},
               {"name": "ask_combine", "confidence": 0.38},
               {"name": "ask_who_fits", "confidence": 0.06}]
    tracker = make_tracker("nlu_fallback", ["co_marketing"], "有个品牌想跟我们出套装 这算联合营销吗",
                           ranking=ranking)
    events, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert messages[0]["text"] == "您是想问……"
    assert slot_events(events) == {"context_modes": ["co_marketing"], "mode": "co_marketing"}

    dispatcher.messages.clear()
    follow_up = make_tracker("ask_how_to_start", text="咋操作 在哪开通",
                             slots=slot_events(events))
    _, messages = run(ActionAnswerQuestion(), follow_up, dispatcher, domain)
    assert messages[-1]["custom"]["id"] == "co_marketing_how_to_start"


def test_a_message_torn_between_details_and_a_recommendation_starts_the_questionnaire(
    dispatcher, domain
):
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "inform", "confidence": 0.5},
               {"name": "ask_recommendation", "confidence": 0.47}, {"name": "ask_control", "confidence": 0.01}]
    text = "做个评估吧：SC，年销差不多一百五十万英镑，日单三四百，有品牌，无本地团队"
    events, messages = run(ActionDisambiguate(), make_tracker("nlu_fallback", [], text, ranking=ranking),
                           dispatcher, domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "recommendation_form"}]
    assert messages == []  # the questionnaire acknowledges the details

    # without details the parser reads, it is a message the bot could not place
    _, messages = run(ActionDisambiguate(), make_tracker("nlu_fallback", [], "帮我看看吧", ranking=ranking),
                      dispatcher, domain)
    assert messages[0]["response"] == "utter_rephrase"


def test_an_empty_or_emoji_message_is_asked_for_text(dispatcher, domain):
    tracker = make_tracker("nlu_fallback", [], "😀😀")
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert messages[0]["text"].startswith("我没有看到文字内容")
    assert messages[0]["custom"] == {"type": "no_content"}  # a "please write it again" reply


def test_a_fallback_with_no_usable_candidate_says_it_is_out_of_scope(dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 1.0}, {"name": "out_of_scope", "confidence": 0.4}]
    tracker = make_tracker("nlu_fallback", [], "asdkjh qwe", ranking=ranking)
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert messages[0]["response"] == "utter_out_of_scope"


def test_a_message_with_no_candidate_and_nothing_off_topic_is_asked_to_be_rephrased(dispatcher, domain):
    # `嗯` read as inform outside the questions, with nothing the profile parser reads
    ranking = [{"name": "inform", "confidence": 0.76}, {"name": "greet", "confidence": 0.07},
               {"name": "out_of_scope", "confidence": 0.01}]
    tracker = make_tracker("inform", [], "嗯", ranking=ranking)
    _, messages = run(ActionDisambiguate(), tracker, dispatcher, domain)
    assert messages[0]["response"] == "utter_rephrase"


def test_a_comparison_of_one_aspect_answers_with_that_aspects_passages(dispatcher, domain):
    tracker = make_tracker("ask_compare", ["co_marketing", "agency"], "两者控制权有什么不同")
    tracker.latest_message["entities"].append({"entity": "aspect", "value": "control"})
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["control_comparison"]
    assert slot_events(events)["question_type"] == "ask_control"


def test_an_aspect_comparison_without_modes_covers_all_three(dispatcher, domain):
    tracker = make_tracker("ask_compare", [], "哪个费用最低")
    tracker.latest_message["entities"].append({"entity": "aspect", "value": "cost"})
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == [
        "co_marketing_definition",
        "agency_cost",
        "coop_cost",
    ]


def test_a_term_from_a_passage_gets_that_passage_whatever_the_question_type(dispatcher, domain):
    # `是啥意思` reads as ask_what_is; the seller asks about a detail of the pitfalls passage
    tracker = make_tracker("ask_what_is", [], "账户迁移支持是啥意思",
                           slots={"context_modes": ["agency"], "mode": "agency"})
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["agency_pitfalls"]
    assert "资料里讲到“账户迁移支持”的是这一段：" in messages[0]["text"]
    # `那联合营销呢` next asks about pitfalls, the passage's question type
    assert slot_events(events)["question_type"] == "ask_pitfalls"


def test_a_term_only_the_definition_lists_leaves_a_confident_question_its_type(dispatcher, domain):
    # 跨品牌优惠券 is only in the definition's list of scenarios; the seller asks why it failed
    tracker = make_tracker("ask_failure_reasons", ["co_marketing"],
                           "跟别的品牌做了跨品牌优惠券，转化很差，为什么")
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_failure_reasons"]
    assert "资料里讲到" not in messages[0]["text"]


def test_a_term_only_one_passage_contains_answers_a_question_naming_no_mode(dispatcher, domain):
    tracker = make_tracker("ask_what_is", [], "SLA是什么")
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["agency_cost"]
    assert slot_events(events)["context_modes"] == ["agency"]


@pytest.mark.parametrize(
    "text, modes, entry_id",
    [
        ("没商标能做联合营销吗", ["co_marketing"], "co_marketing_how_to_start"),
        ("对方还没做品牌备案 可以吗", ["co_marketing"], "co_marketing_how_to_start"),
        ("我是SC卖家 可以参加联合运营吗", ["amazon_coop"], "coop_how_to_start"),
        ("我們是做VC的，適不適合聯合運營", ["amazon_coop"], "coop_how_to_start"),
        # a stated size is measured against the who-fits thresholds (年销售额超100万美元)
        ("我是SC小卖家 年销几十万刀 有戏吗", ["amazon_coop"], "coop_who_fits"),
        # 代运营's how-to-start cell borrows the provider-choice passage: no requirements there
        ("没商标能找代运营吗", ["agency"], "agency_who_fits"),
        ("联合营销适合哪些卖家", ["co_marketing"], "co_marketing_who_fits"),
    ],
)
def test_a_who_fits_question_stating_only_a_qualification_gets_the_requirements(
    dispatcher, domain, text, modes, entry_id
):
    tracker = make_tracker("ask_who_fits", modes, text)
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == [entry_id]
    routed = entry_id.endswith("how_to_start")
    assert messages[0]["text"].startswith("能不能做，要看资料列出的资质和开通条件：") == routed
    # `那代运营呢` next still asks who fits
    assert slot_events(events)["question_type"] == "ask_who_fits"


def test_a_who_fits_question_with_a_qualification_and_a_setting_gets_who_fits(dispatcher, domain):
    # marketplace and category are what the who-fits passage weighs (美国、加拿大站点 … 健康类目)
    entities = [{"entity": "marketplace", "value": "CA"}, {"entity": "category", "value": "health"}]
    tracker = make_tracker("ask_who_fits", ["co_marketing"], "我们做加拿大站健康类目 有品牌 适合做联合营销吗",
                           entities=entities)
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_who_fits"]


def after_answer(entry_id, mode, intent, text, confidence=0.6):
    """The bot has just answered with an entry for the mode; the seller follows up."""
    answered = {"event": "bot", "text": "……",
                "data": {"custom": {"type": "answer", "id": entry_id, "mode": mode}}}
    tracker = make_tracker(intent, [], text, slots={"context_modes": [mode], "mode": mode},
                           events=[{"event": "user", "text": "……"}, answered])
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


@pytest.mark.parametrize(
    "entry_id, mode, intent, text, excerpt",
    [
        # `具体指啥` reads as "what is"; 成本 is the cost passage's own word
        ("agency_cost", "agency", "ask_what_is", "隐藏成本具体指啥",
         "潜在隐性成本包括：ERP系统接入费、多站点合规审计费、以及因KPI未达标导致的续约罚金。"),
        ("agency_risk", "agency", "ask_data_ownership", "23%这个数据哪来的",
         "代运营则面临服务商能力参差问题：Marketplace Pulse数据显示，2023年亚马逊TOP 10万卖家中有23%"
         "曾因代运营团队操作失误导致广告超支或Listing被停用。"),
        ("coop_who_fits", "amazon_coop", "ask_effect", "類目上哪些效果好",
         "类目上，消费电子、母婴、家居园艺表现最优。"),
    ],
)
def test_a_follow_up_about_a_detail_of_the_last_answer_gets_its_sentences(
    dispatcher, domain, entry_id, mode, intent, text, excerpt
):
    tracker = after_answer(entry_id, mode, intent, text)
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == [entry_id]
    assert messages[0]["custom"]["excerpt"] is True
    body = messages[0]["text"].split("\n\n")
    assert body[1].startswith("刚才那段里讲到“") and body[2] == excerpt
    assert body[3].startswith("来源：")
    assert slot_events(events)["question_type"] == messages[0]["custom"]["question_type"]


@pytest.mark.parametrize(
    "entry_id, mode, intent, text, confidence, answered_id",
    [
        # 风险 names the risk question type, not a detail of the failure reasons passage
        ("coop_failure_reasons", "amazon_coop", "ask_risk", "那风险呢", 0.6, "coop_pitfalls"),
        # a confident question naming its own type (开通) is a new question
        ("co_marketing_definition", "co_marketing", "ask_how_to_start", "要怎么开通？需要什么资格",
         1.0, "co_marketing_how_to_start"),
        # a seller in trouble gets the remedy, not the sentence about the cause
        ("coop_failure_reasons", "amazon_coop", "ask_problem_handling",
         "现在活动数据对不上 库存也错配了 咋处理", 0.7, "coop_problem_handling"),
        # nothing of the question is in the last passage
        ("agency_cost", "agency", "ask_who_fits", "那适合什么样的卖家", 0.9, "agency_who_fits"),
        # 美国站 is the seller's setting, not a detail of the who-fits passage that names it
        ("co_marketing_who_fits", "co_marketing", "ask_cost", "美国站的话费用多少", 0.6,
         "co_marketing_definition"),
    ],
)
def test_a_new_question_after_an_answer_gets_its_own_passage(
    dispatcher, domain, entry_id, mode, intent, text, confidence, answered_id
):
    tracker = after_answer(entry_id, mode, intent, text, confidence)
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == [answered_id]
    assert messages[0]["custom"]["excerpt"] is False


def test_a_figure_of_the_last_answer_read_as_off_topic_gets_its_sentence(dispatcher, domain):
    tracker = after_answer("co_marketing_risk", "co_marketing", "out_of_scope", "67%提前终止？？这么高")
    events, messages = run(ActionOutOfScope(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_risk"]
    assert messages[0]["custom"]["excerpt"] is True and "67%" in messages[0]["text"]
    assert slot_events(events) == {"question_type": "ask_risk"}


@pytest.mark.parametrize("entry_id, mode, text", [
    # a word the last passage has is not enough for an off-topic message: 欧洲 is in it
    ("agency_who_fits", "agency", "欧洲那边的VAT怎么申报"),
    ("co_marketing_risk", "co_marketing", "今天天气怎么样"),
])
def test_an_off_topic_message_after_an_answer_is_still_off_topic(
    dispatcher, domain, entry_id, mode, text
):
    tracker = after_answer(entry_id, mode, "out_of_scope", text)
    run(ActionOutOfScope(), tracker, dispatcher, domain)
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"


@pytest.mark.parametrize("text", ["88", "行 88", "算了886"])
def test_goodbye_in_digits_read_as_off_topic_gets_goodbye(dispatcher, domain, text):
    tracker = make_tracker("out_of_scope", text=text)
    events, messages = run(ActionOutOfScope(), tracker, dispatcher, domain)
    assert events == [] and [m["response"] for m in messages] == ["utter_goodbye"]


def test_a_keyboard_mash_read_as_off_topic_is_asked_to_be_rephrased(dispatcher, domain):
    tracker = make_tracker("out_of_scope", text="asdfjkl;;")
    events, messages = run(ActionOutOfScope(), tracker, dispatcher, domain)
    assert events == [] and [m["response"] for m in messages] == ["utter_rephrase"]


def test_a_follow_up_naming_a_mode_is_not_about_the_last_answer(dispatcher, domain):
    tracker = after_answer("coop_failure_reasons", "amazon_coop", "ask_failure_reasons",
                           "那联合营销呢，双周会也要开吗")
    tracker.latest_message["entities"] = [mode_entity("co_marketing")]
    _, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["co_marketing_failure_reasons"]


def test_a_question_with_no_passage_term_keeps_its_question_type(dispatcher, domain):
    tracker = make_tracker("ask_cost", ["amazon_coop"], "联合运营大概要花多少钱")
    events, messages = run(ActionAnswerQuestion(), tracker, dispatcher, domain)
    assert [m["custom"]["id"] for m in messages] == ["coop_cost"]
    assert "资料里讲到" not in messages[0]["text"]
    assert slot_events(events)["question_type"] == "ask_cost"
