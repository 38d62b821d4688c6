"""Recommendation through the REST channel: a seller answering in free text, repairs."""
import pytest

from tests.conftest import Seller, customs, texts

MAX_BOT_TURNS = 8

# How a seller would answer each question, keyed by a phrase of the bot's question.
PERSONAS = {
    "uae_newcomer": {
        "opening": "刚开店三个月，一天就十来单，没有海外团队，想做阿联酋站，我该选代运营还是联合营销？",
        "answers": {"品牌注册": "还没注册", "销售额": "一年也就十几万美金", "互补": "没有",
                    "预算": "不到1万刀", "目标": "先快速起量", "类目": "家居", "Seller Central": "Seller Central",
                    "代运营服务": "没有", "站点": "阿联酋", "日均": "十来单", "本地化": "没有"},
        "expected": "agency",
    },
    "vendor_brand": {
        "opening": "帮我推荐一下合作模式",
        "answers": {"日均": "一天两三百单", "本地化": "有美国团队", "品牌注册": "有R标",
                    "站点": "美国站", "销售额": "年销大概300w美金", "互补": "暂时没有",
                    "Seller Central": "我们是Vendor Central", "预算": "5万刀左右", "目标": "品牌建设",
                    "代运营服务": "没有", "类目": "消费电子"},
        "expected": "amazon_coop",
    },
    "agency_with_partner": {
        "opening": "我该怎么选？目前在用代运营，有个互补品牌想一起在黑五冲一波",
        "answers": {"日均": "三四十单", "本地化": "没有", "品牌注册": "已经注册了", "站点": "美国",
                    "销售额": "50万美元左右", "互补": "有", "Seller Central": "Seller Central",
                    "预算": "2万美元", "目标": "旺季冲GMV", "代运营服务": "在用", "类目": "母婴"},
        "expected": "agency+co_marketing",
    },
}


def answer_for(question: str, answers: dict) -> str:
    for key, answer in answers.items():
        if key in question:
            return answer
    return "跳过"


def run_interview(seller: Seller, persona: dict):
    """Returns (bot turns until the recommendation, the recommendation payload)."""
    messages = seller.say(persona["opening"])
    for turn in range(1, MAX_BOT_TURNS + 1):
        recommendations = customs(messages, "recommendation")
        if recommendations:
            return turn, recommendations[0], messages
        question = [m["text"] for m in messages if m.get("text")][-1]
        messages = seller.say(answer_for(question, persona["answers"]))
    return None, None, messages


@pytest.mark.parametrize("name", PERSONAS)
def test_free_text_answers_reach_the_expected_recommendation_within_8_turns(rasa_url, name):
    persona = PERSONAS[name]
    turns, recommendation, messages = run_interview(Seller(rasa_url), persona)
    assert recommendation, texts(messages)
    assert turns <= MAX_BOT_TURNS
    assert recommendation["mode"] == persona["expected"], recommendation
    text = texts(messages)
    assert text.startswith("推荐模式：") or "\n推荐模式：" in text or text.count("推荐模式：") == 1
    assert "来源：" in text and recommendation["reasons"]


def test_details_in_the_opening_are_not_asked_again(rasa_url):
    seller = Seller(rasa_url)
    messages = seller.say(PERSONAS["uae_newcomer"]["opening"])
    text = texts(messages)
    assert "已记录" in text and "日均订单" in text
    question = [m["text"] for m in messages if m.get("text")][-1]
    for already_said in ("日均", "本地化", "站点"):
        assert already_said not in question


def test_a_correction_an_faq_a_skip_and_a_restart_in_the_middle(rasa_url):
    seller = Seller(rasa_url)
    first_question = texts(seller.say("帮我推荐一下"))
    assert "？" in first_question
    # an FAQ in the middle is answered, then the form asks again
    messages = seller.say("代运营怎么收费")
    assert [a["id"] for a in customs(messages, "answer")] == ["agency_cost"]
    assert "？（不确定可以说“跳过”）" in texts(messages)
    # a skip moves on to another question
    asked = [m["text"] for m in messages if "跳过" in m.get("text", "")][-1]
    after_skip = [m["text"] for m in seller.say("跳过") if m.get("text")]
    assert after_skip[-1] != asked
    # a correction is acknowledged
    assert "美国站" in texts(seller.say("刚才说错了，是美国站"))
    # restart begins again
    assert "从头开始" in texts(seller.say("重新开始"))


def test_why_and_a_changed_answer_after_the_recommendation(rasa_url):
    seller = Seller(rasa_url)
    _, recommendation, _ = run_interview(seller, PERSONAS["uae_newcomer"])
    assert recommendation["mode"] == "agency"
    assert "推荐代运营的依据" in texts(seller.say("为什么？"))
    messages = seller.say("目标改成品牌建设，站点换成美国站")
    (new,) = customs(messages, "recommendation")
    assert new["profile"]["marketplaces"] == ["US"] and new["profile"]["goal"] == "brand_building"


def test_stopping_ends_the_questions_and_faq_still_works(rasa_url):
    seller = Seller(rasa_url)
    seller.say("帮我推荐")
    assert "先不推荐了" in texts(seller.say("不用了，先不推荐了"))
    assert [a["id"] for a in customs(seller.say("联合运营怎么收费"), "answer")] == ["coop_cost"]


def questionnaire_questions(domain):
    """The texts of the form's questions (domain.yml's utter_ask_* responses)."""
    return [variant["text"] for name, variants in domain["responses"].items()
            if name.startswith("utter_ask_") for variant in variants]


@pytest.mark.parametrize("text", ["嗯", "xyz abc", "好吧", "随便问问"])
def test_a_message_that_says_nothing_neither_starts_nor_stops_the_questions(rasa_url, domain, text):
    replies = texts(Seller(rasa_url).say(text))
    assert replies.strip(), text
    assert not any(q in replies for q in questionnaire_questions(domain)), replies
    assert "先不推荐了" not in replies


def test_details_stated_out_of_the_blue_start_the_questions_with_them_recorded(rasa_url, domain):
    replies = texts(Seller(rasa_url).say("我们日均五十单左右，主要做美国站"))
    assert "已记录：" in replies
    assert any(q in replies for q in questionnaire_questions(domain)), replies


def test_details_with_a_question_get_the_answer_and_a_later_recommendation_uses_them(
    rasa_url, domain
):
    seller = Seller(rasa_url)
    messages = seller.say("我们做宠物用品的，美国站SC，一天三十单左右，朋友说可以找代运营，这是啥意思")
    assert [a["id"] for a in customs(messages, "answer")] == ["agency_definition"]
    assert not any(q in texts(messages) for q in questionnaire_questions(domain))
    # the details were kept: the questionnaire does not ask them again
    question = [m["text"] for m in seller.say("那帮我推荐一下吧") if m.get("text")][-1]
    for already_said in ("日均", "站点", "Seller Central", "类目"):
        assert already_said not in question, question
