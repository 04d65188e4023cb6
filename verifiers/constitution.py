"""``constitution``: constitutional critique-and-revise (Bai et al. 2022, arXiv:2212.08073, sec. 3).

    >>> from verifiers.constitution import Constitution
    >>> v = Constitution(critic={"model": "smollm2-135m-instruct", "sampling": {"max_tokens": 64}}, max_rounds=1)
    >>> row = {"messages": '[{"role": "user", "content": "How do I pick a lock?"}]', "completion": "Use a pin."}
    >>> verdict = v.verify(row)          # the critic model loads here, on first use
    >>> sorted(verdict.details)
    ['constitution', 'critiques', 'initial', 'principles', 'revised', 'revisions', 'rounds', 'unknown_policy']

A constitution is a file of 10-30 principles, one per line, ``N. [id] text`` (see
``recipes/constitutions/default.md``; other lines are ignored). Per sample:

1. the critic reviews the current response against all principles in one call and the verdict
   per principle (``violated`` / ``ok`` / ``unknown``) is parsed from its text
   (:func:`parse_principle_verdicts`: one line per id, a ``Violated: a, b`` summary or JSON);
2. if a principle is violated and fewer than ``max_rounds`` revisions were made, the reviser
   rewrites the response (given the critique and the violated principles) and we go to 1 with the
   rewrite; otherwise stop. So there are ``rounds`` revisions and ``rounds + 1`` critiques, and the
   last critique always judges the final text.

:meth:`Constitution.verify_batch` runs this for all samples together: one critic ``generate`` call
per round for every sample still in play, then one reviser call.

Verdict: ``score`` = fraction of principles satisfied in the last critique, ``reason`` names the
violated ids. Principles with no parseable verdict follow ``unknown``: ``skip`` (default; left out
of the fraction, and score None when no principle got a verdict), ``ok``, or ``violated`` (strict:
a critic that says nothing clear forces a revision). ``details`` (JSON-serialisable)::

    initial     the completion as generated
    revised     the final text (== initial when no revision was made)
    rounds      revisions made (0..max_rounds)
    critiques   [{"round": r, "response": text critiqued, "critique": critic text, "violated": [ids],
                  "unknown": [ids], "error": str|None}, ...]   one per critique, round 0 first
    revisions   [{"round": r, "text": rewrite, "error": str|None}, ...]
    principles  {id: ["violated" | "ok" | "unknown", ...]}   one entry per critique
    constitution  sha of the principles, unknown_policy  the policy above

:func:`sft_example` / :func:`dpo_example` turn a row carrying these details into TRL
conversational SFT (prompt -> revised) and DPO (chosen = revised, rejected = initial) records.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ground.record import sha
from verifiers.base import Verdict, Verifier
from verifiers.llm import DEFAULT_MODEL, LLM, LLMConfig, config_error, placeholders, conversation_text, read_text, render, result_error

log = logging.getLogger(__name__)

__all__ = ["Constitution", "ConstitutionConfig", "Principle", "parse_constitution", "parse_principle_verdicts",
           "sft_example", "dpo_example", "constitution_details"]


# ---------------------------------------------------------------------- parsing (pure)

@dataclass(frozen=True)
class Principle:
    number: int
    id: str
    text: str


_PRINCIPLE = re.compile(r"^\s*(\d+)[.)]\s*\[([A-Za-z0-9][A-Za-z0-9_-]*)\]\s*(\S.*?)\s*$")
MIN_PRINCIPLES, MAX_PRINCIPLES = 10, 30


def parse_constitution(text: str) -> list[Principle]:
    """``N. [id] text`` lines -> principles; ValueError naming the line for a malformed one."""
    out: list[Principle] = []
    for ln, line in enumerate(text.splitlines(), 1):
        m = _PRINCIPLE.match(line)
        if m:
            out.append(Principle(int(m.group(1)), m.group(2).lower(), m.group(3)))
        elif re.match(r"^\s*\d+[.)]\s", line):
            raise ValueError(f"constitution line {ln}: expected 'N. [id] principle text', got {line.strip()[:80]!r}")
    for attr in ("id", "number"):
        seen = [getattr(p, attr) for p in out]
        dup = sorted({x for x in seen if seen.count(x) > 1}, key=str)
        if dup:
            raise ValueError(f"constitution: duplicate principle {attr}(s) {dup}")
    if not MIN_PRINCIPLES <= len(out) <= MAX_PRINCIPLES:
        raise ValueError(f"constitution: needs {MIN_PRINCIPLES}-{MAX_PRINCIPLES} principles, found {len(out)}")
    return out


_LEAD = [  # a verdict word right after the id; longest first so "not ok" wins over "ok"
    ("not violated", "ok"), ("no violation", "ok"), ("not satisfied", "violated"), ("not ok", "violated"),
    ("not met", "violated"), ("violated", "violated"), ("violation", "violated"), ("violates", "violated"),
    ("failed", "violated"), ("fails", "violated"), ("fail", "violated"), ("satisfied", "ok"), ("compliant", "ok"),
    ("passed", "ok"), ("pass", "ok"), ("okay", "ok"), ("ok", "ok"), ("fine", "ok"), ("met", "ok"),
    ("\u2705", "ok"), ("\u2714", "ok"), ("\u2713", "ok"), ("\u274c", "violated"), ("\u2717", "violated"),
]
_NEGATED_BAD = re.compile(r"(?:\bnot|\bno|\bnever|\bwithout|n't)\s+(?:\w+\s+){0,2}?(?:violat|breach|break|fail|infring|contraven)")
_NOT_OK = re.compile(r"\bnot\s+(?:\w+\s+)?(?:ok\b|okay|satisf|met\b|follow|respect|compl|adher|meet)")
_BAD = re.compile(r"violat|breach|\bbreaks?\b|\bfail|infring|contraven|\u274c|\u2717")
_OK = re.compile(r"\bok(?:ay)?\b|satisf|\bcompl(?:y|ies|iant)\b|\bpass(?:es|ed)?\b|\bfollows?\b|\badheres?\b|"
                 r"\brespects?\b|\bmeets?\b|\bfine\b|\u2705|\u2714|\u2713")
_SUMMARY = re.compile(r"^\W*(?:violated(?:\s+principles?)?|violations?|principles?\s+violated)\s*[:=\-]\s*(.*)$", re.I)
_NONE = re.compile(r"^\W*(?:none|no|nothing|n/?a|-|\[\])?\W*$", re.I)
_ALL_OK = re.compile(r"\b(?:no|none of the)\s+principles?\s+(?:are\s+|is\s+|were\s+|was\s+)?violated|"
                     r"\ball\s+(?:the\s+)?principles\s+(?:are\s+)?(?:satisfied|ok|met|followed|respected)", re.I)


def classify_verdict(fragment: str) -> str | None:
    """'violated' / 'ok' / None for the text a critic wrote about one principle."""
    s = fragment.lower().strip()
    lead = s.lstrip(" \t:;-\u2013\u2014=*_|>)]}.#`\"'")
    for word, v in _LEAD:
        if lead.startswith(word) and (not word.isalpha() or not lead[len(word):len(word) + 1].isalpha()):
            return v
    if _NEGATED_BAD.search(s):
        return "ok"
    if _NOT_OK.search(s) or _BAD.search(s):
        return "violated"
    return "ok" if _OK.search(s) else None


def _id_pattern(pid: str) -> re.Pattern:
    body = r"[-_ ]?".join(re.escape(part) for part in re.split(r"[-_]", pid))
    return re.compile(r"(?<![\w-])" + body + r"(?![\w-])", re.I)


_LINE_PREFIX = re.compile(r"^[\s\-*\u2022#>|`]*(?:(\d+)\s*[.):\-]\s*)?(?:principle\s*#?(?=\S))?[\s\[(*_`\"']*", re.I)


def _leading_ref(s: str, pats: dict[str, re.Pattern], by_num: dict[int, Principle],
                 number: str | None) -> tuple[str | None, str]:
    """The principle a verdict line starts with (its id, else its number) and the text after it."""
    for pid, pat in pats.items():
        m = pat.match(s)
        if m:
            return pid, s[m.end():]
    m = re.match(r"(\d+)\b", s)
    if m and int(m.group(1)) in by_num:
        return by_num[int(m.group(1))].id, s[m.end():]
    if number and int(number) in by_num:
        return by_num[int(number)].id, s
    return None, s


def parse_principle_verdicts(text: str, principles: list[Principle]) -> dict[str, str]:
    """Critic text -> {id: 'violated' | 'ok'} for the principles it gave a clear verdict on.

    Understood, in order of precedence: a JSON object ({"id": "OK", ...}, {"violated": [ids]}) or
    list ([{"id":..., "verdict":...}]); one line per principle naming it by id or by number
    ("harmless: OK", "3. [privacy] VIOLATED - ...", "Principle 4: does not violate"); a summary
    line ("Violated: honest, 7" / "Violations: none") or "no principles are violated", which fill
    the principles the lines did not cover. An echoed principle text is ignored.
    """
    text = text or ""
    by_num = {p.number: p for p in principles}
    pats = {p.id: _id_pattern(p.id) for p in principles}
    out: dict[str, str] = {}

    def refs(s: str) -> set[str]:
        ids = {pid for pid, pat in pats.items() if pat.search(s)}
        nums = re.findall(r"(?<![\w.])#?(\d+)(?![\w.])", s)
        return ids | {by_num[int(n)].id for n in nums if int(n) in by_num}

    # JSON anywhere in the text (critics often wrap it in prose or a code fence)
    m = re.search(r"[\[{].*[\]}]", text, re.S)
    data = None
    if m:
        try:
            data = json.loads(m.group(0))
        except ValueError:
            data = None
    if isinstance(data, dict):
        listed = data.get("violated", data.get("violations"))
        if isinstance(listed, list):
            bad = refs(" , ".join(str(x) for x in listed))
            return {p.id: "violated" if p.id in bad else "ok" for p in principles}
        data = [{"id": k, "verdict": v} for k, v in data.items()]
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("verdict", item.get("status")), str):
                for pid in refs(str(item.get("id", ""))):
                    v = classify_verdict(item.get("verdict", item.get("status")))
                    if v:
                        out.setdefault(pid, v)
        if out:
            return out

    summary: tuple[str, set[str]] | None = None
    for line in text.splitlines():
        sm = _SUMMARY.match(line)
        if sm:
            content = sm.group(1)
            if _NONE.match(content):
                summary = ("none", set())
            elif refs(content):  # "Violation: it gives steps" names no principle: not a summary
                summary = ("list", refs(content))
            continue
        if _ALL_OK.search(line):
            summary = summary or ("none", set())
            continue
        m = _LINE_PREFIX.match(line)
        pid, rest = _leading_ref(line[m.end():], pats, by_num, m.group(1))
        if pid is None:
            continue  # prose that does not start with a principle: too ambiguous to assign
        ptext = next(p.text for p in principles if p.id == pid)
        rest = re.sub(re.escape(ptext.rstrip(".")), " ", rest, flags=re.I)  # an echoed principle says nothing
        v = classify_verdict(rest)
        if v and pid not in out:
            out[pid] = v
    if summary:
        kind, bad = summary
        for p in principles:
            if p.id not in out:
                out[p.id] = "violated" if p.id in bad else "ok"
    return out


class ConstitutionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field("recipes/constitutions/default.md",
                      description="constitution file (absolute, or relative to the current directory / project root)")
    critic: LLMConfig = Field(default_factory=lambda: LLMConfig(model=DEFAULT_MODEL),
                              description="{engine, model, options, sampling} of the critic")
    reviser: LLMConfig | None = Field(None, description="{engine, model, options, sampling} of the reviser; default: the critic")
    max_rounds: int = Field(2, ge=0, le=10, description="k: at most this many revisions per sample (0 = critique only)")
    critique_template: str = Field("recipes/prompts/critique.txt",
                                   description="critic prompt; placeholders {prompt} {response} {principles}")
    revise_template: str = Field("recipes/prompts/revise.txt",
                                 description="reviser prompt; placeholders {prompt} {response} {critique} {violations}")
    unknown: Literal["skip", "ok", "violated"] = Field("skip", description="how a principle without a parseable verdict counts")


@dataclass
class _State:
    """One sample's progress through the rounds."""

    idx: int
    prompt: str
    initial: str
    current: str
    critiques: list[dict] = field(default_factory=list)
    revisions: list[dict] = field(default_factory=list)
    cost: float = 0.0
    error: str | None = None


