"""Prompt synthesis on the teacher side: the request a seed becomes, and the rule that parses the teacher's answer.

    >>> from teachers.synth import parse_prompts
    >>> parse_prompts("Here you go:\\n1. What is 2 + 3?\\n2) What is 7 + 1?\\n3.", "numbered", 200)
    (['What is 2 + 3?', 'What is 7 + 1?'], ['empty item 3'])

A template (Self-Instruct: "write k new problems like this one", Evol-Instruct: "rewrite this problem into a
harder one") is filled with ``{seed}``, ``{k}``, ``{persona}``, ``{topic}`` and ``{condition}`` (a sentence
naming the persona or topic, or empty). Each seed makes ``requests`` rows; request ``j`` of seed number ``i``
is conditioned on entry ``(i * requests + j) % len(conditions)``, so every run picks the same ones. The rows
are ordinary Sample rows (stage ``synth``) with their own request keys: the request cache and the
:class:`teachers.step.GenerateStep` answer them like any generation.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ground.record import new_sample
from teachers.cache import refused_reasons, request_key
from teachers.step import sampling_params

_ITEM = re.compile(r"^\s*(?:#{1,4}\s*)?(?:\*\*)?(?:(?:problem|question|prompt|instruction|task|q)\s*#?\s*)?(\d{1,3})\s*[.):]"
                   r"\s*(?:\*\*)?\s*(.*)$", re.I)  # "1.", "2)", "**3.**", "Q4:", "Problem 5:", "### 6."
_FENCE_LINE = re.compile(r"^\s*```")
_BULLET = re.compile(r"^\s*[-*\u2022]\s+(.*\S)\s*$")
_JSON_KEYS = ("prompt", "question", "instruction", "problem", "text")
#: a line that starts the item's answer ("Answer: 7", "**Solution:**", "Final answer - 7"): it and what follows it up to
#: the next item are not part of the prompt (a prompt that states its answer trains nothing and always self-agrees)
_ANSWER = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?\s*(?:final |correct |expected |reference |short )?"
                     r"(?:answer|solution|explanation|ans)\s*(?:\*\*|__)?\s*(?:[:\-\u2013\u2014]|\*\*\s*[:\-])", re.I)
_LABEL = re.compile(r"^(?:\*\*)?(?:new |rewritten |harder )?(?:problem|question|prompt|instruction)\s*[:\-]\s*(?:\*\*)?\s*", re.I)
PARSE_RULES = ("numbered", "single")


def load_lines(value: list[str] | str | None, base: Path) -> list[str]:
    """Personas or topics: a list as given, or a file (relative to ``base``) with one entry per non-empty line."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if v and v.strip()]
    p = Path(value) if Path(value).is_absolute() else base / value
    return [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _clean(text: str) -> str:
    t = _LABEL.sub("", text.strip()).strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'`":
        t = t[1:-1].strip()
    return t


def parse_prompts(text: str | None, rule: str, max_chars: int) -> tuple[list[str], list[str]]:
    """(prompts, problems): ``numbered`` takes every ``1.`` / ``1)`` / ``Q1:`` / ``**Problem 1:**`` item (continuation
    lines join their item, but not an answer line nor what follows it, nor a closing remark after the last item:
    :func:`_numbered`; fence lines are dropped), a JSON list's items (strings, or objects' prompt/question/...; also
    a JSON object's one list), or, with no numbered item, a bulleted list's;
    ``single`` takes the whole completion, up to an answer line, as one prompt. A problem is a reason for a dropped item."""
    if rule not in PARSE_RULES:
        raise ValueError(f"parse rule must be one of {PARSE_RULES}, got {rule!r}")
    if not text or not text.strip():
        return [], ["empty completion"]
    if rule == "single":
        items = [("1", _clean(_no_answer(text)))]
    elif (listed := _json_items(text)) is not None:  # a JSON list, as API teachers asked for "a list" often write
        items = [(str(i), _clean(t)) for i, t in enumerate(listed, 1)]
    else:
        items = _numbered(text)
        if not items:  # a bulleted list instead of a numbered one
            items = [(str(i), m.group(1)) for i, m in enumerate(filter(None, map(_BULLET.match, text.splitlines())), 1)]
        if not items:
            return [], ["no numbered item in the completion"]
        items = [(n, _clean(t)) for n, t in items]
    out, problems = [], []
    for n, t in items:
        if not t:
            problems.append(f"empty item {n}")
        elif len(t) > max_chars:
            problems.append(f"item {n} too long: {len(t)} chars > {max_chars}")
        else:
            out.append(t)
    return out, problems


def _no_answer(text: str) -> str:
    """The text up to its first answer line (``Answer: 7``, ``**Solution:**``)."""
    lines = text.splitlines()
    cut = next((i for i, ln in enumerate(lines) if i and _ANSWER.match(ln)), len(lines))
    return "\n".join(lines[:cut])


def _numbered(text: str) -> list[tuple[str, str]]:
    """(number, text) of each numbered item. A continuation line joins its item, except: an answer line ends the
    item (it and the lines after it, up to the next item, are dropped); and after the LAST item, a paragraph that
    follows a blank line unindented (Markdown: not part of the item) is the teacher's closing remark ("I hope these
    help!"), unless an earlier item had such paragraphs too (then the teacher writes multi-paragraph problems)."""
    items: list[list] = []  # [number, [lines], answer seen, index of the first loose paragraph or None]
    blank = False
    for line in text.splitlines():
        if _FENCE_LINE.match(line):  # a Markdown fence around the list is not part of an item
            continue
        m = _ITEM.match(line)
        if m:
            items.append([m.group(1), [m.group(2)], False, None])
        elif items and line.strip():
            it = items[-1]
            if it[2] or _ANSWER.match(line):
                it[2] = True
            else:
                if blank and not line[:1].isspace() and it[3] is None:
                    it[3] = len(it[1])
                it[1].append(line.strip())
        blank = not line.strip()
    if items and items[-1][3] is not None and all(it[3] is None for it in items[:-1]):
        items[-1][1] = items[-1][1][:items[-1][3]]
    return [(n, "\n".join(lines)) for n, lines, _, _ in items]


def _json_items(text: str) -> list[str] | None:
    """The items of a completion that is a JSON list (optionally fenced): strings, or objects' prompt/question/
    instruction/problem/text; None when it is not one."""
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[-1].rsplit("```", 1)[0].strip()
    if not t.startswith(("[", "{")):
        return None
    try:
        v = json.loads(t)
    except ValueError:
        return None
    if isinstance(v, dict):  # {"problems": [...]}: an object whose one list holds the items
        lists = [x for x in v.values() if isinstance(x, list)]
        v = lists[0] if len(lists) == 1 else v
    if not isinstance(v, list):
        return None
    out = []
    for x in v:
        if isinstance(x, dict):
            x = next((x[k] for k in _JSON_KEYS if isinstance(x.get(k), str)), "")
        out.append(x if isinstance(x, str) else "")
    return out


def fill(template: str, seed: str, k: int, condition: str | None, kind: str | None) -> str:
    """The template with its fields; ``{condition}`` is e.g. 'Write them for this persona: a baker.' or empty."""
    persona = condition if kind == "persona" else ""
    topic = condition if kind == "topic" else ""
    cond = "" if not condition else (f"Write them for this persona: {condition}." if kind == "persona"
                                     else f"Make them about this topic: {condition}.")
    return template.format(seed=seed, k=k, persona=persona, topic=topic, condition=cond)


@dataclass
class SynthSpec:
    """What a worker needs to turn seeds into synthesis requests (pickles small)."""

    template: str
    teacher: str
    engine: str
    model: str
    sampling: dict
    requests: int
    k: int
    conditions: list[str] = field(default_factory=list)
    kind: str | None = None  # "persona" | "topic"
    #: the engine's options that change its answers (teachers.cache.options_key): part of the request key
    options: dict = field(default_factory=dict)

    @property
    def template_hash(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()[:16]

    def condition(self, seed_index: int, j: int) -> str | None:
        return self.conditions[(seed_index * self.requests + j) % len(self.conditions)] if self.conditions else None

    def rows(self, seed_id: str, seed_index: int, seed_text: str, chunk: int) -> list[dict]:
        """One Sample row per request of this seed (stage ``synth``, sample index = request number)."""
        out = []
        for j in range(self.requests):
            cond = self.condition(seed_index, j)
            messages = [{"role": "user", "content": fill(self.template, seed_text, self.k, cond, self.kind)}]
            params = sampling_params(self.sampling, j).to_dict()
            out.append(new_sample(stage="synth", prompt_id=seed_id, sample_index=j, messages=messages, chunk=chunk,
                                  teacher=self.teacher, engine=self.engine, model=self.model,
                                  params=json.dumps(params, sort_keys=True), template_hash=self.template_hash,
                                  request_key=request_key(self.engine, self.model, messages, params, j, self.options),
                                  source=json.dumps({"condition": cond}, ensure_ascii=False)))
        return out


def generate_cached(step, rows: list[dict], before_calls=None) -> list[dict]:
    """A :class:`teachers.step.GenerateStep` over ``rows``, the request cache answering what it already holds.
    ``before_calls(rows)``: called with the rows the teacher is about to be asked for (a run budget may reject some)."""
    from ground.record import ACCEPTED
    from teachers.base import GenResult
    from teachers.step import apply_result

    if step.cache is not None and rows:
        cfg = step.cfgs.get(rows[0]["teacher"]) or step.cfgs[step.default]
        hits = step.cache.get_many([r["request_key"] for r in rows], refused_reasons(cfg["engine"], cfg.get("options", {})))
        for r in rows:
            if r["request_key"] in hits:
                res = GenResult(**{k: v for k, v in hits[r["request_key"]].items() if k in GenResult.__dataclass_fields__})
                apply_result(r, res, {}, cache_hit=True)
    if before_calls is not None:
        need = [r for r in rows if r["status"] == ACCEPTED and not r.get("cache_hit")]
        if need:
            before_calls(need)
    return step(rows)
