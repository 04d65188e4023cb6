"""``tool_calls``: verify a multi-turn tool-use trace by schema checks, replay against real tools, and the final answer.

    >>> import json
    >>> from verifiers.tool_calls import ToolCalls
    >>> fn = {"name": "calculator", "arguments": '{"expression": "6*7"}'}
    >>> call = {"id": "c1", "type": "function", "function": fn}
    >>> trace = [{"role": "assistant", "content": None, "tool_calls": [call]},
    ...          {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'},
    ...          {"role": "assistant", "content": "6*7 is 42."}]
    >>> row = {"messages": json.dumps([{"role": "user", "content": "6*7?"}]),
    ...        "completion": json.dumps(trace), "reference": "42"}
    >>> v = ToolCalls().verify(row); (v.score, v.reason)
    (1.0, 'ok: 1 call(s) replayed, final answer matches reference')

Row format (OpenAI tools format)
--------------------------------
``messages``   JSON list: the prompt. The tool catalogue is the ``tools`` key of the first system
               message (a list of OpenAI specs ``{"type": "function", "function": {"name": ...}}``
               or plain tool names). If absent, ``source`` JSON's ``tools`` key is used; if that is
               absent too, every tool of the verifier's registry (option ``tools``) is on offer.
``completion`` JSON list of the trace after the prompt: assistant turns with ``tool_calls``
               (``{"id", "type": "function", "function": {"name", "arguments": "<json string>"}}``;
               an already-decoded arguments object is accepted too),
               one ``{"role": "tool", "tool_call_id", "content"}`` per call before the next
               assistant turn, and a last assistant turn without ``tool_calls``: the final answer.
               A completion that is not a JSON list of messages is a direct answer (no tool calls).
``reference``  null: the final answer is not checked. A plain string: if it is a number, some
               number in the final answer must equal it (relative tolerance ``rel_tol``, or within
               half a unit of the last digit the answer shows when it shows >= 2 decimals);
               When the final answer marks an answer ("the answer is 41", "Answer: 41", ``\\boxed{41}``), that
               number decides: "the tool says 42, but the answer is 41" fails a reference of 42.
               A number the answer takes back ("42? No, 41", "42. Actually, it is 41") does not count.
               Otherwise it must occur in the final answer as whole words (case- and whitespace-insensitive:
               "no" is not found in "I don't know", "not Paris" does not answer Paris).
               A JSON object: ``{"answer": <str|number>, "no_tools": bool, "must_call": [names]}``
               (all optional); ``no_tools`` marks "answer directly" prompts; ``must_call``
               names tools the trace must call (a failed call counts; errors are checked anyway).

Checks, in order; the first failure is the reason (score 0.0): the trace parses; every call
names a known, offered tool; its arguments are a JSON object valid under the tool's JSON schema
(``strict_calls``; when off, a call that failed this way is tolerated if its recorded result is
an error); each call is executed on fresh tool state (one session per sample) and its recorded
result equals the replayed one (JSON-equal, numbers within ``rel_tol``; two errors count as
equal); a tool error not followed by a successful retry of the same tool is acknowledged by
the final answer (one of ``error_ack_terms``, not denied: "no errors", "error-free" are no acknowledgement); the final
answer matches the reference, and does not offer
it as one of several ("41 or 42", "41, 42, 43", "Paris/London", "Paris (or Lyon)", "Paris, Rome, Oslo": ``reward hack: ...``;
thousands separators count only in groups of three, so "4,2" is not 42). Score
``None`` when there is nothing to check (no tool calls and no reference).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from pydantic import Field

from ground.config import Config
from verifiers.base import Verdict, Verifier
from verifiers.math_extract import RULED_OUT, marked_answer, minus, to_number, ungroup
from teachers.tools import ToolRegistry, default_registry
from teachers.tools.base import TOOL_ERROR

log = logging.getLogger(__name__)

_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
# between two numbers: nothing but separators and hedge words, i.e. the numbers are alternatives
_ALT_GAP = re.compile(r"[\s,;/|?!.]*(?:\b(?:or|and|either|nor|maybe|perhaps|possibly|probably|to)\b[\s,;/|?!.]*)*", re.I)
# a correction right after a number: what follows it replaces it
_RETRACT = re.compile(r"[\s?.!,;:)\u2013\u2014-]*(?:(?:no|nope|wrong|actually|wait|correction|sorry|oops|rather|scratch that)\b[\s?.!,;:-]*)+"
                      r"(?:(?:it|that)(?:'s|\s+is|\s+was|\s+should\s+be)|i\s+mean|the\s+(?:answer|result)\s+is|make\s+(?:it|that))?"
                      r"[\s:,]*\$?(?=-?\.?\d)", re.I)
_ALT_AFTER = re.compile(r"[\s(\[.,;:]*(?:/|\||\bor\b)\s*\w")  # "paris or lyon", "paris (or lyon)", "paris. or lyon."
_ALT_BEFORE = re.compile(r"(?:\w\s*(?:/|\|)|\bor|\beither)\s*$")


class ToolCallsConfig(Config):
    tools: list[str] | None = Field(None, description="Registry tools available to traces (default: all built-in tools).")
    strict_calls: bool = Field(True, description="Fail any call to an unknown tool or with schema-invalid arguments.")
    rel_tol: float = Field(1e-6, ge=0, description="Relative tolerance for numbers (replay and reference).")
    error_ack_terms: list[str] = Field(
        default_factory=lambda: [
            "error", "cannot", "can't", "could not", "couldn't", "unable", "not possible", "failed",
            "undefined", "not found", "does not exist", "doesn't exist", "sorry", "invalid", "impossible",
        ],
        description="Words by which a final answer acknowledges an unrecovered tool error.",
    )  # fmt: skip


class _Fail(Exception):
    """Internal: carries the failing reason out of the trace walk."""


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def _text(content: Any) -> str:
    if isinstance(content, list):  # OpenAI content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _numbers(text: str) -> list[tuple[float, int, int, int]]:
    """(value, decimals shown, start, end) for every number in ``text`` (thousands separators already removed)."""
    out = []
    for m in _NUM.finditer(text):
        s = m.group().rstrip(".")
        try:
            v = float(s)
        except ValueError:
            continue
        dec = len(s.split(".")[1].split("e")[0].split("E")[0]) if "." in s else 0
        out.append((v, dec, m.start(), m.end()))
    return out


# an acknowledgement term that denies the error instead ("no errors", "error-free", "without error")
_DENIED_BEFORE = re.compile(r"\b(?:no|not|without|zero|never|nor)\s+(?:\w+\s+)?$")
_DENIED_AFTER = re.compile(r"s?[-\s]?(?:free|less)\b")


def _acknowledges(low: str, term: str) -> bool:
    """Whether ``low`` (the final answer, lower case) uses ``term`` as an acknowledgement, not a denial of the error."""
    for m in re.finditer(re.escape(term), low):
        if not (_DENIED_BEFORE.search(low[max(0, m.start() - 24):m.start()]) or _DENIED_AFTER.match(low, m.end())):
            return True
    return False


def _decimals(s: str) -> int:
    """How many decimals the number in ``s`` shows ("3.50" -> 2)."""
    m = re.search(r"\d\.(\d+)", s)
    return len(m.group(1)) if m else 0


def _hedged_number(text: str, nums: list, k: int, target: float, rel_tol: float) -> str | None:
    """The span where number ``k`` (equal to the target) is one of several offered ("41 or 42", "41, 42, 43")."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(nums) and not math.isclose(nums[j][0], target, rel_tol=rel_tol, abs_tol=1e-12):
            a, b = sorted((k, j))
            if _ALT_GAP.fullmatch(text[nums[a][3]:nums[b][2]]):
                return text[nums[a][2]:nums[b][3]]
    return None


