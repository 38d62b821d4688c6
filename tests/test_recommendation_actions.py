"""Recommendation actions offline: tracker fixtures and a real CollectingDispatcher."""
import asyncio

import pytest

from actions.recommendation_actions import (
    ActionExplainRecommendation,
    ActionRecommend,
    ActionResetProfile,
    ActionTakeProfileInformation,
    ValidateRecommendationForm,
    profile_fields,
    profile_from,
    question_asked_with_facts,
)
from actions.recommendation_engine import UNKNOWN, load_criteria, questions_still_needed
from support import db, store
from tests.conftest import make_tracker

pytestmark = pytest.mark.usefixtures("no_tickets")

DOMAIN = {"forms": {"recommendation_form": {"required_slots": list(load_criteria().questions)}}}


def validate(tracker, dispatcher):
    return asyncio.run(ValidateRecommendationForm().run(dispatcher, tracker, DOMAIN))


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def empty_profile(**values):
    return {**{f: None for f in profile_fields()}, "recommendation": None, "requested_slot": None, **values}


def test_the_opening_message_fills_the_profile_and_only_the_rest_is_asked(dispatcher):
    tracker = make_tracker(
        "ask_recommendation",
        text="刚开店三个月，一天就十来单，没有海外团队，想做阿联酋站",
        slots=empty_profile(),
        entities=[{"entity": "marketplace", "value": "AE"}],
    )
    events = slots(validate(tracker, dispatcher))
    assert events["daily_orders"] == 10 and events["local_team"] is False
    assert events["marketplaces"] == ["AE"] and events["new_seller"] is True
    assert events["requested_slot"] not in ("daily_orders", "local_team", "marketplaces")
    assert dispatcher.messages[0]["text"].startswith("已记录：")


def test_a_skipped_question_is_marked_unknown_and_not_asked_again(dispatcher):
    tracker = make_tracker("inform", text="不清楚", slots=empty_profile(requested_slot="brand_registered"))
    events = slots(validate(tracker, dispatcher))
    assert events["brand_registered"] == UNKNOWN
    assert events["requested_slot"] != "brand_registered"


def test_an_unreadable_answer_is_skipped_rather_than_repeated(dispatcher):
    tracker = make_tracker("inform", text="嗯嗯", slots=empty_profile(requested_slot="goal"))
    events = slots(validate(tracker, dispatcher))
    assert events["goal"] == UNKNOWN and events["requested_slot"] != "goal"
    assert "没能识别" in dispatcher.messages[0]["text"]


def test_an_faq_in_the_middle_fills_nothing_so_the_form_lets_it_through(dispatcher):
    tracker = make_tracker(
        "ask_cost", ["agency"], text="代运营怎么收费", slots=empty_profile(requested_slot="daily_orders")
    )
    events = slots(validate(tracker, dispatcher))
    assert set(events) <= {"requested_slot"}


def test_a_correction_overwrites_the_earlier_answer(dispatcher):
    tracker = make_tracker(
        "inform",
        text="刚才说错了，是美国站",
        slots=empty_profile(marketplaces=["DE"], requested_slot="budget_usd"),
        entities=[{"entity": "marketplace", "value": "US"}],
    )
    assert slots(validate(tracker, dispatcher))["marketplaces"] == ["US"]


def test_a_question_about_another_marketplace_is_answered_not_taken_as_a_correction(dispatcher):
    # `阿联酋站呢` after the agency's who-fits answer and `德国站`: it asks, it changes no answer
    ranking = [{"name": "inform", "confidence": 0.77}, {"name": "choose_mode", "confidence": 0.09},
               {"name": "ask_who_fits", "confidence": 0.06}]
    tracker = make_tracker(
        "inform", text="阿联酋站呢", ranking=ranking,
        slots=empty_profile(marketplaces=["DE"], requested_slot="annual_sales_usd",
                            context_modes=["agency"]),
        entities=[{"entity": "marketplace", "value": "AE"}],
    )
    events = slots(validate(tracker, dispatcher))
    assert "marketplaces" not in events and "annual_sales_usd" not in events
    assert [m["custom"]["id"] for m in dispatcher.messages] == ["agency_who_fits"]

    # a fact not given before is still an answer, question or not
    dispatcher.messages.clear()
    tracker = make_tracker(
        "inform", text="阿联酋站呢", ranking=ranking,
        slots=empty_profile(requested_slot="annual_sales_usd", context_modes=["agency"]),
        entities=[{"entity": "marketplace", "value": "AE"}],
    )
    assert slots(validate(tracker, dispatcher))["marketplaces"] == ["AE"]


