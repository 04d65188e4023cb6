"""Curation: row filters (``curation.filters``) and dataset-level dedupers (``curation.dedup``).

Sits above ground/, teachers/ and verifiers/, below factory/ (see pyproject.toml's import-linter contracts).
"""