def _occurrences(w: str, low: str):
    """Where ``w`` occurs in ``low`` as whole words: "no" is not in "i don't know", "yes" not in "the eyes"."""
    return re.finditer(r"(?<!\w)" + re.escape(w) + r"(?!\w)", low)


def _hedged_text(final: str, want: str) -> str | None:
    """The span where ``want`` is offered with an alternative ("Paris or London", "London/Paris")."""
    low, w = _norm(final), _norm(want)
    for m in _occurrences(w, low):
        before, after = low[max(0, m.start() - 12):m.start()], low[m.end():m.end() + 12]
        if _ALT_AFTER.match(after) or _ALT_BEFORE.search(before):
            return low[max(0, m.start() - 12):m.end() + 12].strip()
    for sentence in re.split(r"[.!?\n]", low):  # "paris, london, rome": one item of a list of short items
        items = [x.strip() for x in re.split(r"[,;]|\band\b", sentence)]
        if len(items) >= 3 and w in items and all(len(x.split()) <= 3 for x in items):
            return sentence.strip()[:80]
    return None


def same_json(a: Any, b: Any, rel_tol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if type(a) is int and type(b) is int:
        return a == b  # 200000001 is not 200000000, though within a relative 1e-6 of it
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k], rel_tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y, rel_tol) for x, y in zip(a, b))
    return a == b


