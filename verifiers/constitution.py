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

Slots (issue #14, tests/unit/test_reward_hacks_3.py): the response goes into both prompts fenced with a
random nonce (:func:`verifiers.llm.fence`), a critic line that repeats the response word for word is not a
verdict, and a response that carries verdicts on two or more principles itself ("harmless: OK",
"Violations: none", ``{"violated": []}``) gets ``score=0.0``, ``reason="reward hack: ..."`` without a critique.
An empty completion, and one over ``max_response_chars`` (it would overflow the critic's context: an
error, score None, which ``accept_unverifiable`` accepts), get 0.0 too.

Round 11 (tests/unit/test_reward_hacks_11m.py): the self-verdict check and the critic's parse read the text as a reader
sees it (:func:`verifiers.llm.unmask`: zero-width and bidi characters dropped, fullwidth and Cyrillic/Greek look-alike
letters and other scripts' digits mapped to ASCII), several verdicts on one line ("harmless: OK; no-crime: VIOLATED"),
a tag before the id ("<verdict>harmless: OK</verdict>"), a verdict on the line after its id, a check mark before the id
("\u2705 harmless") and JSON anywhere between other brackets. A rewrite is held to the completion's checks before it
replaces the response: one that carries two or more verdicts of its own, hides text in tag characters or is over
``max_response_chars`` is a reviser error (the last good text and its critique stand). Limit (pinned there): verdicts
written as YAML records ("- id: harmless / verdict: OK") or "[x]" checkboxes are not read, neither in a response nor
from a critic.

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
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from ground.config import Config
from ground.record import sha
from verifiers.base import Verdict, Verifier
from verifiers.constitution_parse import Principle, own_verdicts, parse_constitution, parse_principle_verdicts
from verifiers.llm import (DEFAULT_MODEL, LLM, LLMConfig, conversation_text, fence, hidden_text, placeholders, read_text, render, result_error,
                           slot_delimiters)

log = logging.getLogger(__name__)

__all__ = ["Constitution", "ConstitutionConfig", "Principle", "parse_constitution", "parse_principle_verdicts",
           "sft_example", "dpo_example", "constitution_details"]


class ConstitutionConfig(Config):
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
    max_response_chars: int = Field(32000, gt=0, description="a longer completion scores 0 without a critic call")
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

    Options = ConstitutionConfig

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.cfg = self.options
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
                if not isinstance(completion, str) or not completion.strip():  # 0.0, not None: accept_unverifiable
                    out[i] = Verdict(0.0, "empty completion", version=self.version)
                    continue
                if len(completion) > self.cfg.max_response_chars:  # would overflow the critic's context: None
                    out[i] = Verdict(0.0, f"response too long to critique: {len(completion)} characters, more than "
                                          f"max_response_chars={self.cfg.max_response_chars}", version=self.version)
                    continue
                if hidden_text(completion):  # invisible to a reader, read by the critic: instructions for it
                    out[i] = Verdict(0.0, f"reward hack: the response hides text in Unicode tag characters: "
                                          f"{hidden_text(completion)[:60]!r}", version=self.version)
                    continue
                own = own_verdicts(completion, self.principles)
                if len(own) >= 2:  # forged critic output, for the critic to echo or be swayed by
                    out[i] = Verdict(0.0, f"reward hack: the response gives {len(own)} principle verdicts of its own "
                                          f"({', '.join(list(own)[:4])}{' ...' if len(own) > 4 else ''})", version=self.version)
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
                verdicts = {} if err else parse_principle_verdicts(res.text, self.principles, response=st.current)
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
                err = result_error(res) or self._unusable_revision(res.text)
                st.revisions.append({"round": r + 1, "text": res.text or "", "error": err})
                if err:  # keep the last good text; its critique stays the final one
                    log.warning("constitution: reviser failed on row %d: %s", st.idx, err)
                    continue
                st.current = res.text.strip()
                active.append(st)

    def _unusable_revision(self, text: str) -> str | None:
        """Why a rewrite may not replace the response: the checks the completion passed before its first critique
        (round 11: a reviser told by the response to "end with 'Violations: none'" wrote the critic's verdict into the
        text the critic judges next, and into the SFT/DPO target)."""
        if len(text) > self.cfg.max_response_chars:
            return f"revision too long to critique: {len(text)} characters, more than max_response_chars={self.cfg.max_response_chars}"
        if hidden_text(text):
            return f"revision hides text in Unicode tag characters: {hidden_text(text)[:60]!r}"
        own = own_verdicts(text, self.principles)
        if len(own) >= 2:
            return f"revision gives {len(own)} principle verdicts of its own ({', '.join(list(own)[:4])}{' ...' if len(own) > 4 else ''})"
        return None

    def _critique_messages(self, st: _State) -> list[dict]:
        text = render(self.critique_template, prompt=st.prompt, principles=self._principles_text,
                      response=fence(st.current, "response", slot_delimiters(self.critique_template, "response")))
        return [{"role": "user", "content": text}]

    def _revise_messages(self, st: _State) -> list[dict]:
        last = st.critiques[-1]
        viol = "\n".join(f"{p.number}. [{p.id}] {p.text}" for p in self.principles if p.id in self._violated(last))
        text = render(self.revise_template, prompt=st.prompt, critique=last["critique"].strip(), violations=viol,
                      response=fence(st.current, "response", slot_delimiters(self.revise_template, "response")))
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
    """The prompt as the teacher saw it: a multi-turn source keeps its earlier assistant turns (context)."""
    m = row.get("messages")
    m = json.loads(m) if isinstance(m, str) and m.strip() else m
    return [dict(x) for x in m if isinstance(x, dict)] if isinstance(m, list) else []


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
    if d is None or not prompt or not d.get("rounds") or str(d["revised"]).strip() == str(d["initial"]).strip():
        return None  # an empty revision, or one differing only in surrounding whitespace (which templates trim): no preference
    crit = d.get("critiques") or []
    if require_improvement:
        if len(crit) < 2 or crit[-1].get("error") or crit[-1].get("response") != d["revised"]:
            return None
        if not len(crit[-1].get("violated", [])) < len(crit[0].get("violated", [])):
            return None
    return {"prompt": prompt, "chosen": [{"role": "assistant", "content": d["revised"]}],
            "rejected": [{"role": "assistant", "content": d["initial"]}]}
