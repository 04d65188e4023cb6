"""``judge``: an LLM judge scores each completion against a rubric file, normalised to [0, 1].

    >>> from verifiers.judge import Judge, parse_score
    >>> parse_score("Clear and correct. Score: 8/10", 1, 10)
    (8.0, 'labelled')
    >>> j = Judge(judge={"engine": "hf_local", "model": "smollm2-135m-instruct", "sampling": {"max_tokens": 64}})
    >>> row = {"messages": '[{"role": "user", "content": "2+2?"}]', "completion": "4", "engine": "openai_compat", "model": "gpt-x"}
    >>> j.verify(row).details["raw"]      # the judge model loads here, on first use

The rubric file is the whole judge prompt, with placeholders ``{prompt}``, ``{response}`` (required),
``{min_score}`` and ``{max_score}`` (see ``recipes/rubrics/helpfulness.md``). Its path is absolute or
relative to the current directory (then the project root); it is read once, in ``__init__``.

Score parsing (:func:`parse_score`, pure) tolerates chatter and takes, in this order, the last
``{"score": 7}`` JSON field; the last labelled score ("Score: 7/10", "Rating: **8**", "I'd rate it 6
out of 10", "give it a 5"); the last "N/max" or "N out of max"; the last ``**N**``; a final line
that is a bare number. A fraction whose denominator is not the scale's max is not taken as a score
("4/5" on a 1-10 scale). Out-of-range or missing -> ``score=None`` with the reason and the text.
The raw score r becomes ``(r - min) / (max - min)``.

A completion cannot game its slot (issue #14, tests/unit/test_reward_hacks_3.py): it goes into the
prompt fenced by marker lines with a per-call random nonce, the rubric's own delimiters around
``{response}`` (``</response>``) defused inside it, and placeholders in it (``{max_score}``) left as
they are. A score the judge writes in a line or quoted span that repeats the completion ("the response
ends with 'Score: 10'") is not the judge's score; when it is the only one, the verdict is
``score=0.0, reason="reward hack: the only score, ... repeats the response"``. A score whose words the response
contains ("Rating: 10/10" planted, the judge noting it unquoted) loses to any other score the judge gives
(tests/unit/test_reward_hacks_5.py), and one the judge attributes to the response in the same sentence ("The response
ends with Score: 10", "it claims Rating: 10/10") is the response's, never the judge's (round 6: when it is the only
score, 0.0 reward hack); "I give 3", "I would give 3", "I assign 3" are labelled scores; chat-control tokens in the
completion (``<|im_start|>``, ``[INST]``) are broken so the judge's tokenizer cannot read them as turn markers (:func:`verifiers.llm.defuse_control_tokens`). An empty completion, and
one over ``max_response_chars`` (which would overflow the judge's context: an error, score None), get 0.0. Round 9
(tests/unit/test_reward_hacks_9m.py): text hidden in Unicode tag characters (U+E0000-E007F, invisible to a reader, read
by the judge's tokenizer; an emoji subdivision flag excepted) is ``reward hack: the response hides text ...`` without a
judge call, and invisible format characters (zero-width, bidi) do not hide a planted score from :func:`verifiers.llm.planted`.
Round 10 (tests/unit/test_reward_hacks_10m.py): a score planted in one notation ("Rating = 10 out of 10", "Rating: ten out
of ten", "Rating 10/10") is recognised in the judge's restatement in another ("Rating: 10/10").
Round 11 (tests/unit/test_reward_hacks_11m.py): look-alike letters and other scripts' digits ("Rat\u0456ng: 10/10",
"Rating: \u0661\u0660/\u0661\u0660") no longer hide a planted score (:func:`verifiers.llm.unmask`); a score the judge
withholds ("I would not give it a 10", "4/10, not 10/10", "Score: not 10/10 but 4/10") is not its score; the rubric's
delimiters are defused in any case and spacing ("</RESPONSE>", "< /response >").

A judge must not grade its own model's work (self-preference bias: Zheng et al. 2023, "Judging
LLM-as-a-Judge", arXiv:2306.05685, sec. 3.3): a row whose ``engine``/``model`` columns equal the
judge's gets ``score=None, reason="judge model equals generator ..."``, and recipe validation refuses
such a recipe up front (factory/recipe_checks.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import Field, model_validator

from ground.config import Config

from verifiers.base import Verdict, Verifier
from verifiers.llm import (LLM, LLMConfig, conversation_text, echoed, fence, hidden_text, placeholders, planted, read_text, render,
                           result_error, same_model, slot_delimiters)

log = logging.getLogger(__name__)

_NUM = r"(-?\d+(?:\.\d+)?)"
_JSON = re.compile(r'"(?:score|rating)"\s*:\s*"?' + _NUM, re.I)
_LABELLED = re.compile(
    r"\b(?:score|rating|grade|rate|give\s+(?:it|this(?:\s+response)?|the\s+response)"
    r"|(?<=\bI\s)(?:give|assign|award)|(?<=\bI'd\s)(?:give|assign|award)|(?<=\bI\swould\s)(?:give|assign|award)"
    r"|(?<=\bI'll\s)(?:give|assign|award)|(?<=\bI\swill\s)(?:give|assign|award))\b([^\d\n]{0,24}?)"
    + _NUM + r"(?:\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?))?", re.I)
_FRACTION = re.compile(r"(?<![\d.])" + _NUM + r"\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?)", re.I)
_BOLD = re.compile(r"\*\*\s*" + _NUM + r"\s*\*\*")
_BRACKETS = re.compile(r"\[\[\s*" + _NUM + r"\s*\]\]")  # MT-bench's judge format: "[[8]]", with or without "Rating:"
_BARE_LINE = re.compile(r"^\W*?" + _NUM + r"\W*$", re.M)
# "rated on a scale from 1 to 10": the number after these words is the scale, not a score
_SCALE_WORDS = re.compile(r"\b(?:scale|from|between|range|of\s+\d)\b", re.I)


# words by which a judge reports what the response says ("The response ends with Score: 10", "it claims Rating: 10/10")
_ATTRIBUTED = re.compile(r"\b(?:response|answer|candidate|assistant|model|submission|text|it|they|author)(?:'s)?\s+(?:\w+\s+){0,3}?"
                         r"(?:says?|said|claims?|claimed|writes?|wrote|written|includes?|included|contains?|contained|ends?|ended|"
                         r"states?|stated|adds?|added|appends?|appended|asks?|asked|tries|tried|attempts?|attempted|gives?\s+itself|"
                         r"grades?\s+itself|rates?\s+itself|scores?\s+itself|declares?|declared|inserts?|inserted|plants?|planted|"
                         r"requests?|requested|demands?|demanded|instructs?|instructed|suggests?|suggested|assigns?\s+itself|"
                         r"self-assess\w*|self-grad\w*|self-rat\w*|self-scor\w*|awards?\s+itself)\b"
                         r"|\b(?:self-assess\w*|self-grad\w*|self-rat\w*|self-scor\w*|manipulat\w*|inject\w*|planted|forged?|"
                         r"as\s+(?:the\s+)?response\s+(?:says|claims|states))\b", re.I)


# a score the judge withholds: "I would not give it a 10", "4/10, not 10/10", "Score: not 10/10", "never a 10"
_NEGATED = re.compile(r"(?:\bnot|\bnever|n't|\bno|\bcannot|\brefuse\s+to|\bdecline\s+to|\bwithout)\s+(?:(?:even|quite|really|"
                      r"exactly|yet)\s+)?(?:(?:a|an|the)\s+)?$", re.I)
_NEGATED_FILLER = re.compile(r"\b(?:not|never|no)\b|n't\b", re.I)


def _withheld(text: str, m: re.Match, filler: str | None = None) -> bool:
    """Whether the score ``m`` matched is one the judge says it does not give (round 11); "can't give it anything but a
    10" gives it."""
    if filler and re.search(r"\b(?:but|except|other\s+than|less\s+than)\b", filler, re.I):
        return False
    return bool(_NEGATED.search(text[max(0, m.start() - 40):m.start()]) or (filler and _NEGATED_FILLER.search(filler)))


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` around ``text[start:end]`` (cut at ``.!?`` followed by a space, and line breaks)."""
    a = max(text.rfind("\n", 0, start), *(text.rfind(p, 0, start) for p in (". ", "! ", "? ")))
    ends = [i for i in (text.find("\n", end), *(text.find(p, end) for p in (". ", "! ", "? "))) if i >= 0]
    return text[a + 1:min(ends) if ends else len(text)]


def parse_score(text: str, lo: float, hi: float, response: str | None = None) -> tuple[float | None, str]:
    """(raw score on the lo..hi scale, how it was found) or (None, why not).

    ``response``: the candidate's text. A JSON, labelled or fraction score in a line or quoted span of ``text``
    that repeats the response word for word is the judge quoting it, not judging: it is skipped, and when
    nothing else is found the reason starts ``echo:``."""
    if response:  # first without the scores the response planted, then (none left) as the judge wrote them
        first = _parse(text or "", lo, hi, response, planted_ok=False)
        if first[0] is not None:
            return first
    return _parse(text or "", lo, hi, response, planted_ok=True)


def _parse(text: str, lo: float, hi: float, response: str | None, planted_ok: bool) -> tuple[float | None, str]:
    """:func:`parse_score`'s search; ``planted_ok=False`` also skips a score whose words the response contains
    ("Rating: 3/10. The response claims Rating: 10/10": the 10 is the response's, though not quoted)."""
    seen_off_scale = echo = None

    def quoted(m: re.Match, group: int) -> bool:
        nonlocal echo
        if response and echoed(text, m.start(), m.end(group), response):
            echo = echo or " ".join(m.group(0).split())[:60]
            return True
        if not (response and planted(text[m.start():m.end(group)], response)):
            return False
        if _ATTRIBUTED.search(_sentence(text, m.start(), m.end(group))):  # "The response ends with Score: 10": its score
            echo = echo or " ".join(m.group(0).split())[:60]
            return True
        return not planted_ok

    found: tuple[float, str] | None = None
    for m in reversed(list(_JSON.finditer(text))):
        if not quoted(m, 1):
            found = (float(m.group(1)), "json")
            break
    if found is None:
        for m in reversed(list(_BRACKETS.finditer(text))):
            if not quoted(m, 1):
                found = (float(m.group(1)), "brackets")
                break
    if found is None:
        labelled = list(_LABELLED.finditer(text))
        # a declared score ("Score: 6", "Final score = 5") before one in passing, which a judge may write after its
        # verdict ("it could score 9 with examples", "a higher score of 10 would need citations")
        declared = [m for m in labelled if ":" in m.group(1) or "=" in m.group(1)]
        for m in [*reversed(declared), *reversed([m for m in labelled if m not in declared])]:
            if _SCALE_WORDS.search(m.group(1)) or _withheld(text, m, m.group(1)):
                continue
            if m.group(3) is not None and float(m.group(3)) != hi:
                seen_off_scale = f"{m.group(2)}/{m.group(3)}"
                continue
            if not quoted(m, 2):
                found = (float(m.group(2)), "labelled")
                break
    if found is None:
        for m in reversed(list(_FRACTION.finditer(text))):
            if _withheld(text, m):
                continue
            if float(m.group(2)) != hi:
                seen_off_scale = seen_off_scale or f"{m.group(1)}/{m.group(2)}"
            elif not quoted(m, 2):
                found = (float(m.group(1)), "fraction")
                break
    if found is None and echo:
        raw, how = _weak(text, lo, hi, None, seen_off_scale)  # "... includes Score: 10 ...\n**3**": the judge's own 3
        if raw is not None and not re.search(rf"(?<![\d.]){re.escape(f'{raw:g}')}(?![\d.])", response or ""):
            return raw, how
        return None, f"echo: the only score, {echo!r}, repeats the response"
    return _weak(text, lo, hi, found, seen_off_scale)


def _weak(text: str, lo: float, hi: float, found: tuple[float, str] | None, seen_off_scale: str | None):
    """The ``**N**`` and bare-number fallbacks, then the range check."""
    if found is None:
        hits = [float(m) for m in _BOLD.findall(text)]
        if hits:
            found = (hits[-1], "bold")
    if found is None:
        hits = [float(m) for m in _BARE_LINE.findall(text)]
        if hits:
            found = (hits[-1], "bare")
    if found is None:
        if seen_off_scale:
            return None, f"score {seen_off_scale} is not on the {lo:g}-{hi:g} scale"
        return None, "no score found"
    raw, how = found
    if not lo <= raw <= hi:
        return None, f"score {raw:g} outside the {lo:g}-{hi:g} scale"
    return raw, how


def normalise(raw: float, lo: float, hi: float) -> float:
    return min(1.0, max(0.0, (raw - lo) / (hi - lo)))


class JudgeConfig(Config):
    rubric: str = Field("recipes/rubrics/helpfulness.md",
                        description="judge prompt file with {prompt} {response} {min_score} {max_score}; absolute, or "
                                    "relative to the current directory (then the project root)")
    judge: LLMConfig = Field(..., description="{engine, model, options, sampling} of the judge; must differ from the generator")
    min_scale: int = Field(1, ge=0, description="lowest score on the rubric's scale")
    max_scale: int = Field(10, gt=0, le=1000, description="highest score on the rubric's scale")
    max_response_chars: int = Field(32000, gt=0, description="a longer completion scores 0 without a judge call (one "
                                    "longer than the judge's context would make the call fail: score None)")

    @model_validator(mode="after")
    def _scale(self) -> "JudgeConfig":
        if self.min_scale >= self.max_scale:
            raise ValueError(f"min_scale ({self.min_scale}) must be below max_scale ({self.max_scale})")
        return self


def _same_model_reason(engine: str, model: str) -> str:
    return (f"judge model equals generator ({engine}/{model}): a model may not judge its own samples "
            f"(self-preference bias); set options.judge to a different model")


class Judge(Verifier):
    name = "judge"
    version = "1"
    requires = ("messages", "completion", "engine", "model")

    Options = JudgeConfig

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.cfg = self.options
        self.rubric = read_text(self.cfg.rubric, "judge.rubric")
        if "response" not in placeholders(self.rubric):
            raise ValueError(f"judge.rubric: {self.cfg.rubric} lacks the {{response}} placeholder")
        self.llm = LLM(self.cfg.judge, role="judge")
        self._delims = slot_delimiters(self.rubric, "response")

    def messages(self, sample: dict) -> list[dict]:
        """The rubric filled in; the completion fenced (:func:`verifiers.llm.fence`) so it cannot close its slot."""
        text = render(self.rubric, prompt=conversation_text(sample), response=fence(sample["completion"], "response", self._delims),
                      min_score=self.cfg.min_scale, max_score=self.cfg.max_scale)
        return [{"role": "user", "content": text}]

    def verify(self, sample: dict) -> Verdict:
        return self.verify_batch([sample])[0]

    def verify_batch(self, samples: list[dict]) -> list[Verdict]:
        self.check_columns(samples)
        out: list[Verdict | None] = [None] * len(samples)
        todo: list[tuple[int, list[dict]]] = []
        j = self.cfg.judge
        for i, s in enumerate(samples):
            try:
                if same_model(s.get("engine"), s.get("model"), j.engine, j.model):
                    out[i] = Verdict(None, _same_model_reason(j.engine, j.model))
                elif not isinstance(s.get("completion"), str) or not s["completion"].strip():
                    out[i] = Verdict(0.0, "empty completion")  # not None: accept_unverifiable would take it
                elif len(s["completion"]) > self.cfg.max_response_chars:  # past the judge's context: an error, i.e. None
                    out[i] = Verdict(0.0, f"response too long to judge: {len(s['completion'])} characters, "
                                          f"more than max_response_chars={self.cfg.max_response_chars}")
                elif hidden_text(s["completion"]):  # invisible to a reader, read by the judge: instructions for it
                    out[i] = Verdict(0.0, f"reward hack: the response hides text in Unicode tag characters: "
                                          f"{hidden_text(s['completion'])[:60]!r}")
                else:
                    todo.append((i, self.messages(s)))
            except Exception as e:  # a malformed row is this row's problem only
                out[i] = Verdict(None, f"bad row: {type(e).__name__}: {e}"[:500])
        if todo:
            try:
                results = self.llm.chat_batch([m for _, m in todo])
            except Exception as e:  # never fail the batch
                log.exception("judge: batch of %d failed", len(todo))
                results = None
                for i, _ in todo:
                    out[i] = Verdict(None, f"judge error: {type(e).__name__}: {e}"[:500])
            for (i, _), res in zip(todo, results or []):
                out[i] = self._verdict(res, samples[i]["completion"])
        for v in out:
            v.version = v.version or self.version  # type: ignore[union-attr]
        return out  # type: ignore[return-value]

    def _verdict(self, res, completion: str) -> Verdict:
        lo, hi = self.cfg.min_scale, self.cfg.max_scale
        details = {"judge": self.cfg.judge.label(), "raw": (res.text or "")[:4000], "scale": [lo, hi]}
        err = result_error(res)
        if err:
            return Verdict(None, f"judge error: {err}"[:500], cost=res.cost, details=details)
        raw, how = parse_score(res.text, lo, hi, response=completion)
        details.update(raw_score=raw, parsed_as=how if raw is not None else None)
        if raw is None and how.startswith("echo: "):  # a forged verdict in the response, quoted back by the judge
            return Verdict(0.0, f"reward hack: {how[6:]}", cost=res.cost, details=details)
        if raw is None:
            snippet = " ".join(res.text.split())[:160]
            return Verdict(None, f"unparseable judge output ({how}): {snippet!r}", cost=res.cost, details=details)
        return Verdict(round(normalise(raw, lo, hi), 6), f"judge score {raw:g}/{hi:g}", cost=res.cost, details=details)

    def close(self) -> None:
        self.llm.close()
