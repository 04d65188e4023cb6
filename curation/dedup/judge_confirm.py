"""An LLM judge that confirms embedding candidates of decontamination (``embedding_confirm: llm``).

    >>> from curation.dedup.judge_confirm import JudgeConfirm, parse_verdict
    >>> parse_verdict("YES - same problem, other numbers"), parse_verdict("no."), parse_verdict("maybe")
    (True, False, None)
    >>> j = JudgeConfirm({"engine": "hf_local", "model": "smollm2-135m-instruct", "sampling": {"max_tokens": 4}})
    >>> j.confirm([("Tom has 3 apples...", "Janet has 5 apples...")])  # doctest: +SKIP

The prompt is a file (default ``recipes/rubrics/contamination.md``) with ``{item}`` and ``{text}``; one
``generate`` call per batch of candidates. A verdict the judge does not give (error, empty output, no
YES/NO on the first line) is ``None``: the caller falls back to the masked check, so an outage of the
judge neither lets everything through nor rejects everything.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)
DEFAULT_PROMPT = "recipes/rubrics/contamination.md"
_VERDICT = re.compile(r"^\W*(yes|no)\b(?!\s*[/|]\s*(?:yes|no)\b)", re.I)
_LABELLED = re.compile(r"\b(?:final\s+answer|answer|verdict|decision|same(?:\s+problem)?|contaminated|rewrite)\W{0,3}\s*[:=]"
                       r"\s*\W{0,3}(yes|no|true|false)\b", re.I)
_NUMBER = re.compile(r"\d+")  # the numbers :meth:`JudgeConfirm.probe` changes


def parse_verdict(text: str) -> bool | None:
    """True / False for the judge's YES / NO, None when it gave neither. Read, in order: the first line starting
    YES or NO (after any reasoning span); else the last labelled answer ("Verdict: NO", "**Answer: YES**",
    '{"same": true}', "Final answer: no"); else a last line that is YES or NO alone. "yes/no" is no answer."""
    from teachers.reasoning import split_reasoning

    body = split_reasoning(text or "")[1].strip()
    if not body:
        return None
    m = _VERDICT.match(body.splitlines()[0])
    if m:
        return m.group(1).lower() == "yes"
    labelled = _LABELLED.findall(body)
    if labelled:
        return labelled[-1].lower() in ("yes", "true")
    last = body.splitlines()[-1].strip(" \t*_.!`\"'").lower()
    return {"yes": True, "no": False}.get(last)


class JudgeConfirm:
    """Asks an LLM whether a candidate text is a rewrite of a benchmark item."""

    def __init__(self, judge: dict, prompt: str = DEFAULT_PROMPT):
        from verifiers.llm import LLM, placeholders, read_text

        self.llm = LLM(judge, role="decontam judge")
        self.template = read_text(prompt, "decontam judge_prompt")
        missing = {"item", "text"} - placeholders(self.template)
        if missing:
            raise ValueError(f"decontam judge_prompt {prompt}: missing placeholder(s) {sorted(missing)}")
        self.calls = 0
        self.unparsed = 0

    def confirm(self, pairs: list[tuple[str, str]]) -> list[bool | None]:
        """(candidate text, benchmark item) pairs -> verdicts, in one batched call."""
        from verifiers.llm import render, result_error

        if not pairs:
            return []
        out = self.llm.chat_batch([[{"role": "user", "content": render(self.template, text=t, item=i)}] for t, i in pairs])
        self.calls += 1
        verdicts = []
        for res in out:
            err = result_error(res)
            v = None if err else parse_verdict(res.text)
            if v is None:
                self.unparsed += 1
                log.warning("decontam judge gave no verdict (%s): falling back to the masked check", err or repr((res.text or "")[:80]))
            verdicts.append(v)
        return verdicts

    def probe(self, prompts: list[str], k: int = 3) -> tuple[int, int]:
        """(right, asked) on known pairs, asked once before the judge is trusted: ``k`` benchmark problems with their
        numbers changed, each asked against its own problem (a rewrite: YES) and against the next one (another
        problem: NO). A judge that says YES (or NO) to everything, or gives no verdicts, gets about half right."""
        picked = [p for p in prompts if len(p.split()) >= 12][: k + 1]
        if len(picked) < 2:
            return 0, 0
        pairs = []
        for a, b in zip(picked, picked[1:]):
            copy = "Here is a problem: " + _NUMBER.sub(lambda m: str(int(m.group()) + 3), a)
            pairs += [(copy, a), (copy, b)]
        verdicts = self.confirm(pairs)
        right = sum(v is (j % 2 == 0) for j, v in enumerate(verdicts))
        return right, len(pairs)

    def close(self) -> None:
        self.llm.close()