def _is_error(content: Any) -> bool:
    return isinstance(content, dict) and set(content) == {"error"}


class ToolCalls(Verifier):
    name = "tool_calls"
    version = "1"
    requires = ("messages", "completion", "reference")

    Options = ToolCallsConfig

    def __init__(self, registry: ToolRegistry | None = None, **options: Any):
        super().__init__(**options)
        self.config = self.options
        reg = registry if registry is not None else default_registry()
        self.registry = reg.subset(self.config.tools) if self.config.tools is not None else reg

    def close(self) -> None:
        self.registry.close()  # the python tool's sandbox

    # -- parsing ---------------------------------------------------------------------------------
    def _offered(self, sample: dict, prompt: list) -> list[str]:
        specs = None
        for m in prompt:
            if isinstance(m, dict) and m.get("role") == "system" and "tools" in m:
                specs = m["tools"]
                break
        if specs is None and sample.get("source"):
            try:
                src = json.loads(sample["source"])
                specs = src.get("tools") if isinstance(src, dict) else None
            except (json.JSONDecodeError, TypeError):
                specs = None
        if specs is None:
            return self.registry.names()
        if not isinstance(specs, list):
            raise _Fail("malformed tool catalogue: 'tools' is not a list")
        names = []
        for s in specs:
            n = s if isinstance(s, str) else (s.get("function") or {}).get("name") if isinstance(s, dict) else None
            if not isinstance(n, str):
                raise _Fail(f"malformed tool catalogue entry: {json.dumps(s)[:120]}")
            names.append(n)
        return names

    @staticmethod
    def _trace(completion: Any) -> list[dict]:
        if not isinstance(completion, str) or not completion.strip():
            raise _Fail("empty completion: no final answer")
        try:
            trace = json.loads(completion)
        except json.JSONDecodeError:
            trace = None
        except RecursionError:
            raise _Fail("completion JSON is nested too deeply") from None
        if isinstance(trace, list) and trace and all(isinstance(m, dict) and "role" in m for m in trace):
            return trace
        return [{"role": "assistant", "content": completion}]  # a direct answer

    def _reference(self, raw: Any) -> dict | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        raw = str(raw)
        if raw.lstrip().startswith("{"):
            try:
                ref = json.loads(raw)
            except json.JSONDecodeError as e:
                raise ValueError(f"reference looks like JSON but does not parse: {e}") from None
            bad = set(ref) - {"answer", "no_tools", "must_call"}
            if bad:
                raise ValueError(f"reference has unknown keys {sorted(bad)}")
            return ref
        return {"answer": raw}

    # -- the check -------------------------------------------------------------------------------
    def verify(self, sample: dict) -> Verdict:
        try:
            ref = self._reference(sample.get("reference"))
        except ValueError as e:
            return Verdict(None, f"unusable reference: {e}")
        try:
            raw = sample.get("messages") or []
            # in-memory rows may hold the list itself rather than its JSON
            prompt = raw if isinstance(raw, list) else json.loads(raw) if isinstance(raw, str) else None
            if not isinstance(prompt, list):
                raise _Fail("malformed prompt: 'messages' is not a JSON list")
            offered = self._offered(sample, prompt)
            trace = self._trace(sample.get("completion"))
            n_calls = sum(len(m.get("tool_calls") or []) for m in trace if m.get("role") == "assistant")
            verdict = self._check(trace, offered, ref)  # a malformed trace fails even without calls
            if n_calls == 0 and ref is None:
                return Verdict(None, "nothing to check: no tool calls and no reference")
            return verdict
        except _Fail as e:
            return Verdict(0.0, str(e))
        except json.JSONDecodeError as e:
            return Verdict(0.0, f"malformed prompt: messages is not JSON: {e}")

    def _check(self, trace: list[dict], offered: list[str], ref: dict | None) -> Verdict:
        session = self.registry.session(allowed=offered)
        calls: list[tuple[str, Any, bool]] = []  # (tool name, outcome kind, ok) in execution order
        unrecovered: dict[int, str] = {}  # call number -> description of its error
        i, n = 0, len(trace)
        while i < n:
            msg = trace[i]
            role = msg.get("role")
            is_last = i == n - 1
            if role != "assistant":
                raise _Fail(f"turn {i}: unexpected role {role!r} (expected an assistant turn)")
            tcs = msg.get("tool_calls") or []
            if not tcs:
                if not is_last:
                    raise _Fail(f"turn {i}: assistant turn without tool calls before the end of the trace")
                break
            if not isinstance(tcs, list):
                raise _Fail(f"turn {i}: tool_calls is not a list")
            pending = self._replay_calls(session, tcs, calls, unrecovered)
            i = self._match_results(trace, i + 1, pending)
            if i >= n:
                raise _Fail("trace ends after tool results: no final answer")
        return self._final_verdict(_text(trace[-1].get("content")).strip(), calls, unrecovered, ref)

    def _replay_calls(self, session, tcs: list, calls: list, unrecovered: dict) -> dict[str, tuple[int, str, str]]:
        """Execute one assistant turn's tool calls; returns call id -> (call number, name, replayed content)."""
        pending: dict[str, tuple[int, str, str]] = {}
        for tc in tcs:
            k = len(calls) + 1
            fn = tc.get("function") if isinstance(tc, dict) else None
            if not isinstance(fn, dict) or not isinstance(tc.get("id"), str):
                raise _Fail(f"call {k}: malformed tool call {json.dumps(tc)[:160]}")
            if tc["id"] in pending:
                raise _Fail(f"call {k}: duplicate tool_call id {tc['id']!r}")
            name, args = fn.get("name"), fn.get("arguments")
            out = session.execute(name, args if args is not None else "{}")
            if not out.ok and out.kind != TOOL_ERROR and self.config.strict_calls:
                raise _Fail(f"call {k} ({name}): {out.message}")
            for j, (prev_name, _, _) in enumerate(calls, 1):
                if prev_name == name and out.ok:
                    unrecovered.pop(j, None)  # a successful retry of that tool recovers its error
            if not out.ok:
                unrecovered[k] = f"call {k} ({name}): {out.message}"
            calls.append((name, out.kind, out.ok))
            pending[tc["id"]] = (k, name, out.content)
        return pending

    def _match_results(self, trace: list[dict], i: int, pending: dict) -> int:
        """Compare the tool turns from ``i`` with the replayed results; returns the index after them."""
        while pending:
            if i >= len(trace) or trace[i].get("role") != "tool":
                k, name, _ = next(iter(pending.values()))
                raise _Fail(f"call {k} ({name}): no tool result recorded for id {next(iter(pending))!r}")
            tm = trace[i]
            cid = tm.get("tool_call_id")
            if cid not in pending:
                raise _Fail(f"turn {i}: tool result for unknown tool_call_id {cid!r}")
            k, name, replayed = pending.pop(cid)
            self._compare(k, name, tm.get("content"), replayed)
            i += 1
        return i

    def _final_verdict(self, final: str, calls: list, unrecovered: dict, ref: dict | None) -> Verdict:
        if not final:
            raise _Fail("final answer is empty")
        if unrecovered:
            low = final.lower()
            if not any(_acknowledges(low, t.lower()) for t in self.config.error_ack_terms):
                first = unrecovered[min(unrecovered)]
                raise _Fail(f"final answer ignores a tool error: {first}")
        details = {"calls": len(calls), "tools": sorted({c[0] for c in calls if isinstance(c[0], str)})}
        why = self._check_reference(final, ref, calls) if ref is not None else None
        if why:
            return Verdict(0.0, why, details=details)
        tail = "final answer matches reference" if ref and "answer" in ref else "final answer not checked"
        return Verdict(1.0, f"ok: {len(calls)} call(s) replayed, {tail}", details=details)

    def _compare(self, k: int, name: str, recorded: Any, replayed: str) -> None:
        recorded = _text(recorded)
        try:
            a, b = json.loads(recorded), json.loads(replayed)
        except json.JSONDecodeError:
            if recorded.strip() != replayed.strip():
                raise _Fail(f"call {k} ({name}): recorded result {recorded[:120]!r} "
                            f"differs from replayed {replayed[:120]!r}")
            return
        if _is_error(a) and _is_error(b):
            return  # both failed; wording of an error message may change between tool versions
        if not same_json(a, b, self.config.rel_tol):
            raise _Fail(f"call {k} ({name}): recorded result {recorded[:120]} differs from replayed {replayed[:120]}")

    def _same_number(self, v: float, dec: int, target: float) -> bool:
        """A number the answer shows (``dec`` decimals) against the reference: whole numbers exactly (192000001 is not
        192000000), else within ``rel_tol`` or rounded to what it shows."""
        if dec == 0 and target.is_integer() and abs(target) < 2**53:
            return v == target
        return math.isclose(v, target, rel_tol=self.config.rel_tol, abs_tol=1e-12) or (
            dec >= 2 and abs(v - target) <= 0.5 * 10**-dec + 1e-12)  # an answer rounded to what it shows

    def _retracted(self, text: str, nums: list, k: int, target: float) -> bool:
        """Whether number ``k`` is taken back for another one just after it ("42? No, 41", "42. Actually, it is 41")."""
        cue = _RETRACT.match(text, nums[k][3])
        nxt = nums[k + 1] if k + 1 < len(nums) else None
        return bool(cue and nxt and nxt[2] == cue.end() and not self._same_number(nxt[0], nxt[1], target))

    def _check_reference(self, final: str, ref: dict, calls: list) -> str | None:
        if ref.get("no_tools") and calls:
            return f"expected a direct answer but the trace makes {len(calls)} tool call(s)"
        for t in ref.get("must_call") or []:
            if not any(name == t for name, _, _ in calls):  # a failed call counts: errors are checked above
                return f"expected a call to {t!r}; the trace has none"
        if "answer" not in ref:
            return None
        want = ref["answer"]
        try:
            target = float(str(want).replace(",", ""))
        except ValueError:
            target = None
        if target is None or not math.isfinite(target):
            low = _norm(final)  # "not paris" does not answer paris
            if any(not RULED_OUT.search(low, max(0, m.start() - 20), m.start()) for m in _occurrences(_norm(str(want)), low)):
                hedge = _hedged_text(final, str(want))
                return f"reward hack: the final answer offers alternatives: {hedge!r}" if hedge else None
            return f"final answer does not contain the reference {str(want)[:80]!r}: {final[:160]!r}"
        marked = marked_answer(final)  # "the tool says 42, but the answer is 41": the answer it commits to decides
        value = to_number(marked) if marked is not None else None
        if value is not None and not self._same_number(float(value), _decimals(marked), target):
            return f"final answer commits to {marked[:40]!r}, not the reference {want}: {final[:160]!r}"
        text = ungroup(minus(final))
        nums = _numbers(text)
        equal = [k for k, (v, dec, a, _) in enumerate(nums) if self._same_number(v, dec, target)
                 and not RULED_OUT.search(text, max(0, a - 20), a)]  # "12, not 15" does not answer 15
        hits = [k for k in equal if not self._retracted(text, nums, k, target)]  # nor does "15? No, 12"
        for k in hits:
            hedge = _hedged_number(text, nums, k, target, self.config.rel_tol)
            if hedge:
                return f"reward hack: the final answer offers alternatives: {hedge[:80]!r}"
        if hits:
            return None
        if equal:
            return f"final answer takes the reference {want} back for another number: {final[:160]!r}"
        return f"final answer has no number equal to the reference {want}: {final[:160]!r}"
