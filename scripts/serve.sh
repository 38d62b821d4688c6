#!/usr/bin/env bash
# Serves the action server (:5055) and the web app (:8080) in the background and Rasa (:5005)
# in the foreground; Ctrl-C or the end of Rasa stops all three.
# Channels are switched on by environment variables, read from `.env` when it exists.
# The support desk's database (DATABASE_URL, default sqlite support.db) is migrated first.
# Rasa's HTTP API is on, behind RASA_API_TOKEN (generated when unset, never printed): the
# staff console uses it to send replies and to hand the conversation back to the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -f .env ]; then set -a; . ./.env; set +a; fi
MODEL=${MODEL:-models/faq.tar.gz}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
RASA_PORT=${RASA_PORT:-5005}
CREDENTIALS=${CREDENTIALS:-.run/credentials.yml}
export RASA_PORT
RASA_API_TOKEN=${RASA_API_TOKEN:-$("$BIN/python" -c 'import secrets; print(secrets.token_hex(24))')}
export RASA_API_TOKEN
export RASA_INTERNAL_URL=${RASA_INTERNAL_URL:-http://127.0.0.1:$RASA_PORT}

"$BIN/python" -m channels.config --write "$CREDENTIALS"
"$BIN/python" -m support.db upgrade
# without the broker a seller's messages never reach the ticket while a person holds the chat
grep -q '^event_broker:' "$ENDPOINTS" ||
  echo "warning: $ENDPOINTS has no event_broker (see endpoints.yml):" \
    "sellers' messages won't reach their tickets" >&2

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
trap 'exit 143' INT TERM  # `exit` runs the EXIT trap

"$BIN/rasa" run actions --port "${ACTION_PORT:-5055}" --actions actions &
pids+=($!)
"$BIN/python" -m webapp --port "${WEB_PORT:-8080}" \
  --rasa-url "${RASA_PUBLIC_URL:-http://localhost:$RASA_PORT}" &
pids+=($!)

"$BIN/rasa" run --model "$MODEL" --port "$RASA_PORT" \
  --credentials "$CREDENTIALS" --endpoints "$ENDPOINTS" --cors "*" \
  --enable-api --auth-token "$RASA_API_TOKEN" &
pids+=($!)
# Rasa runs in the background too, so a signal to this script stops all three at once
# (bash runs traps only between commands, never while a foreground child runs).
wait "${pids[-1]}"
