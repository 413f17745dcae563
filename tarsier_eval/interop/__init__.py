"""Interoperability with other evaluation harnesses (lmms-eval): reading their logs, writing ours in their layout."""
