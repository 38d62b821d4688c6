#!/usr/bin/env bash
# Prints a Python 3.10 interpreter that really runs (Rasa 3.6 needs >=3.8,<3.11).
# `python3.10` may be a pyenv shim that fails when 3.10 is not the selected version.
set -u
candidates=(python3.10 python3.9 python3.8)
if command -v pyenv >/dev/null 2>&1; then
  for dir in "$(pyenv root)"/versions/3.10.* "$(pyenv root)"/versions/3.9.* "$(pyenv root)"/versions/3.8.*; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  done
fi
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
for python in "${candidates[@]}"; do
  if "$python" -c 'import sys; sys.exit(not ((3, 8) <= sys.version_info[:2] < (3, 11)))' >/dev/null 2>&1; then
    command -v "$python"
    exit 0
  fi
done
echo "No Python 3.8–3.10 found: install python3.10 (apt-get install python3.10-venv or pyenv install 3.10)" >&2
exit 1
