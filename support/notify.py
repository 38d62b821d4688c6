"""Tells the staff Slack channel about a new ticket (incoming webhook SLACK_STAFF_WEBHOOK_URL)."""
import logging
import threading
from typing import Dict, Optional

import requests

from support.urgency import category_label, urgency_label

logger = logging.getLogger(__name__)
TIMEOUT_S = 5
URGENCY_ICONS = {"urgent": "🔴", "high": "🟠", "normal": "🔵"}


def slack_escape(text: str) -> str:
    """Seller text is shown as text: no links, mentions (<!channel>) or formatting codes."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def new_ticket_message(ticket: Dict) -> Dict:
    icon = URGENCY_ICONS.get(ticket["urgency"], "")
    head = (f"{icon} 新工单 #{ticket['id']}（{urgency_label(ticket['urgency'])}·"
            f"{category_label(ticket['category'])}）")
    line = f"{ticket['summary']}\n渠道：{ticket['channel']} · 会话：{ticket['sender_id']}"
    return {
        "text": slack_escape(f"{head} {ticket['summary']}"),
        "blocks": [{"type": "section",
                    "text": {"type": "mrkdwn", "text": slack_escape(f"{head}\n{line}")}}],
    }


def post_new_ticket_to_slack(ticket: Dict, webhook_url: Optional[str]) -> bool:
    """Posts the ticket; True when Slack accepted it. Errors are logged, never raised: the
    seller's handoff must not fail because Slack is down. The URL is a secret: never logged."""
    if not webhook_url:
        return False
    try:
        response = requests.post(webhook_url, json=new_ticket_message(ticket), timeout=TIMEOUT_S)
        if response.status_code >= 400:
            logger.warning("staff Slack webhook answered %s for ticket %s",
                           response.status_code, ticket.get("id"))
            return False
        return True
    except requests.RequestException as error:
        logger.warning("staff Slack webhook failed for ticket %s: %s",
                       ticket.get("id"), type(error).__name__)
        return False


def post_in_background(ticket: Dict, webhook_url: Optional[str]) -> Optional[threading.Thread]:
    """Same, on a thread, so the action answers the seller without waiting for Slack."""
    if not webhook_url:
        return None
    thread = threading.Thread(target=post_new_ticket_to_slack, args=(ticket, webhook_url),
                              name=f"slack-ticket-{ticket.get('id')}", daemon=True)
    thread.start()
    return thread
