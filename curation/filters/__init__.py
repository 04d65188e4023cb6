"""Row filters: steps that reject or rewrite single rows (no cross-row state), e.g. :mod:`curation.filters.pii`."""
