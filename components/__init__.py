"""Custom Rasa NLU components for Chinese seller questions."""
