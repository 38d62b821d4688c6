#!/usr/bin/env bash
# Serves the assistant: `scripts/serve.sh` starts the action server (:5055), the web app (:8080)
# and Rasa (:5005); `scripts/serve.sh rasa actions` starts only those (the failure tests stop
# and restart one of them). A signal to the script, or the end of Rasa, stops what it started.
#
# Channels and Rasa's endpoints come from environment variables, read from `.env` when it
# exists; the files Rasa reads are written to .run/ at start. The support desk's database
# (DATABASE_URL, default sqlite support.db) is migrated first; a database that is down stops
# the start with a clear message. Rasa's HTTP API is on, behind RASA_API_TOKEN (generated when
# unset, never printed): the staff console uses it to send replies and to resume the bot.
# Set RASA_API_TOKEN yourself when starting the parts separately, so they share it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -f .env ]; then set -a; . ./.env; set +a; fi
MODEL=${MODEL:-models/faq.tar.gz}
RASA_PORT=${RASA_PORT:-5005}
RUN_DIR=${RUN_DIR:-.run}
export RASA_PORT
# glibc gives threads their own malloc arenas: with TensorFlow's thread pools, Rasa's peak RSS
# was about 100 MB higher (1,366 against 1,262 MB after 16 and 64 concurrent conversations).
# Two arenas cost no throughput here.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
RASA_API_TOKEN=${RASA_API_TOKEN:-$("$BIN/python" -c 'import secrets; print(secrets.token_hex(24))')}
export RASA_API_TOKEN
export RASA_INTERNAL_URL=${RASA_INTERNAL_URL:-http://127.0.0.1:$RASA_PORT}
PARTS=("$@")
[ ${#PARTS[@]} -eq 0 ] && PARTS=(actions web rasa)

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
trap 'exit 143' INT TERM  # `exit` runs the EXIT trap

# the support desk's schema, once, before the parts that use it
case " ${PARTS[*]} " in *" web "*|*" rasa "*) "$BIN/python" -m support.db upgrade ;; esac

for part in "${PARTS[@]}"; do
  case $part in
    actions)
      "$BIN/rasa" run actions --port "${ACTION_PORT:-5055}" --actions actions &
      pids+=($!) ;;
    web)
      "$BIN/python" -m webapp --port "${WEB_PORT:-8080}" \
        --rasa-url "${RASA_PUBLIC_URL:-http://localhost:$RASA_PORT}" &
      pids+=($!) ;;
    rasa)
      "$BIN/python" -m channels.config --write "$RUN_DIR/credentials.yml"
      "$BIN/python" -m rasa_runtime.endpoints --write "$RUN_DIR/endpoints.yml"
      # rasa_runtime: Rasa's CLI with the fixes of rasa_runtime/patches.py installed
      "$BIN/python" -m rasa_runtime run --model "$MODEL" --port "$RASA_PORT" \
        --credentials "$RUN_DIR/credentials.yml" --endpoints "$RUN_DIR/endpoints.yml" \
        --cors "*" --enable-api --auth-token "$RASA_API_TOKEN" &
      pids+=($!) ;;
    *) echo "usage: $0 [actions] [web] [rasa]" >&2; exit 2 ;;
  esac
done
# Everything runs in the background, so a signal to this script stops all at once (bash runs
# traps only between commands, never while a foreground child runs). The first part to end
# ends the rest.
wait -n
