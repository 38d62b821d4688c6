"""Support desk: handoff tickets, feedback and conversation analytics.

Shared by the action server (creates tickets), Rasa's event broker (adds the seller's messages
to an open ticket, records analytics) and the web app (the staff console and its API).
"""