def asked(*fields):
    events = []
    for field in fields:
        events += [{"event": "slot", "name": "requested_slot", "value": field},
                   {"event": "user", "text": "…"}]
    return events


def test_no_more_questions_after_the_maximum(dispatcher):
    tracker = make_tracker(
        "inform", text="跳过", slots=empty_profile(requested_slot="category"),
        events=asked(*list(load_criteria().questions)[:6]),
    )
    assert slots(validate(tracker, dispatcher))["requested_slot"] is None


def test_a_seller_who_told_enough_gets_the_recommendation_not_more_questions(dispatcher):
    text = "日本站 SC 日均80单 有品牌备案 年销售150万美金 5个人的团队 推广预算每月2万刀"
    tracker = make_tracker("inform", text=text, slots=empty_profile(),
                           entities=[{"entity": "marketplace", "value": "JP"}])
    events = slots(validate(tracker, dispatcher))
    assert sum(events.get(f) is not None for f in load_criteria().questions) >= 6
    # partner brand and goal could still change it, but the seller has said enough
    assert events["requested_slot"] is None

    dispatcher.messages.clear()
    five = make_tracker("inform", text="日本站 SC 日均80单 有品牌备案 年销售150万美金",
                        slots=empty_profile(), entities=[{"entity": "marketplace", "value": "JP"}])
    assert slots(validate(five, dispatcher))["requested_slot"] is not None


def test_a_question_that_got_two_replies_is_not_asked_a_third_time(dispatcher):
    tracker = make_tracker(
        "out_of_scope", text="今天天气不错", slots=empty_profile(requested_slot="brand_registered"),
        events=asked("brand_registered", "brand_registered"),
    )
    assert slots(validate(tracker, dispatcher))["requested_slot"] != "brand_registered"


def test_an_answer_misread_as_a_question_intent_is_still_an_answer(dispatcher):
    tracker = make_tracker("ask_how_to_start", text="还没注册", slots=empty_profile(requested_slot="brand_registered"))
    assert slots(validate(tracker, dispatcher))["brand_registered"] is False


def test_after_a_recommendation_a_changed_answer_is_not_followed_by_questions(dispatcher):
    tracker = make_tracker(
        "inform", text="预算改成5万刀", slots=empty_profile(recommendation={"mode": "agency"})
    )
    events = slots(validate(tracker, dispatcher))
    assert events["budget_usd"] == 50_000 and events["requested_slot"] is None


def test_the_recommendation_message(dispatcher):
    profile = empty_profile(daily_orders=10, local_team=False, marketplaces=["AE"], brand_registered=False)
    events = ActionRecommend().run(dispatcher, make_tracker("inform", slots=profile), {})
    message = dispatcher.messages[0]
    assert message["text"].startswith("推荐模式：代运营\n")
    assert "低于50单" in message["text"] and "来源：" in message["text"]
    assert "次选：" in message["text"] and "注意：" in message["text"] and "下一步：" in message["text"]
    custom = message["custom"]
    assert custom["type"] == "recommendation" and custom["mode"] == "agency"
    assert custom["scores"]["agency"] > custom["scores"][custom["runner_up"]["mode"]]
    assert {r["id"] for r in custom["reasons"]} >= {"low_daily_orders", "no_local_team", "emerging_marketplaces"}
    assert custom["profile"]["marketplaces"] == ["AE"]
    assert message["buttons"][0]["payload"] == '/ask_pitfalls{"mode": "agency"}'
    assert slots(events)["recommendation"] == custom
    assert slots(events)["context_modes"] == ["agency"]  # `那要花多少钱` is about it


