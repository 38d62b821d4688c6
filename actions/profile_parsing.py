"""Seller profile from free-text Chinese answers. Plain functions, tested without Rasa.

cn2an converts Chinese numerals; approximate amounts (`十几单`, `二三十单`, `一百多万`),
unit suffixes (`5万刀`, `300w`, `50k`) and clause-level negation (`有R标，没有海外团队`) have
no library for Chinese, so they are handled here.
"""
import re
import warnings
from typing import Any, Dict, List, Optional

import cn2an

from actions.recommendation_engine import UNKNOWN
from components.text_normalization import is_question, to_simplified

CNY_PER_USD = 7.2

# Cantonese negations the keyword rules below read in Mandarin (冇註冊品牌, 唔想); OpenCC converts
# script, not dialect words.
_CANTONESE = {"冇": "没", "唔": "不"}
_SKIP = re.compile(r"不清楚|不知道|跳过|不确定|不方便|不想说|不想透露|不透露|说不好|不好说|没想好|保密|pass|skip",
                   re.I)
# What a skip phrase in the same clause is about (`销售额不方便透露` skips the sales question).
_SKIPPED_FIELD_WORDS = {
    "annual_sales_usd": r"销售额|年销|营收|营业额|流水|gmv",
    "budget_usd": r"预算|推广费|广告费",
    "daily_orders": r"单量|日单|订单|出单",
    "marketplaces": r"站点",
    "category": r"类目|品类",
}
_CLAUSE_SPLIT = re.compile(r"[，,、。；;！!？?\n]|但是|但|不过|而且|并且|另外|同时")
_NEGATION = re.compile(r"没有|没|无|未|不是|暂无|不")
# A short reply to a yes/no question, read by how it starts: 还没注册 / 没呢 / 有的 / 已经在用.
_SHORT_REPLY_CHARS = 10
_YES = re.compile(r"^(有|是|对|嗯|已|在用|用了|注册了|做了|yes(?![a-z])|y$)", re.I)
_NO = re.compile(r"^(还没|没|无|未|不是|不用|否|暂时没|no(?![a-z])|n$)", re.I)
YES_NO_FIELDS = ("brand_registered", "local_team", "partner_brand", "agency_in_use")
_NO_BUDGET = re.compile(r"没(有)?预算|没钱|预算为?零")

