"""Standardized layer: typed, deduplicated, PII-safe `std.<product>` tables, published after audits."""
