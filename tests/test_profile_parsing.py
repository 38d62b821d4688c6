"""Free-text answers → profile fields: numbers, ranges, slang, yes/no, skips, marketplaces."""
import pytest

from actions.profile_parsing import CNY_PER_USD, PER_USD, extract_profile
from actions.recommendation_engine import UNKNOWN


def parse(text, requested=None, entities=()):
    return extract_profile(text, list(entities), requested)


@pytest.mark.parametrize(
    "text, requested, expected",
    [
        ("十几单", "daily_orders", 15),
        ("二三十单", "daily_orders", 25),
        ("十来单", "daily_orders", 10),
        ("一百多单", "daily_orders", 150),
        ("20-30单", "daily_orders", 25),
        ("日均50到100单", None, 75),
        ("一天50单左右", None, 50),
        ("50", "daily_orders", 50),
        ("一个月300单", None, 10),
    ],
)
def test_daily_orders(text, requested, expected):
    assert parse(text, requested)["daily_orders"] == expected


@pytest.mark.parametrize(
    "text, requested, field, expected",
    [
        ("年销一百万美元", None, "annual_sales_usd", 1_000_000),
        ("300w", "annual_sales_usd", "annual_sales_usd", 3_000_000),
        ("300w", None, "annual_sales_usd", 3_000_000),
        ("年销50万到100万美元", None, "annual_sales_usd", 750_000),
        ("月销5万美元", None, "annual_sales_usd", 600_000),
        ("年销售额大概两百万", None, "annual_sales_usd", 2_000_000),
        ("5万刀", "budget_usd", "budget_usd", 50_000),
        ("$50k预算", None, "budget_usd", 50_000),
        ("5万刀的预算", None, "budget_usd", 50_000),
        ("预算3万到8万美元", None, "budget_usd", 55_000),
    ],
)
def test_money_amounts(text, requested, field, expected):
    assert parse(text, requested)[field] == expected


def test_renminbi_is_converted_to_dollars():
    assert parse("年销售额720万人民币")["annual_sales_usd"] == round(7_200_000 / CNY_PER_USD)
    # 块人民币 is one currency: the 人 after 块 is no head count (`运营团队20人`)
    assert parse("预算一万块人民币左右")["budget_usd"] == round(10_000 / CNY_PER_USD)


def test_a_way_of_cooperating_is_no_partner_brand():
    assert "partner_brand" not in parse("刚入驻亚马逊 不知道该选哪种合作方式 帮我推荐下")
    assert parse("有个合作方想一起做套装")["partner_brand"] is True


def test_a_brand_coming_to_the_seller_is_a_partner_brand():
    assert parse("已经有个做健身器材的品牌想跟我们合作")["partner_brand"] is True
    assert "partner_brand" not in parse("我们品牌跟我们自己的店铺都在美国")


def test_several_answers_in_one_message():
    profile = parse("日均80单，年销200万美元，预算3万刀，有R标，用的Vendor Central，旺季想冲GMV")
    assert profile == {
        "daily_orders": 80,
        "annual_sales_usd": 2_000_000,
        "budget_usd": 30_000,
        "brand_registered": True,
        "account_type": "vendor_central",
        "goal": "peak_season",
    }


@pytest.mark.parametrize(
    "text, sales, budget",
    [
        # 今年 before the budget amount is no sales word when 预算 follows it
        ("年销售额大概300万美元，运营团队20人，今年有50万美金市场预算", 3_000_000, 500_000),
        ("年销300万刀 预算5万刀", 3_000_000, 50_000),
        ("年销300万刀，预算5万刀", 3_000_000, 50_000),
        ("去年卖了120万刀 一年20万刀广告费", 1_200_000, 200_000),
    ],
)
def test_sales_and_budget_in_one_message_stay_apart(text, sales, budget):
    profile = parse(text)
    assert (profile["annual_sales_usd"], profile["budget_usd"]) == (sales, budget)


def test_the_opening_message_of_a_new_seller():
    entities = [{"entity": "marketplace", "value": "AE"}]
    profile = parse("刚开店三个月，一天就十来单，没有海外团队，想做阿联酋站", entities=entities)
    assert profile == {"daily_orders": 10, "local_team": False, "new_seller": True, "marketplaces": ["AE"]}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("有R标，没有海外团队", {"brand_registered": True, "local_team": False}),
        ("有R标但是没有团队", {"brand_registered": True, "local_team": False}),
        ("品牌注册还没做", {"brand_registered": False}),
        ("目前在用代运营，有个互补品牌在谈", {"agency_in_use": True, "partner_brand": True}),
        ("没用过代运营", {"agency_in_use": False}),
    ],
)
def test_yes_and_no_next_to_their_subject(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, requested, expected",
    [("有", "local_team", True), ("有的", "partner_brand", True), ("没有", "partner_brand", False),
     ("还没", "brand_registered", False), ("是的", "agency_in_use", True)],
)
def test_bare_yes_no_answers_the_requested_question(text, requested, expected):
    assert parse(text, requested) == {requested: expected}