_BOOLEAN_KEYWORDS = {
    # 品牌有注册, 品牌还没注册, 自己品牌 已经备案了, 没注册品牌: a negation inside counts too
    "brand_registered": r"品牌.{0,3}?(注册|备案)|(注册|备案)了?的?品牌|备案|brand\s*registry|(?<![a-z])br(?![a-z])|R标|商标"
                        r"|transparency|透明计划",
    "local_team": r"本地化团队|本地团队|海外团队|当地团队|本土团队|运营团队|自己的团队|团队",
    # 合作方 is a partner; 合作方式 / 合作方案 (`不知道该选哪种合作方式`) are not
    # 有个做健身器材的品牌想跟我们合作: a brand coming to the seller
    "partner_brand": r"互补品牌|合作的?品牌|品牌伙伴|合作伙伴|伙伴|合作方(?![式案向面])|别的品牌|其他品牌|朋友的?品牌"
                     r"|兄弟品牌|(?<!我们)(?<!自己)(?<!自有)品牌[^，,。]{0,4}(找|跟|和|与)我们",
}
# Phrases that settle a yes/no field by themselves (checked before the keywords above).
_SETTLED = [
    ("local_team", False, r"就我自己|就我一个|一个人做|只有我|团队都在国内|国内团队|没人在(海外|国外|当地)"
                          r"|(就|只有|只|得)我?们?(两|三|俩|仨|2|3)个?人|就我(跟|和).{0,6}(两|俩|2)个?人"
                          r"|夫妻店|两口子"),
    ("local_team", True, r"人在(美国|海外|国外|当地|欧洲|日本)|(美国|海外|国外|当地|欧洲|日本)有(人|团队)"
                         r"|(?<!no )(own|local|in-house)\s+(\w+\s+)?team"),
    ("local_team", False, r"\b(no|without)\s+(\w+\s+)?team"),
    ("brand_registered", False, r"(?<![a-z])tm标|还在(申请|注册)|(没|无)有?(自己的|自有|自己)?品牌(?!注册|备案)"),
    # `有品牌` in a seller's profile means a registered brand of their own
    ("brand_registered", True, r"(?<![没无])有(自己的|自有|自己)?品牌(?!注册|备案)|自有品牌|自主品牌"),
]
# A keyword asked about (`Transparency是干嘛的`, `什么是R标`) states nothing.
_ASKED_AFTER = re.compile(r"^.{0,3}(是什么|是啥|是干|干嘛|干啥|什么意思|有什么用|有啥用|要吗|需要吗|必须)")
_ASKED_BEFORE = re.compile(r"(什么是|啥是|什么叫)\s*$")
_AGENCY_IN_USE = re.compile(
    r"(在用|用着|正在用|已经用|目前用|现在用|有在用|找了|请了|签了|交给|托管给)[^，,。]{0,4}(代运营|服务商|托管)"
)
_AGENCY_NOT_USED = re.compile(r"(没用过|没有用|没在用|没用|没找|没有找|不用|没请|没有?)[^，,、。\s]{0,4}(代运营|服务商|托管)")
_NEW_SELLER = re.compile(r"新手|新卖家|刚开店|刚起步|刚入驻|刚做|刚开始做")
_STORE_AGE_MONTHS = re.compile(r"开店\s*(\d+(?:\.\d+)?)\s*个?月|(\d+(?:\.\d+)?)\s*个月(?:的店|前开)")
_EXPERIENCED = re.compile(r"老卖家|做了\s*\d+\s*年|开店\s*\d+\s*年")
_ACCOUNT = [
    (re.compile(r"vendor\s*central|(?<![a-z])vc(?![a-z])|供应商", re.I), "vendor_central"),
    (re.compile(r"seller\s*central|(?<![a-z])sc(?![a-z])|卖家中心|第三方卖家|普通卖家|卖家账号|个人卖家|企业卖家", re.I), "seller_central"),
]
_GOALS = [
    ("multi_site", r"多站点|多个站点|开新站|拓展站点|扩展站点|多国|铺站点|多开|几个国家|多个国家|更多国家"
                   r"|新市场|拓展市场|拓市场|开拓市场"),
    # 旺季 followed by a figure (`淡季十几单 旺季一两百`) describes orders, not a goal
    ("peak_season", r"旺季(?!\s*[\d一二两三四五六七八九十几])|q4|黑五|网一|冲gmv|大促|prime\s*day|会员日"),
    ("audience_expansion", r"扩大用户|新客|用户群|拉新|扩大受众|人群|市占|市场份额|扩大市场"),
    ("brand_building", r"品牌建设|做品牌|打品牌|品牌化|品牌影响|品牌认知|品牌力|长期品牌"),
    ("fast_growth", r"快速起量|起量|冲量|冲销量|出单|走量|快速增长|做销量"),
    # a raised order value is a goal; 客单价 alone is often what a question asks about
    ("order_value", r"(提高|提升|拉高|拉升|做高|抬高|拉|提|做|冲).{0,3}客单价|客单价.{0,3}(提高|提升|拉高|做高|上去|上来|高一点)"
                    r"|\baov\b|average order value"),
]

# amounts: a number (arabic after cn2an) with an optional multiplier and currency
_NUMBER = r"(\d+(?:\.\d+)?)"
_MULTIPLIER = {"万": 1e4, "w": 1e4, "W": 1e4, "千": 1e3, "k": 1e3, "K": 1e3, "百万": 1e6, "m": 1e6, "M": 1e6, "亿": 1e8}
_UNIT = r"(百万|万|千|亿|[wWkKmM](?![a-zA-Z]))"
# Currencies sellers quote, longest names first (日元 and 港元 before 元); amounts without one
# are taken as dollars.
_CURRENCIES = [
    ("jpy", r"日元|日圆|日币|円|jpy"),
    ("twd", r"新台币|台币|twd|ntd"),
    ("hkd", r"港币|港元|hkd"),
    ("eur", r"欧元|欧(?!洲)|eur|€"),
    ("gbp", r"英镑|镑|gbp|£"),
    ("usd", r"美元|美金|刀|usd|dollars?|\$"),
    ("cny", r"块人民币|元人民币|块钱|人民币|rmb|cny|元|块|¥|￥"),  # 一万块人民币: 人 is no head count
]
# Units per US dollar: fixed, since the recommendation needs the scale, not the day's rate (the
# acknowledgement shows the converted figure, `年销售额（美元）：138,889`).
PER_USD = {"usd": 1.0, "cny": CNY_PER_USD, "eur": 0.92, "gbp": 0.79, "jpy": 150.0, "twd": 32.0,
           "hkd": 7.8}
