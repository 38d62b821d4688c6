#!/usr/bin/env bash
# Serves the action server (:5055) and the web app (:8080) in the background and Rasa (:5005)
# in the foreground; Ctrl-C or the end of Rasa stops all three.
# Channels are switched on by environment variables, read from `.env` when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -f .env ]; then set -a; . ./.env; set +a; fi
MODEL=${MODEL:-models/faq.tar.gz}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
RASA_PORT=${RASA_PORT:-5005}
CREDENTIALS=${CREDENTIALS:-.run/credentials.yml}

"$BIN/python" -m channels.config --write "$CREDENTIALS"

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

"$BIN/rasa" run actions --port "${ACTION_PORT:-5055}" --actions actions &
pids+=($!)
"$BIN/python" -m webapp --port "${WEB_PORT:-8080}" \
  --rasa-url "${RASA_PUBLIC_URL:-http://localhost:$RASA_PORT}" &
pids+=($!)

"$BIN/rasa" run --model "$MODEL" --port "$RASA_PORT" \
  --credentials "$CREDENTIALS" --endpoints "$ENDPOINTS" --cors "*"