@pytest.mark.parametrize("text", ["不清楚", "跳过", "不知道诶", "这个不方便说"])
def test_skipping_marks_the_requested_field_unknown(text):
    assert parse(text, "budget_usd") == {"budget_usd": UNKNOWN}


@pytest.mark.parametrize(
    "text, expected",
    [("用的是Vendor Central", "vendor_central"), ("我们是VC账号", "vendor_central"),
     ("Seller Central", "seller_central"), ("第三方卖家", "seller_central")],
)
def test_account_type(text, expected):
    assert parse(text)["account_type"] == expected


@pytest.mark.parametrize(
    "text, expected",
    [("想快速起量", "fast_growth"), ("主要是做品牌", "brand_building"), ("扩大用户群", "audience_expansion"),
     ("旺季冲GMV", "peak_season"), ("准备多站点拓展", "multi_site"), ("Q4黑五冲一波", "peak_season"),
     ("主要想提高客单价", "order_value"), ("客单价能做高一点就行", "order_value")],
)
def test_goals(text, expected):
    assert parse(text)["goal"] == expected


def test_seller_stage():
    assert parse("新手卖家")["new_seller"] is True
    assert parse("开店两年了")["new_seller"] is False
    assert parse("开店8个月")["new_seller"] is True


def test_category_answer_without_a_known_category_is_other():
    assert parse("做服装的", "category") == {"category": "other"}
    assert parse("母婴", "category", [{"entity": "category", "value": "baby"}]) == {"category": "baby"}


def test_a_correction_states_the_new_value():
    entities = [{"entity": "marketplace", "value": "US"}]
    assert parse("刚才说错了，是美国站", "budget_usd", entities) == {"marketplaces": ["US"]}


def test_durations_and_counts_are_not_amounts():
    assert "annual_sales_usd" not in parse("开店3个月了，做了2款产品")


@pytest.mark.parametrize(
    "text, expected",
    [("大概一天三十来单", 30), ("一天也就七八单", 7.5), ("日均两三百单", 250), ("每天几十单吧", 30),
     ("一天一两单", 1.5), ("没几单，刚起步", 5), ("100+", 100)],
)
def test_approximate_order_counts(text, expected):
    assert parse(text, "daily_orders")["daily_orders"] == expected


@pytest.mark.parametrize(
    "text, requested, field, expected",
    [("一年200多万美金", None, "annual_sales_usd", 2_500_000),
     ("预算不多，一两万美金", "budget_usd", "budget_usd", 15_000),
     ("没有预算", "budget_usd", "budget_usd", 0)],
)
def test_approximate_and_absent_amounts(text, requested, field, expected):
    assert parse(text, requested)[field] == expected


@pytest.mark.parametrize(
    "text, requested, expected",
    [("团队都在国内", "local_team", {"local_team": False}), ("就我自己", "local_team", {"local_team": False}),
     ("有几个人在美国", "local_team", {"local_team": True}), ("只有TM标", "brand_registered", {"brand_registered": False}),
     ("有一个做猫粮的朋友品牌", "partner_brand", {"partner_brand": True})],
)
def test_phrases_that_settle_a_yes_no_question(text, requested, expected):
    assert parse(text, requested) == expected


@pytest.mark.parametrize(
    "text, field, expected",
    [("普通卖家账号", "account_type", "seller_central"), ("打品牌", "goal", "brand_building"),
     ("想多开几个国家", "goal", "multi_site")],
)
def test_more_wordings_of_account_and_goal(text, field, expected):
    assert parse(text)[field] == expected


@pytest.mark.parametrize(
    "text, field, expected",
    [
        ("去年卖了两百来万美金", "annual_sales_usd", 2_000_000),
        ("一年一百来万人民币", "annual_sales_usd", round(1_000_000 / CNY_PER_USD)),
        ("年销三千来万", "annual_sales_usd", 30_000_000),
    ],
)
def test_approximate_millions(text, field, expected):
    assert parse(text)[field] == expected