def test_the_recommendation_names_the_open_questions_that_could_still_change_it(dispatcher):
    profile = empty_profile(daily_orders=80, annual_sales_usd=1_500_000, brand_registered=True,
                            marketplaces=["JP"], local_team=True, account_type="seller_central",
                            budget_usd=20_000)
    ActionRecommend().run(dispatcher, make_tracker("inform", slots=profile), {})
    text = dispatcher.messages[0]["text"]
    still_open = questions_still_needed(profile_from(make_tracker("inform", slots=profile)))
    assert still_open  # given this early (enough facts), something could still change it
    labels = "、".join(load_criteria().labels["field"][f] for f in still_open)
    assert f"还可能改变推荐的：{labels}。" in text

    dispatcher.messages.clear()  # nothing open: nothing to add
    decided = {**profile, **{f: UNKNOWN for f in still_open}}
    ActionRecommend().run(dispatcher, make_tracker("inform", slots=decided), {})
    assert "还可能改变推荐的" not in dispatcher.messages[0]["text"]


def test_why_repeats_the_reasoning(dispatcher):
    profile = empty_profile(daily_orders=10, local_team=False)
    ActionRecommend().run(dispatcher, make_tracker("inform", slots=profile), {})
    custom = dispatcher.messages[0]["custom"]
    dispatcher.messages.clear()
    ActionExplainRecommendation().run(
        dispatcher, make_tracker("ask_why", text="为什么？", slots={**profile, "recommendation": custom}), {}
    )
    text = dispatcher.messages[0]["text"]
    assert text.startswith("推荐代运营的依据：") and "低于50单" in text and "各模式得分" in text


def test_why_before_any_recommendation(dispatcher):
    ActionExplainRecommendation().run(dispatcher, make_tracker("ask_why", slots=empty_profile()), {})
    assert dispatcher.messages[0]["response"] == "utter_no_recommendation_yet"


def test_restart_clears_the_profile_and_the_recommendation(dispatcher):
    events = ActionResetProfile().run(dispatcher, make_tracker("restart_recommendation"), {})
    assert all(value is None for value in slots(events).values())
    assert set(slots(events)) >= set(profile_fields()) | {"recommendation"}


def take_outside_the_form(tracker, dispatcher):
    return ActionTakeProfileInformation().run(dispatcher, tracker, DOMAIN)


def test_details_outside_the_form_start_the_questionnaire(dispatcher):
    tracker = make_tracker("inform", text="我们日均五十单左右，做美国站", slots=empty_profile(),
                           entities=[{"entity": "marketplace", "value": "US"}])
    events = take_outside_the_form(tracker, dispatcher)
    assert events == [{"event": "followup", "timestamp": None, "name": "recommendation_form"}]
    assert dispatcher.messages == []  # the form acknowledges what it read


def test_details_naming_a_mode_put_the_conversation_on_it(dispatcher):
    # `费用咋算的` after this is about the Co-Op, not "which mode?"
    tracker = make_tracker("inform", ["amazon_coop"], slots=empty_profile(),
                           text="We are a VC vendor selling baby products in US, annual ~8M USD. 想了解下Co-Op怎么参与")
    events = take_outside_the_form(tracker, dispatcher)
    assert slots(events) == {"context_modes": ["amazon_coop"], "mode": "amazon_coop"}
    assert events[-1]["event"] == "followup"


def test_an_answer_in_the_questionnaire_naming_a_mode_puts_the_conversation_on_it(dispatcher):
    tracker = make_tracker("inform", ["agency"], text="我们日均三十单，之前用过代运营",
                           slots=empty_profile(requested_slot="daily_orders"))
    events = slots(validate(tracker, dispatcher))
    assert events["daily_orders"] == 30
    assert events["context_modes"] == ["agency"] and events["mode"] == "agency"


