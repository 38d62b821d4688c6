"""Custom actions for the Amazon seller FAQ assistant."""
