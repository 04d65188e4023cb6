"""The ground floor: what every other package may import, and which imports nothing of ours.

Row schema (:mod:`ground.record`), errors, filesystems (local, s3://, gs://), model resolution, the config
base, the batch step contract, source reading and text helpers. ``lint-imports`` (contracts in
pyproject.toml) keeps it that way.
"""
