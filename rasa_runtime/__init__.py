"""How Rasa runs here: `python -m rasa_runtime run …` is `rasa run …` with the fixes in
`patches.py` installed first."""
