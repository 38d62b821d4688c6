"""Which channels are on, from environment variables: the one place for channel set-up.

Rasa reads channels from a credentials file and fails on an unset `${VAR}` in it, so the
file is written from the environment at start (`scripts/serve.sh`): a channel whose
variables are unset is simply left out.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional

from rasa_runtime.endpoints import write_private_yaml

REST = "channels.rest.ValidatingRestInput"
SOCKETIO = "channels.socketio.WidgetSocketIOInput"
SLACK = "channels.slack.SlackChannel"
WECHAT = "channels.wechat.WeChatInput"

SLACK_REQUIRED = ("SLACK_TOKEN", "SLACK_SIGNING_SECRET")
WECHAT_REQUIRED = ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_AES_KEY")


def _all_set(env: Mapping[str, str], names) -> bool:
    return all((env.get(name) or "").strip() for name in names)


def channel_credentials(env: Mapping[str, str]) -> Dict[str, Optional[dict]]:
    """Rasa credentials for every channel whose variables are set; REST and web always."""
    credentials: Dict[str, Optional[dict]] = {
        REST: None,
        SOCKETIO: {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            # the widget keeps its session id across page reloads
            "session_persistence": True,
        },
    }
    if _all_set(env, SLACK_REQUIRED):
        credentials[SLACK] = {
            "slack_token": env["SLACK_TOKEN"],
            "slack_signing_secret": env["SLACK_SIGNING_SECRET"],
            "slack_channel": env.get("SLACK_CHANNEL") or None,
            # tests point this at a fake Slack Web API on loopback
            "api_url": env.get("SLACK_API_URL") or None,
        }
    if _all_set(env, WECHAT_REQUIRED):
        credentials[WECHAT] = {
            "token": env["WECHAT_TOKEN"],
            "app_id": env["WECHAT_APP_ID"],
            "app_secret": env["WECHAT_APP_SECRET"],
            "aes_key": env["WECHAT_AES_KEY"],
            # tests point this at a fake WeChat API on loopback
            "api_url": env.get("WECHAT_API_URL") or None,
            # WeChat waits 5 s for a passive reply; later answers go through its message API
            "reply_timeout_s": float(env.get("WECHAT_REPLY_TIMEOUT_S") or 4.5),
        }
    return credentials


def enabled_channels(credentials: Mapping[str, Optional[dict]]) -> str:
    names = {REST: "rest", SOCKETIO: "socketio (web widget)", SLACK: "slack", WECHAT: "wechat"}
    return ", ".join(names[c] for c in credentials)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, required=True, help="credentials file to write")
    args = parser.parse_args(argv)
    credentials = channel_credentials(os.environ)
    write_private_yaml(args.write, credentials)
    print(f"channels on: {enabled_channels(credentials)}", file=sys.stderr)


if __name__ == "__main__":
    main()