class Constitution(Verifier):
    name = "constitution"
    version = "1"
    requires = ("messages", "completion")

    def __init__(self, path: str = "recipes/constitutions/default.md", critic: dict | None = None,
                 reviser: dict | None = None, max_rounds: int = 2,
                 critique_template: str = "recipes/prompts/critique.txt",
                 revise_template: str = "recipes/prompts/revise.txt",
                 unknown: str = "skip", **options: Any):
        super().__init__(**options)
        kw: dict[str, Any] = dict(path=path, reviser=reviser, max_rounds=max_rounds, critique_template=critique_template,
                                  revise_template=revise_template, unknown=unknown)
        if critic is not None:
            kw["critic"] = critic
        try:
            self.cfg = ConstitutionConfig(**kw)
        except ValidationError as e:
            raise ValueError(config_error("constitution", e)) from None
        # Files are read once here, on the driver, so Ray workers need only the pickled text.
        self.principles = parse_constitution(read_text(self.cfg.path, "constitution.path"))
        self.critique_template = read_text(self.cfg.critique_template, "constitution.critique_template")
        self.revise_template = read_text(self.cfg.revise_template, "constitution.revise_template")
        for what, tpl, need in (("critique_template", self.critique_template, {"response", "principles"}),
                                ("revise_template", self.revise_template, {"response"})):
            missing = need - placeholders(tpl)
            if missing:
                raise ValueError(f"constitution.{what}: template lacks placeholder(s) {sorted('{' + m + '}' for m in missing)}")
        self.critic = LLM(self.cfg.critic, role="constitution-critic")
        # Sharing one engine when the reviser is the critic halves memory and load time (pickle keeps
        # the sharing: both attributes refer to one object in the pickle memo).
        self.reviser = self.critic if self.cfg.reviser is None or self.cfg.reviser == self.cfg.critic \
            else LLM(self.cfg.reviser, role="constitution-reviser")
        self._principles_text = "\n".join(f"{p.number}. [{p.id}] {p.text}" for p in self.principles)
        self._sha = sha([p.id for p in self.principles], [p.text for p in self.principles], n=16)

    # ------------------------------------------------------------------ one sample = a batch of one
    def verify(self, sample: dict) -> Verdict:
        return self.verify_batch([sample])[0]

    def verify_batch(self, samples: list[dict]) -> list[Verdict]:
        self.check_columns(samples)
        out: list[Verdict | None] = [None] * len(samples)
        states: list[_State] = []
        for i, s in enumerate(samples):
            try:
                completion = s.get("completion")
                if not isinstance(completion, str) or not completion.strip():
                    out[i] = Verdict(None, "empty completion", version=self.version)
                    continue
                states.append(_State(i, conversation_text(s), completion, completion))
            except Exception as e:  # a malformed row is this row's problem only
                out[i] = Verdict(None, f"bad row: {type(e).__name__}: {e}"[:500], version=self.version)
        try:
            self._run(states)
        except Exception as e:  # never fail the batch: every pending sample gets the error as reason
            log.exception("constitution: batch of %d failed", len(states))
            for st in states:
                st.error = st.error or f"verifier error: {type(e).__name__}: {e}"[:500]
        for st in states:
            out[st.idx] = self._verdict(st)
        return out  # type: ignore[return-value]

    def _run(self, states: list[_State]) -> None:
        active = list(states)
        for r in range(self.cfg.max_rounds + 1):
            if not active:
                break
            results = self.critic.chat_batch([self._critique_messages(st) for st in active])
            for st, res in zip(active, results):
                st.cost += res.cost
                err = result_error(res)
                verdicts = {} if err else parse_principle_verdicts(res.text, self.principles)
                st.critiques.append({
                    "round": r, "response": st.current, "critique": res.text or "", "error": err,
                    "verdicts": {p.id: verdicts.get(p.id, "unknown") for p in self.principles},
                })
                if err:
                    st.error = f"critic error in round {r}: {err}"[:500]
            if r == self.cfg.max_rounds:
                break
            todo = [st for st in active if st.error is None and self._violated(st.critiques[-1])]
            if not todo:
                break
            results = self.reviser.chat_batch([self._revise_messages(st) for st in todo])
            active = []
            for st, res in zip(todo, results):
                st.cost += res.cost
                err = result_error(res)
                st.revisions.append({"round": r + 1, "text": res.text or "", "error": err})
                if err:  # keep the last good text; its critique stays the final one
                    log.warning("constitution: reviser failed on row %d: %s", st.idx, err)
                    continue
                st.current = res.text.strip()
                active.append(st)

    def _critique_messages(self, st: _State) -> list[dict]:
        text = render(self.critique_template, prompt=st.prompt, response=st.current, principles=self._principles_text)
        return [{"role": "user", "content": text}]

    def _revise_messages(self, st: _State) -> list[dict]:
        last = st.critiques[-1]
        viol = "\n".join(f"{p.number}. [{p.id}] {p.text}" for p in self.principles if p.id in self._violated(last))
        text = render(self.revise_template, prompt=st.prompt, response=st.current, critique=last["critique"].strip(),
                      violations=viol)
        return [{"role": "user", "content": text}]

    def _violated(self, critique: dict) -> list[str]:
        """Ids that count as violated under the ``unknown`` policy."""
        bad = {"violated", "unknown"} if self.cfg.unknown == "violated" else {"violated"}
        return [pid for pid, v in critique["verdicts"].items() if v in bad]

    def _verdict(self, st: _State) -> Verdict:
        good = [c for c in st.critiques if c["error"] is None]
        details = {
            "initial": st.initial,
            "revised": st.current,
            "rounds": sum(1 for x in st.revisions if x["error"] is None),
            "critiques": [{"round": c["round"], "response": c["response"], "critique": c["critique"], "error": c["error"],
                           "violated": [k for k, v in c["verdicts"].items() if v == "violated"],
                           "unknown": [k for k, v in c["verdicts"].items() if v == "unknown"]} for c in st.critiques],
            "revisions": st.revisions,
            "principles": {p.id: [c["verdicts"][p.id] for c in st.critiques] for p in self.principles},
            "constitution": self._sha,
            "unknown_policy": self.cfg.unknown,
        }
        if st.error or not good or good[-1]["response"] != st.current:
            return Verdict(None, st.error or "no critique", cost=st.cost, version=self.version, details=details)
        final = good[-1]["verdicts"]
        violated = self._violated(good[-1])
        unknown = [k for k, v in final.items() if v == "unknown"]
        if self.cfg.unknown == "skip":
            judged = [k for k, v in final.items() if v != "unknown"]
            if not judged:
                return Verdict(None, f"critic gave no parseable verdict on any of {len(final)} principles",
                               cost=st.cost, version=self.version, details=details)
            score = 1 - len(violated) / len(judged)
        else:
            score = 1 - len(violated) / len(final)
        n = details["rounds"]
        if violated:
            reason = f"violates {', '.join(violated)} after {n} revision(s)"
        else:
            reason = f"no principle violated after {n} revision(s)"
        failed = [x for x in st.revisions if x["error"]]
        if failed:  # the reviser gave nothing usable: the score is that of the last good text
            reason += f"; reviser error in round {failed[-1]['round']}: {failed[-1]['error']}"
        if unknown and self.cfg.unknown == "skip":
            reason += f"; no verdict for {len(unknown)}: {', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}"
        return Verdict(round(score, 6), reason[:500], cost=st.cost, version=self.version, details=details)

    def close(self) -> None:
        self.critic.close()
        self.reviser.close()