_CURRENCY = "|".join(pattern for _, pattern in _CURRENCIES)
_AMOUNT = re.compile(
    _NUMBER + r"\s*(多)?\s*" + _UNIT + r"?\s*(?:(?:-|~|～|到|至)\s*" + _NUMBER + r"\s*" + _UNIT + r"?)?"
    r"\s*(多|\+)?(?:\s*(?:吧|左右|上下)?\s*(" + _CURRENCY + r"))?",  # 三十来w吧人民币
    re.I,
)
_CURRENCY_BEFORE = re.compile(r"(" + _CURRENCY + r")\s*(?:大概|大约|约)?\s*$", re.I)  # 台币两千万, $50k


def _currency_code(name: str) -> str:
    return next(code for code, pattern in _CURRENCIES if re.fullmatch(pattern, name, re.I))


_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PLACES = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_D = "[一二两三四五六七八九]"


def _number(value: float) -> str:
    return f"{value:g}"


def _approximate(match: re.Match) -> str:
    """十几 → 15, 三十来 → 30, 七八 → 7.5, 两三百 → 250, 一两万 → 15000."""
    first, second, place, suffix = match.group(1), match.group(2), match.group(3), match.group(4)
    scale = _PLACES.get(place, 1)
    if second:  # two neighbouring digits: the middle of the range
        return _number((_DIGITS[first] + _DIGITS[second]) / 2 * scale)
    base = (_DIGITS[first] if first else 1) * scale
    return _number(base + scale / 2 if suffix == "几" else base)