@pytest.mark.parametrize(
    "text",
    ["服务商每月收我八千块", "他们要押金三千刀", "提成收百分之十，月费五千"],
)
def test_fees_paid_to_a_provider_are_not_sales_or_budget(text):
    profile = parse(text)
    assert "annual_sales_usd" not in profile and "budget_usd" not in profile


@pytest.mark.parametrize(
    "text, expected",
    [
        ("品牌有注册", True),
        ("自家品牌 已经备案了", True),
        ("品牌还没注册", False),
        ("没注册品牌", False),
        ("品牌有註冊", True),  # traditional
        ("冇註冊品牌", False),  # Cantonese
        ("美国站 没团队 品牌有注册", True),  # a space ends the clause of 没团队
    ],
)
def test_brand_registration_wordings(text, expected):
    assert parse(text)["brand_registered"] is expected


@pytest.mark.parametrize(
    "text", ["就我跟我老婆两个人", "我们就三个人", "得兩個人", "夫妻店"]
)
def test_a_tiny_team_has_no_local_team(text):
    assert parse(text)["local_team"] is False


@pytest.mark.parametrize(
    "text, requested",
    [
        ("有咩要注意", "partner_brand"),
        ("Transparency到底是干嘛的", "brand_registered"),
        ("什么是R标", "brand_registered"),
        ("有什么要求吗", "local_team"),
    ],
)
def test_a_question_answers_nothing(text, requested):
    assert parse(text, requested) == {}


def test_a_short_no_ending_in_a_particle_is_still_no():
    assert parse("还没呢", "brand_registered") == {"brand_registered": False}


@pytest.mark.parametrize(
    "text, field, expected",
    [
        ("一年卖了大概三十来w吧人民币", "annual_sales_usd", round(300_000 / CNY_PER_USD)),
        ("年营收大概台币两千万", "annual_sales_usd", round(20_000_000 / PER_USD["twd"])),
        ("年销大概80w欧", "annual_sales_usd", round(800_000 / PER_USD["eur"])),
        ("预算每季度两万英镑", "budget_usd", round(20_000 / PER_USD["gbp"])),
        ("预算30万日圆", "budget_usd", round(300_000 / PER_USD["jpy"])),
        ("年销1.2个m刀", "annual_sales_usd", 1_200_000),
    ],
)
def test_other_currencies_and_loose_wording(text, field, expected):
    assert parse(text)[field] == expected


def test_an_order_figure_next_to_the_word_year_is_not_a_duration():
    profile = parse("SC 日单100 年销500w人民币")
    assert profile["daily_orders"] == 100
    assert profile["annual_sales_usd"] == round(5_000_000 / CNY_PER_USD)


def test_a_profile_in_a_list_with_enumeration_commas():
    profile = parse("SC、日单大概80、有品牌注册、没有日本团队、没有合作品牌、目前没用代运营、目标是扩大日本市占")
    assert profile == {
        "daily_orders": 80, "brand_registered": True, "local_team": False, "partner_brand": False,
        "agency_in_use": False, "account_type": "seller_central", "goal": "audience_expansion",
    }


@pytest.mark.parametrize(
    "text, expected",
    [("有品牌，没团队", True), ("没品牌 也没海外团队", False), ("有BR", True), ("自有品牌", True)],
)
def test_having_a_brand_is_read_as_brand_registry(text, expected):
    assert parse(text)["brand_registered"] is expected


@pytest.mark.parametrize(
    "text, expected",
    [("我们是SC 对方是VC 有影响吗", "seller_central"), ("其实我们是VC 不是SC", "vendor_central")],
)
def test_the_sellers_own_account_type_wins(text, expected):
    assert parse(text)["account_type"] == expected


def test_a_skip_phrase_skips_the_field_it_names_and_not_the_question_asked():
    assert parse("SC吧 销售额不方便透露", "brand_registered") == {
        "account_type": "seller_central", "annual_sales_usd": UNKNOWN
    }
    profile = parse("没品牌 也没海外团队 预算一个月一万块左右 其他不知道", "brand_registered")
    assert profile["brand_registered"] is False and UNKNOWN not in profile.values()


def test_orders_given_for_the_sales_question_are_not_sales():
    profile = parse("日单嘛 看季节 淡季十几单 旺季一两百", "annual_sales_usd")
    assert profile == {"daily_orders": 15}


def test_a_profile_in_english():
    assert parse("we're SC, annual 6M USD, ~200 orders/day, we have BR, own US team") == {
        "annual_sales_usd": 6_000_000, "daily_orders": 200, "brand_registered": True,
        "local_team": True, "account_type": "seller_central",
    }
    assert parse("budget around 50k usd per campaign, no local team") == {
        "budget_usd": 50_000, "local_team": False
    }