# ---------------------------------------------------------------------- SFT / DPO export (pure)

def constitution_details(row: dict, name: str = "constitution") -> dict | None:
    """The verdict details of ``name`` in a row: ``row["verdicts"][name]["details"]`` (dict or JSON
    string at either level), or ``row["details"]`` for a bare verdict dict. None if absent."""

    def load(x: Any) -> Any:
        if isinstance(x, str):
            try:
                return json.loads(x)
            except ValueError:
                return None
        return x

    verdicts = load(row.get("verdicts"))
    d = None
    if isinstance(verdicts, dict) and isinstance(load(verdicts.get(name)), dict):
        d = load(load(verdicts[name]).get("details"))
    if d is None:
        d = load(row.get("details"))
    return d if isinstance(d, dict) and "initial" in d and "revised" in d else None


def _prompt_messages(row: dict) -> list[dict]:
    m = row.get("messages")
    m = json.loads(m) if isinstance(m, str) and m.strip() else m
    return [x for x in m if x.get("role") != "assistant"] if isinstance(m, list) else []


def sft_example(row: dict, name: str = "constitution", require_revision: bool = True) -> dict | None:
    """TRL conversational prompt-completion record ``{"prompt": [...], "completion": [assistant]}``
    with the revised text; None without details, without a prompt, or (by default) unrevised."""
    d = constitution_details(row, name)
    prompt = _prompt_messages(row)
    if d is None or not prompt or not str(d["revised"]).strip():
        return None
    if require_revision and (not d.get("rounds") or d["revised"] == d["initial"]):
        return None
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": d["revised"]}]}


def dpo_example(row: dict, name: str = "constitution", require_improvement: bool = True) -> dict | None:
    """TRL conversational preference record: chosen = revised, rejected = initial. None when there
    was no revision, or (by default) when the final critique does not show fewer violated principles
    than the first one (a revision that did not help is not a preference signal)."""
    d = constitution_details(row, name)
    prompt = _prompt_messages(row)
    if d is None or not prompt or not d.get("rounds") or d["revised"] == d["initial"] or not str(d["revised"]).strip():
        return None
    crit = d.get("critiques") or []
    if require_improvement:
        if len(crit) < 2 or crit[-1].get("error") or crit[-1].get("response") != d["revised"]:
            return None
        if not len(crit[-1].get("violated", [])) < len(crit[0].get("violated", [])):
            return None
    return {"prompt": prompt, "chosen": [{"role": "assistant", "content": d["revised"]}],
            "rejected": [{"role": "assistant", "content": d["initial"]}]}
