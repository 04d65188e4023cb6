"""Recipe sections ``synthesize:`` (new prompts from seed prompts) and its ``self_consistency:`` answer key.

    synthesize:
      template: prompts/self_instruct.txt   # {seed} {k} {persona} {topic} {condition}
      personas: [a shop keeper, a cook]      # or a file, one per line
      count: 200                             # new prompts wanted (or per_seed)
      parse: numbered                        # one prompt per completion: single
      self_consistency: {samples: 5, min_agreement: 0.6}

The stage itself is :mod:`factory.synthesize`; docs/synthesize.md is the reference.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ground.config import Config as _Cfg
from ground.source import SourceConfig


class SelfConsistencyConfig(_Cfg):
    """The answer key of a synthesized prompt without a reference: the majority answer of m teacher samples."""

    samples: int = Field(5, ge=2, le=64, description="m: teacher samples per synthesized prompt (sample indices "
                                                     "0..m-1, the same requests generation makes, so the request "
                                                     "cache answers generation's first samples)")
    min_agreement: float = Field(0.6, gt=0, le=1, description="drop a prompt whose majority answer got fewer than "
                                                              "this share of the m samples (reject reason 'low "
                                                              "self-consistency')")
    extractor: str | None = Field(None, description="answer extractor by name (verifiers/answer_key.py: math_answer, "
                                                    "text); null = the one of the recipe's first verifier that has "
                                                    "one, else normalised text")


class SynthDedupConfig(_Cfg):
    exact: bool = Field(True, description="drop new prompts whose normalised text equals a seed, an existing prompt "
                                          "or another new prompt (curation.dedup.exact)")
    minhash: dict[str, Any] | None = Field(default_factory=lambda: {"ngram": 3, "threshold": 0.7},
                                           description="MinHash near-duplicate options (curation.dedup.minhash "
                                                       "MinHashConfig; compare is always the prompt); null = off")
    decontam: bool = Field(True, description="drop new prompts that overlap the recipe's benchmarks (dedup.decontam) "
                                             "and its eval set, with the dedup.decontam matcher")


class SynthesizeConfig(_Cfg):
    """Expand seed prompts into new ones with a teacher, before generation (factory/synthesize.py)."""

    seeds: SourceConfig | None = Field(None, description="seed prompts; null = the recipe's source")
    template: str = Field(..., description="prompt template file (relative to the recipe): {seed}, {k}, {persona}, "
                                           "{topic} and {condition} are filled in (recipes/prompts/self_instruct.txt, "
                                           "evol_instruct.txt)")
    personas: list[str] | str | None = Field(None, description="personas to condition on: a list, or a file with "
                                                               "one per line; each new prompt records its persona")
    topics: list[str] | str | None = Field(None, description="topics to condition on (a list or a file), instead of "
                                                             "personas; each new prompt records its topic")
    count: int | None = Field(None, gt=0, le=10_000_000, description="new prompts wanted in all (kept after dedup, "
                                                                     "decontamination and self-consistency: at most "
                                                                     "this many); null = per_seed x seeds")
    per_seed: int = Field(1, gt=0, le=1000, description="teacher requests per seed (each asks for k prompts); with "
                                                        "count set, enough requests for count are made")
    k: int = Field(4, gt=0, le=100, description="prompts asked for per request ({k} in the template; parse: numbered)")
    oversample: float = Field(1.5, ge=1, le=10, description="with count: ask for this many times count, since "
                                                            "dedup and self-consistency drop some")
    parse: Literal["numbered", "single"] = Field("numbered", description="teacher output: a numbered list of prompts "
                                                                         "(1. ... / 1) ...), or one prompt per completion")
    teacher: str | None = Field(None, description="name of the teacher (teacher or teachers[]) that writes prompts; "
                                                  "null = the recipe's teacher")
    sampling: dict[str, Any] = Field(default_factory=lambda: {"temperature": 0.9, "max_tokens": 160},
                                     description="sampling overrides for synthesis requests (on top of that teacher's)")
    include_source: bool = Field(True, description="generation also runs on the recipe's own source prompts, not "
                                                   "only on the new ones")
    max_chars: int = Field(2000, gt=0, description="drop a parsed prompt longer than this (reject reason 'too long')")
    batch_size: int = Field(8, gt=0, le=100_000, description="seed prompts per worker task (one synth/prompts/prompts-N.parquet each)")
    dedup: SynthDedupConfig = Field(default_factory=SynthDedupConfig, description="dedup and decontamination of new prompts")
    self_consistency: SelfConsistencyConfig | None = Field(None, description="answer key by majority vote of m teacher "
                                                                             "samples; null = new prompts get no reference")

    @model_validator(mode="after")
    def _one_conditioning(self) -> "SynthesizeConfig":
        if self.personas is not None and self.topics is not None:
            raise ValueError("set personas or topics, not both")
        return self
