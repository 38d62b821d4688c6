# `make run`: install, train if data or config changed, serve. `make test`: the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/faq.tar.gz
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
# Training DIET (the bench's baseline): glibc served its large per-step buffers with fresh mmaps
# and gave them back after each step (278,000 page faults a second, 40% of the CPU in the
# kernel). From the heap and never trimmed, an epoch took 17 s instead of 27–30 s. make bench
# trains both models so, alike.
export TRAINING_GLIBC_TUNABLES := glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296

.PHONY: install train run run-scaled test bench validate clean

install: $(VENV)/.installed webapp/node_modules/.installed
	scripts/install_system_packages.sh

$(VENV)/.installed: requirements.txt
	@python=$$(scripts/find_python.sh) && echo "using $$python" && \
	  { [ -x $(BIN)/python ] || $$python -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip==24.0
	$(BIN)/pip install --quiet -r requirements.txt
	@# Rasa 3.6 breaks with packaging>=21 (LegacyVersion): fail loudly if anything upgraded it.
	$(BIN)/python -c "from packaging.version import LegacyVersion"
	touch $@

# The widget's socket.io client, from the npm registry at the locked version, served locally.
webapp/node_modules/.installed: webapp/package-lock.json
	cd webapp && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Rasa's own fingerprinting skips training when nothing changed since the last model.
train: install
	$(BIN)/rasa train --fixed-model-name faq

run: train
	scripts/serve.sh

# Several Rasa replicas behind nginx on :5005, conversations in PostgreSQL, locks in Redis
# (local servers are started when DATABASE_URL / REDIS_URL are unset): scripts/serve_scaled.py.
run-scaled: train
	$(BIN)/python -m scripts.serve_scaled

validate: install
	$(BIN)/rasa data validate --fail-on-warnings

test: validate train
	$(BIN)/rasa test core --model $(MODEL) --stories tests/conversations \
	  --fail-on-prediction-errors --out reports/conversations
	$(BIN)/python -m pytest tests --durations=15; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests"; status=0; fi; exit $$status

# The project beside a baseline (Rasa's default config): accuracy, latency, load, memory.
# About an hour and a half on 2 cores, most of it the baseline's training (93 min on a fresh clone
# on 2026-12-08); BENCH_BASELINE_EPOCHS=5 trains the baseline for serving figures only (README).
# Writes reports/bench.json, reports/bench.md and the confusion matrices.
bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) webapp/node_modules .run models/*.tar.gz reports results rasa_tracker.db support.db
