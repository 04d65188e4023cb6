"""Distillation and synthetic-data factory.

    factory run recipes/gsm8k_demo.yaml      # generate -> verify -> dedup -> parquet -> train -> eval
    factory validate recipes/*.yaml          # check recipes, print file:line: field: message

See README.md for the two set-up commands and `factory --help` for the rest.
"""

__version__ = "0.1.0"