def _arabic(text: str) -> str:
    """Chinese numerals → digits; approximate amounts → a representative number."""
    text = re.sub(r"没几单|没什么单|零星几单|个位数的?单?", "5单", text)
    text = re.sub(r"(?<=[\d一二两三四五六七八九十])个(?=[mMwWkK万亿]|百万)", "", text)  # 1.2个m
    text = re.sub(r"几([十百千万])", lambda m: _number(3 * _PLACES[m.group(1)]), text)
    # X十几 / X十来 / 十几, and neighbouring digits (七八, 两三百, 一两万)
    text = re.sub(rf"({_D})?()(十)(几|来)", _approximate, text)
    text = re.sub(r"([百千])来(?=[万亿])", r"\1", text)  # 两百来万 → 两百万
    text = re.sub(rf"({_D})({_D})([十百千万])?()", _approximate, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cn2an.transform(text, "cn2an")


def _amounts(text: str) -> List[dict]:
    found = []
    for m in _AMOUNT.finditer(text):
        first, more_before_unit, first_unit, second, second_unit, more, currency = m.groups()
        more = more_before_unit or (more if more == "多" else None)
        multiplier = _MULTIPLIER.get(second_unit or first_unit or "", 1)
        low = float(first) * _MULTIPLIER.get(first_unit or "", multiplier)
        value = (low + float(second) * multiplier) / 2 if second else low
        if more:  # 一百多 / 50多: halfway into the next place value
            value += multiplier * (10 ** (len(first.split(".")[0]) - 1)) / 2
        before = _CURRENCY_BEFORE.search(text[max(0, m.start() - 6): m.start()])
        currency = currency or (before.group(1) if before else None)
        end = m.start() + len(m.group().rstrip())  # `日单100 年销…`: 年 is the next word's
        found.append({"value": value, "start": m.start(), "end": end,
                      "currency": _currency_code(currency) if currency else None,
                      "multiplied": bool(first_unit or second_unit), "unit_after": text[end: end + 2]})
    return found


def _to_usd(amount: dict) -> float:
    code = amount["currency"]
    return round(amount["value"] / PER_USD[code]) if code and code != "usd" else amount["value"]


def _context(text: str, amount: dict, pattern: str, before: int = 6, after: int = 0) -> bool:
    """Whether a keyword stands just before (or, if `after`, just after) the amount."""
    window = text[max(0, amount["start"] - before): amount["start"]]
    window += text[amount["end"]: amount["end"] + after]
    return bool(re.search(pattern, window, re.I))


_DAILY = r"日均|一天|每天|每日|日单|天"
_ORDERS_AFTER = re.compile(r"\s*(单|orders?\b)", re.I)  # 20单, 200 orders/day
_MONTHLY = r"月均|每月|个月|月单|月出|月销|月销售|月营收|月gmv"
_BUDGET = r"预算|投入|推广费|广告费|能花|花费|budget"
# A budget word straight after the amount (`5万刀的预算`, `50万美金市场预算`); not after a comma,
# where it starts the next fact (`年销300万刀，预算5万刀`).
_BUDGET_AFTER = re.compile(r"的?(市场|推广|广告|营销)?(预算|推广费|广告费)")
# What the seller pays a provider (`每月收我八千块`, `押金三千刀`) is not sales or budget.
_FEE = r"收我|收了|收取|收费|服务费|月费|年费|提成|佣金|押金|抽成|要价|报价"
# No seller sells less than this a year; a smaller "sales" figure is a misread.
_MIN_ANNUAL_SALES_USD = 1000
_ANNUAL = r"年销|年销售|一年|1年|每年|全年|去年|今年|年营收|年gmv|销售额|营收|gmv|流水|卖了|annual|revenue|sales"


def parse_numbers(text: str, requested: Optional[str]) -> Dict[str, float]:
    """daily_orders, annual_sales_usd, budget_usd from amounts and the words around them."""
    result: Dict[str, float] = {}
    for amount in _amounts(text):
        if re.match(r"[天月年周日号次个款家人岁点%]", amount["unit_after"]):
            continue  # a duration, count of things or percentage, not an amount
        if _context(text, amount, _FEE, before=6):
            continue
        is_orders = bool(_ORDERS_AFTER.match(text, amount["end"]))
        if is_orders or _context(text, amount, _DAILY, before=4):
            monthly = _context(text, amount, _MONTHLY, before=4) and not _context(text, amount, _DAILY, before=4)
            result["daily_orders"] = round(amount["value"] / 30, 1) if monthly else amount["value"]
        elif _context(text, amount, _BUDGET, before=6) or _BUDGET_AFTER.match(text, amount["end"]):
            # `今年有50万美金市场预算`: the budget word right after outweighs 今年 before
            result["budget_usd"] = _to_usd(amount)
        elif _context(text, amount, _MONTHLY, before=6):
            result["annual_sales_usd"] = _to_usd(amount) * 12
        elif _context(text, amount, _ANNUAL, before=8):
            result["annual_sales_usd"] = _to_usd(amount)
        elif _context(text, amount, r"budget", before=16):  # budget around 50k usd
            result["budget_usd"] = _to_usd(amount)
        elif requested in ("daily_orders", "annual_sales_usd", "budget_usd"):
            result[requested] = amount["value"] if requested == "daily_orders" else _to_usd(amount)
        elif amount["currency"] or amount["multiplied"]:
            # a money amount with no context word: most often the sales scale
            result.setdefault("annual_sales_usd", _to_usd(amount))
    if result.get("annual_sales_usd", _MIN_ANNUAL_SALES_USD) < _MIN_ANNUAL_SALES_USD:
        del result["annual_sales_usd"]  # `旺季一两百` answering the sales question is orders
    return result


def parse_booleans(text: str, requested: Optional[str]) -> Dict[str, bool]:
    result: Dict[str, bool] = {}
    for field_name, value, pattern in _SETTLED:
        if field_name not in result and re.search(pattern, text, re.I):
            result[field_name] = value
    settled = set(result)
    for clause in _CLAUSE_SPLIT.split(text):
        for field_name, keywords in _BOOLEAN_KEYWORDS.items():
            if field_name in settled:
                continue
            for m in re.finditer(keywords, clause, re.I):
                # sellers separate clauses with spaces too (`没团队 品牌有注册`)
                before = re.split(r"\s", clause[max(0, m.start() - 6): m.start()])[-1]
                after = re.split(r"\s", clause[m.end(): m.end() + 4])[0]
                if _ASKED_AFTER.search(clause[m.end():]) or _ASKED_BEFORE.search(before):
                    continue
                result[field_name] = not _NEGATION.search(before + m.group() + after)
                break
    if _AGENCY_NOT_USED.search(text):
        result["agency_in_use"] = False
    elif _AGENCY_IN_USE.search(text):
        result["agency_in_use"] = True
    if requested in YES_NO_FIELDS and requested not in result:
        reply = text.strip()
        if len(reply) <= _SHORT_REPLY_CHARS:
            if _NO.match(reply):  # `没呢` is a no, not a question
                result[requested] = False
            elif _YES.match(reply) and not is_question(reply):  # `有咩要注意` is a question
                result[requested] = True
    return result


def _skipped_fields(text: str) -> List[str]:
    """Fields a skip phrase names in its clause: `销售额不方便透露`, `预算不想说`."""
    fields = []
    # clauses, then the space-separated parts of each (`SC吧 销售额不方便透露`)
    for clause in (part for sentence in _CLAUSE_SPLIT.split(text) for part in sentence.split()):
        if _SKIP.search(clause):
            fields += [f for f, words in _SKIPPED_FIELD_WORDS.items() if re.search(words, clause, re.I)]
    return fields


def parse_seller_stage(text: str) -> Optional[bool]:
    """True for a new seller (新手, 刚开店, 开店三个月), False for an experienced one."""
    months = _STORE_AGE_MONTHS.search(text)
    if months:
        return float(months.group(1) or months.group(2)) < 12
    if _EXPERIENCED.search(text):
        return False
    return True if _NEW_SELLER.search(text) else None


def parse_account_type(text: str) -> Optional[str]:
    """The seller's own account type; `我们是SC 对方是VC` is SC."""
    found = sorted((m.start(), value) for pattern, value in _ACCOUNT for m in pattern.finditer(text))
    own = [value for start, value in found if "我" in text[max(0, start - 4): start]]
    return (own or [value for _, value in found] or [None])[0]


def parse_goal(text: str) -> Optional[str]:
    hits = [(m.start(), goal) for goal, p in _GOALS for m in [re.search(p, text, re.I)] if m]
    return min(hits)[1] if hits else None


def extract_profile(
    text: str, entities: List[Dict[str, Any]], requested: Optional[str] = None
) -> Dict[str, Any]:
    """Every profile field the message states; the requested one is UNKNOWN when skipped.

    `entities` are the NLU's dictionary entities (marketplace, category)."""
    text = to_simplified(text or "")
    for cantonese, mandarin in _CANTONESE.items():
        text = text.replace(cantonese, mandarin)
    normalized = _arabic(text)
    profile: Dict[str, Any] = {}
    marketplaces = []
    for entity in entities:
        if entity.get("entity") == "marketplace" and entity.get("value") not in marketplaces:
            marketplaces.append(entity["value"])
    if marketplaces:
        profile["marketplaces"] = marketplaces
    categories = [e["value"] for e in entities if e.get("entity") == "category"]
    if categories:
        profile["category"] = categories[0]
    profile.update(parse_numbers(normalized, requested))
    if _NO_BUDGET.search(text):
        profile["budget_usd"] = 0
    profile.update(parse_booleans(text, requested))
    stage = parse_seller_stage(normalized)
    if stage is not None:
        profile["new_seller"] = stage
    account = parse_account_type(text)
    if account:
        profile["account_type"] = account
    goal = parse_goal(text)
    if goal:
        profile["goal"] = goal
    skipped = _skipped_fields(text)
    profile.update({f: UNKNOWN for f in skipped if f not in profile})
    if requested and requested not in profile and _SKIP.search(text) and not profile:
        return {requested: UNKNOWN}  # `不清楚`; in `没品牌 其他不知道` it is about the rest
    if requested == "category" and "category" not in profile and text.strip():
        profile["category"] = "other"
    return profile
