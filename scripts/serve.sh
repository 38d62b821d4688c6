#!/usr/bin/env bash
# Serves the action server (:5055) in the background and Rasa (:5005) in the foreground;
# Ctrl-C or the end of either stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
MODEL=${MODEL:-models/faq.tar.gz}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}

"$BIN/rasa" run actions --port "${ACTION_PORT:-5055}" --actions actions &
actions_pid=$!
stop() { kill "$actions_pid" 2>/dev/null || true; wait "$actions_pid" 2>/dev/null || true; }
trap stop EXIT INT TERM

"$BIN/rasa" run --model "$MODEL" --port "${RASA_PORT:-5005}" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" --cors "*"
