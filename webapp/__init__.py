"""The web app on :8080: the demo page with the embeddable chat widget, served offline."""