@pytest.fixture
def waiting_ticket(no_tickets, tmp_path, monkeypatch):
    """seller-1 has asked for a person and the ticket waits for staff (after no_tickets, whose
    empty database it replaces)."""
    url = f"sqlite:///{tmp_path / 'support.db'}"
    db.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    with db.session_scope(url) as session:
        store.create_ticket(session, sender_id="seller-1", channel="rest", category="general",
                            urgency="normal", trigger="asked_for_person", summary="转人工",
                            profile={}, recommendation=None, transcript=[])
    yield
    db.engine_for(url).dispose()


@pytest.mark.usefixtures("waiting_ticket")
def test_details_while_a_handoff_ticket_waits_are_for_staff_not_the_questionnaire(dispatcher):
    tracker = make_tracker("inform", text="我店铺名叫 XX Home 美国站的", slots=empty_profile(),
                           entities=[{"entity": "marketplace", "value": "US"}])
    # left to the rule's next step, the disambiguation action, which says it was passed on
    assert take_outside_the_form(tracker, dispatcher) == []
    assert dispatcher.messages == []


@pytest.mark.usefixtures("waiting_ticket")
def test_details_with_a_question_while_a_ticket_waits_get_the_answer(dispatcher):
    ranking = [{"name": "inform", "confidence": 0.53}, {"name": "ask_who_fits", "confidence": 0.33}]
    tracker = make_tracker("inform", text="我月销3万刀，够吗", ranking=ranking,
                           slots=empty_profile(context_modes=["amazon_coop"]))
    events = take_outside_the_form(tracker, dispatcher)
    assert [m["custom"]["id"] for m in dispatcher.messages] == ["coop_who_fits"]
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


def test_details_with_a_question_get_the_answer_and_the_details_are_kept(dispatcher):
    # `我月销3万刀，够吗` on the Co-Op: the classifier leans to details, but the seller asks
    ranking = [{"name": "inform", "confidence": 0.53}, {"name": "ask_who_fits", "confidence": 0.33},
               {"name": "ask_cost", "confidence": 0.09}]
    tracker = make_tracker("inform", text="我月销3万刀，够吗", ranking=ranking,
                           slots=empty_profile(context_modes=["amazon_coop"]))
    events = take_outside_the_form(tracker, dispatcher)
    assert [m["custom"]["id"] for m in dispatcher.messages] == ["coop_who_fits"]
    assert slots(events)["annual_sales_usd"] == 360000  # kept for a later recommendation
    assert slots(events)["question_type"] == "ask_who_fits"
    # the turn ends with the answer: no questionnaire, no "not understood"
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


@pytest.mark.parametrize("text, ranking", [
    # a statement, whatever the ranking
    ("我们月销3万刀", [("inform", 0.53), ("ask_who_fits", 0.33)]),
    ("刚开始做,还没什么经验 一天十几单", [("inform", 0.61), ("ask_how_to_start", 0.3)]),
    # a question, but no question type is likely enough: the details lead
    ("一天二十来单吧 品牌还没注册呢", [("inform", 0.98), ("ask_cost", 0.01)]),
    # what suits me, naming no mode: the questionnaire's question
    ("我是做宠物用品的SC卖家 年销四十万刀 美国站 没团队 品牌有注册 想省事 你说我适合啥",
     [("inform", 0.58), ("ask_recommendation", 0.31), ("ask_who_fits", 0.10)]),
])
def test_details_without_a_likely_question_start_the_questionnaire(dispatcher, text, ranking):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    tracker = make_tracker("inform", text=text, ranking=ranked, slots=empty_profile())
    events = take_outside_the_form(tracker, dispatcher)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "recommendation_form"}
    assert dispatcher.messages == []


