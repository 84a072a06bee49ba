"""Renderers: LintResult -> text, JSON, SARIF, rdjson, markdown. Pure: they return strings."""
