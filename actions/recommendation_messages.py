"""Recommendation, explanation and acknowledgement messages. Plain functions, no Rasa."""
from typing import Any, Dict, List

from actions.answer_messages import button
from actions.recommendation_engine import (
    UNKNOWN,
    Criteria,
    Recommendation,
    answered,
    condition_fields,
    display_value,
    questions_still_needed,
    reason_text,
)


STILL_OPEN = "还可能改变推荐的："


def profile_summary(profile: Dict[str, Any], criteria: Criteria) -> str:
    labels = criteria.labels["field"]
    parts = []
    for name, label in labels.items():
        value = profile.get(name)
        if value == UNKNOWN:
            parts.append(f"{label}：未知")
        elif answered(value):
            parts.append(f"{label}：{display_value(name, value, criteria)}")
    return "；".join(parts)


def acknowledgement(updates: Dict[str, Any], criteria: Criteria) -> str:
    """`已记录：日均订单：15；目标站点：美国站` for what a message filled or corrected."""
    skipped = [criteria.labels["field"][f] for f, v in updates.items() if v == UNKNOWN]
    known = {f: v for f, v in updates.items() if v != UNKNOWN}
    parts = []
    if known:
        parts.append("已记录：" + profile_summary(known, criteria))
    if skipped:
        parts.append("、".join(skipped) + "先跳过，之后想补充可以直接告诉我。")
    return "\n".join(parts)


def _reason_lines(reasons, profile, criteria) -> List[Dict[str, str]]:
    return [
        {"id": c.id, "text": reason_text(c, profile, criteria), "source": c.source} for c in reasons
    ]


def recommendation_message(
    recommendation: Recommendation, profile: Dict[str, Any], criteria: Criteria
) -> dict:
    mode, runner_up = recommendation.mode, recommendation.runner_up
    name, runner_name = criteria.modes[mode], criteria.modes[runner_up]
    scores = recommendation.scores
    reasons = _reason_lines(recommendation.reasons, profile, criteria)
    lines = [f"推荐模式：{name}"]
    if reasons:
        lines.append("理由：")
        lines += [f"{i}. {r['text']}（来源：{r['source']}）" for i, r in enumerate(reasons, 1)]
    else:
        lines.append("理由：您提供的情况里，没有哪一条资料中的条件明显支持其他模式，保持自主运营即可。")
    setbacks = _reason_lines(recommendation.runner_up_setbacks, profile, criteria)
    why_lost = "；".join(s["text"] for s in setbacks) or f"符合资料中条件的依据不如{name}多"
    lines.append(
        f"次选：{runner_name}（{scores[runner_up]}分，{name}{scores[mode]}分）——{why_lost}。"
    )
    lines.append(f"注意：{criteria.warnings[mode]}")
    # recommended before every question was asked (the seller had told enough)
    still_open = [criteria.labels["field"][f] for f in questions_still_needed(profile, criteria)]
    if still_open:
        lines.append(f"{STILL_OPEN}{'、'.join(still_open)}。告诉我，我会重新推荐。")
    step = criteria.next_steps[mode]
    lines.append(f"下一步：{step['title']}")
    return {
        "text": "\n".join(lines),
        "buttons": [
            button(step["title"], step["intent"], step["mode"]),
            button("为什么这样推荐？", "ask_why"),
            button("重新开始", "restart_recommendation"),
        ],
        "custom": {
            "type": "recommendation",
            "mode": mode,
            "mode_name": name,
            "scores": scores,
            "reasons": reasons,
            "runner_up": {
                "mode": runner_up,
                "mode_name": runner_name,
                "why_not": [s["text"] for s in setbacks],
            },
            "warning": criteria.warnings[mode],
            "still_open": still_open,
            "profile": {k: v for k, v in profile.items() if v is not None},
        },
    }


MAX_WHY_FACTS = 3


def why_asked_message(field_name: str, criteria: Criteria) -> dict:
    """Why the questionnaire asks for a field (`为什么要问年销售额`): the documents' facts behind
    the criteria that read it and favour a mode (each reason's part after `：`)."""
    facts: List[str] = []
    for criterion in criteria.criteria:
        favours = any(points > 0 for points in criterion.points.values())
        if favours and field_name in condition_fields(criterion.when) and "：" in criterion.reason:
            fact = criterion.reason.split("：", 1)[1]
            if "{" not in fact and fact not in facts:
                facts.append(fact)
    label = criteria.labels["field"][field_name].split("（")[0]
    lines = [f"还差几个问题就能给出推荐。问{label}，是为了对照资料里的条件："]
    lines += [f"· {fact}" for fact in facts[:MAX_WHY_FACTS]]
    lines.append("这些信息只用于这次推荐；不方便说可以回复“跳过”。")
    return {"text": "\n".join(lines)}


def explanation_message(custom: Dict[str, Any], criteria: Criteria) -> dict:
    """The reasoning of the last recommendation again, with every mode's score."""
    scores = custom["scores"]
    ranked = sorted(scores, key=lambda m: -scores[m])
    lines = [f"推荐{custom['mode_name']}的依据："]
    lines += [f"· {r['text']}（来源：{r['source']}）" for r in custom["reasons"]] or [
        "· 没有哪一条资料中的条件明显支持其他模式。"
    ]
    lines.append("各模式得分：" + "，".join(f"{criteria.modes[m]} {scores[m]}" for m in ranked))
    lines.append("您的情况：" + (profile_summary(custom["profile"], criteria) or "未提供"))
    lines.append("想改哪一项，直接告诉我新的情况即可（比如“改成欧洲站”），我会重新推荐。")
    return {"text": "\n".join(lines), "buttons": [button("重新开始", "restart_recommendation")]}