def test_the_question_asked_with_details_is_the_first_question_type_ranked():
    def ranked(*pairs):
        return [{"name": name, "confidence": confidence} for name, confidence in pairs]

    text = "我们是深圳做3C配件的，美国站SC，一天十几单。听说可以找代运营，这个到底是啥"
    # ask_recommendation is no question type: the definition of the mode named is what is asked
    assert question_asked_with_facts(
        text, ranked(("inform", 0.38), ("ask_recommendation", 0.31), ("ask_what_is", 0.27)),
        names_a_mode=True,
    ) == "ask_what_is"
    # naming no mode, what suits the seller is the questionnaire's to answer
    assert question_asked_with_facts(
        "我是做宠物用品的SC卖家 年销四十万刀 美国站 没团队 品牌有注册 你说我适合啥",
        ranked(("inform", 0.58), ("ask_recommendation", 0.31), ("ask_who_fits", 0.10)),
    ) is None
    assert question_asked_with_facts(
        text, ranked(("inform", 0.98), ("ask_recommendation", 0.01), ("ask_what_is", 0.01))
    ) is None
    assert question_asked_with_facts(
        "我们是SC 对方是VC", ranked(("inform", 0.6), ("ask_who_fits", 0.3))
    ) is None
    # the SVM is sure of facts and gives the question little: still what is asked
    assert question_asked_with_facts(
        "那我能参加吗 一天一百来单 年销六十万刀左右 有R标",
        ranked(("inform", 0.95), ("ask_who_fits", 0.04), ("ask_recommendation", 0.0)),
    ) == "ask_who_fits"
    # `还没…呢` states: no question however the ranking goes
    assert question_asked_with_facts(
        "一天二十来单吧 品牌还没注册呢", ranked(("inform", 0.9), ("ask_who_fits", 0.08))
    ) is None


def test_nothing_readable_outside_the_form_is_left_to_the_not_understood_rule(dispatcher):
    for text in ("嗯", "xyz abc", "没有"):
        tracker = make_tracker("inform", text=text, slots=empty_profile())
        assert take_outside_the_form(tracker, dispatcher) == [], text
    assert dispatcher.messages == []


def test_a_question_inside_the_questionnaire_is_not_taken_as_an_answer(dispatcher):
    for intent, text in [("ask_pitfalls", "有咩要注意"), ("ask_what_is", "Transparency是干嘛的")]:
        tracker = make_tracker(
            intent, text=text, slots=empty_profile(requested_slot="partner_brand")
        )
        events = slots(validate(tracker, dispatcher))
        assert "partner_brand" not in events and "brand_registered" not in events


def test_a_question_not_placed_inside_the_questionnaire_is_answered_not_skipped(dispatcher):
    # `那联合运营怎么收`, torn between cost and how to start: the likelier reading is answered,
    # and the question asked is neither filled nor skipped
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "ask_cost", "confidence": 0.43},
               {"name": "ask_how_to_start", "confidence": 0.41}]
    tracker = make_tracker("nlu_fallback", ["amazon_coop"], text="那联合运营怎么收",
                           slots=empty_profile(requested_slot="goal"), ranking=ranking)
    events = slots(validate(tracker, dispatcher))
    assert "goal" not in events
    assert events["question_type"] == "ask_cost" and events["context_modes"] == ["amazon_coop"]
    assert [m["custom"]["id"] for m in dispatcher.messages] == ["coop_cost"]


def test_a_statement_not_placed_inside_the_questionnaire_is_still_skipped(dispatcher):
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "ask_cost", "confidence": 0.43}]
    tracker = make_tracker("nlu_fallback", ["amazon_coop"], text="联合运营 一般般",
                           slots=empty_profile(requested_slot="goal"), ranking=ranking)
    events = slots(validate(tracker, dispatcher))
    assert events["goal"] == UNKNOWN and "没能识别" in dispatcher.messages[0]["text"]


def test_why_in_the_middle_of_the_questions_says_why_this_one_is_asked(dispatcher):
    tracker = make_tracker(
        "ask_why", text="为什么要问年销售额", slots=empty_profile(requested_slot="annual_sales_usd")
    )
    ActionExplainRecommendation().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("还差几个问题就能给出推荐。问年销售额，")
    assert "联合运营主要适用于年销售额超100万美元的中大型跨境卖家" in text and "跳过" in text
