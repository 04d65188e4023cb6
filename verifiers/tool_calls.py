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
thousands separators count only in groups of three, so "4,2" is not 42). Round 6 (tests/unit/test_reward_hacks_6.py):
``<think>`` blocks are not the answer; several different marked answers ("\\boxed{41} \\boxed{42}"), a margin ("42 ± 1"),
a bound ("at least 42", "42+"), candidates in parallel clauses ("Step 1 gives 40. Step 3 gives 42."), a tool result
the trace never asked for ("the calculator returned 42" without a calculator call), "Yes and no", "Paris\\nLondon"
are ``reward hack: ...``; a marked answer decides ("Answer: London. Paris" fails Paris; "... 400-240 ... The answer
is 160." passes 160); a decimal must be less than one unit of its last digit off ("42.0000001" is not 42); a JSON key
repeated in a call's arguments or a recorded result fails the call. Round 9 (tests/unit/test_reward_hacks_9m.py): a number
whose suffix changes its value ("42 thousand", "42k", "42^2", "42\u00b2", "42 \u00d7 10^3", "42i", "42x") is not that number,
and one followed by a hedged aside ("42 (41 if we round down)", "42, or 41 if ...") offers alternatives. Round 10
(tests/unit/test_reward_hacks_10m.py): ``$``, ``**``, ``\\(`` around numbers are read as spaces ("$42$ or $41$" offers
alternatives); zero-width characters are dropped ("42\u200b1" is 421); a digit under a combining mark ("42\u0336") is
struck, not stated; an arrow after the number replaces it ("42 \u2192 41"); a number asked ("Is it 42?") is not an
answer; ``<answer>41</answer>`` and "Final answer - 41" / "Answer = 41" mark the answer; "4.2 \u00d7 10^1" is 42; the
parallel-clause check reads each clause once (linear in the answer's length). Limit (pinned there): Markdown
strike-through ("~~42~~ 41") is not read as struck. Round 11 (tests/unit/test_reward_hacks_11m.py): a number the final
answer quotes as a called tool's result ("The calculator returned 41.", "the tool's result was 41") must be in that
tool's replayed results (rounded to the digits shown), reference or not: ``reward hack: the final answer says ...
returned 41, which no result of it holds``. Limit (pinned there): only a quoting verb or "result was" right before a
number standing alone is read; "according to the calculator, the result is 41", "calculator(6*7) = 41" and "returned
41 apples" are not checked. Score
``None`` when there is nothing to check (no tool calls and no reference).
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import re
from typing import Any

from pydantic import Field

from ground.config import Config
from verifiers.base import Verdict, Verifier
from verifiers.math_extract import (RULED_OUT, STRUCK, final_answers, marked_answer, minus, offered_after, same_answer, strip_reasoning, to_number,
                                    ungroup)
from teachers.tools import ToolRegistry, default_registry
from teachers.tools.base import TOOL_ERROR

log = logging.getLogger(__name__)

_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
# between two numbers: nothing but separators and hedge words, i.e. the numbers are alternatives
_ALT_GAP = re.compile(r"[\s,;/|?!.]*(?:\b(?:or|and|either|nor|maybe|perhaps|possibly|probably|to|alternatively)\b[\s,;/|?!.]*)*", re.I)
# a correction right after a number: what follows it replaces it
_RETRACT = re.compile(r"[\s?.!,;:)\u2013\u2014-]*(?:(?:(?:no|nope|wrong|actually|wait|correction|sorry|oops|rather|scratch that)\b|"
                      r"->|=>|[\u2192\u21d2\u27f6\u27f9\u21a6]|\\to\b|\\rightarrow\b|\\Rightarrow\b)[\s?.!,;:-]*)+"  # "42 \u2192 41": replaced
                      r"(?:(?:it|that)(?:'s|\s+is|\s+was|\s+should\s+be)|i\s+mean|the\s+(?:answer|result)\s+is|make\s+(?:it|that))?"
                      r"[\s:,]*\$?(?=-?\.?\d)", re.I)
# "42 ± 1", "42 +/- 1", "42 \\pm 1": the number and a margin around it
_PM_AFTER = re.compile(r"\s*(?:[±∓]|\\[pm]m\b|\+\s*/?\s*-)\s*\$?\.?\d")
# a bound, not a value: "at least 42", "more than 42", "42+", "42 or more" (issue #14, round 6)
_BOUND_BEFORE = re.compile(r"(?:\bat\s+(?:least|most)|\b(?:more|less|fewer|greater|larger|smaller|higher|lower|bigger)\s+than|"
                           r"\bup\s+to|\b(?:over|under|above|below|nearly|almost|beyond|exceeding)|(?<![-=])[<>]=?|[≤≥≰≱]|"
                           r"\\[lg]eq?\b|\\[lg]t\b)\s*\$?\s*$", re.I)
_BOUND_AFTER = re.compile(r"\+(?![\s\d.(-]*\d)|\s*(?:or|and)\s+(?:more|less|fewer|above|below|over|under|up|higher|lower|greater|"
                          r"smaller|beyond)\b|\s*plus\b", re.I)
# the opposite of a yes/no/true/false reference standing as an answer of its own: "Yes and no", "Yes/No", "Yes. No."
_OPPOSITE = {"yes": "no", "no": "yes", "true": "false", "false": "true"}
# a claim about what a tool returned: "the calculator returned 42", "according to the calculator", "I asked the tool"
_CLAIM_VERBS = (r"result|results|output|outputs|outputted|answer|answered|response|responded|reply|replied|returned|returns|"
                r"return|says|said|gave|gives|shows|showed|shown|reports|reported|confirms|confirmed|computed|computes|"
                r"calculated|calculates|printed|prints|yielded|yields|found|finds|tells|told|came\s+back")
_ALT_AFTER = re.compile(r"[\s(\[.,;:?!]*(?:/|\||&|\+|\bor\b|\bvs\b|\bversus\b|\bmaybe\b|\bpossibly\b|\bperhaps\b|"
                        r"\balternatively\b)\s*\w")  # "paris or lyon", "paris (or lyon)", "paris. or lyon."
_ALT_BEFORE = re.compile(r"(?:\w\s*(?:/|\|)|\bor|\beither)\s*$")
# what after a number changes its value, so the number alone is not what the answer says: "42 thousand", "42k", "42^2",
# "42\u00b2" (read as 42^{2}), "42 \u00d7 10^3", "42e3" is one number already; "42i", "42x" (imaginary, a variable)
_SCALED = re.compile(r"\s*(?i:hundred|thousand|million|billion|trillion|dozen)s?\b|[kKMBijxyzn](?!\w)|\s*(?:\^|\*\*)"
                     r"|\s*(?:[x\u00d7*\u22c5]|\\times|\\cdot)\s*10\s*(?:\^|\*\*)")


# Markdown and LaTeX wrapped around a number ("$42$ or $41$", "42 (or **41**)", "\\(42\\)"): read as spaces, so the
# number's neighbours are seen; "**" between digits is a power ("42**2") and stays
_WRAPPERS = re.compile(r"\$|\\[()\[\]]|`|(?<!\d)\*\*|\*\*(?!\d)")
# scientific notation written with a times sign ("4.2 \u00d7 10^1", "4.2 \\times 10^{1}", "4.2\u00b710\u00b9"): one number
_SCI = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:[x\u00d7*\u00b7\u22c5]|\\times|\\cdot)\s*10\s*(?:\^|\*\*)\s*\{?\s*(-?\d{1,3})\s*\}?(?!\d|\.\d)")


def _sci(m: re.Match) -> str:
    return f"{m.group(1)}e{m.group(2)}".ljust(len(m.group(0)))


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


_TEXT_PARTS = ("text", "output_text", "input_text")


def _text(content: Any) -> str:
    if isinstance(content, list):  # OpenAI content parts; a "thinking"/"reasoning" part is not the answer
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type", "text") in _TEXT_PARTS)
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


def _claimed_tools(final: str, names: set[str], called: set[str]) -> str | None:
    """A tool the final answer cites a result of ("the calculator returned 42", "I asked the calculator") that the trace
    never calls; "tool" alone when no call at all was made. None when every cited tool was called."""
    low = final.lower()
    for name in sorted(names | {"tool"}):
        if name in called or (name == "tool" and called):
            continue
        t = re.escape(name.lower()).replace("_", "[ _]?")  # unit_convert, "unit convert"
        tool = rf"\b{t}s?(?:\s+tool)?(?:'s)?"
        pats = (rf"{tool}[ \t]+(?:has[ \t]+|had[ \t]+|then[ \t]+)?(?:{_CLAIM_VERBS})\b", rf"\baccording\s+to\s+(?:the\s+|my\s+)?{tool}",
                rf"\b(?:i|we)\s+(?:asked|used|called|ran|queried|checked|consulted|invoked)\s+(?:the\s+|a\s+|my\s+)?{tool}",
                rf"\b(?:using|via|with)\s+(?:the\s+)?{tool}\s*,", rf"\b(?:from|by)\s+the\s+{tool}\b(?!\s+(?:is|was)\s+not)")
        if any(re.search(p, low) for p in pats):
            return name
    return None


# "the calculator returned 41", "the tool's result was 41", "calculator gave me back the value 41": a number quoted as a
# tool's result, standing alone (not "returned 2 keys", not "returned 6*7=42")
_QUOTE_VERBS = (r"returned|returns|gave|gives|says|said|reported|reports|outputs?|outputted|shows|showed|yielded|yields|computed|"
                r"printed|prints|came\s+back\s+with|result\s+(?:is|was|of)|output\s+(?:is|was)|answer\s+(?:is|was)")
_QUOTED_END = re.compile(r"\s*(?:$|[.,;:!?)\]]|\s(?:as|which|so|and|but|when|for)\b)")


def _misquoted(final: str, outputs: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(tool, quoted number, what it returned) for a number the final answer says a called tool returned that none of
    that tool's replayed results holds (round 11: "The calculator returned 41." after a result of 42, a fabricated
    result). "tool" / "tools" stand for any called tool. None when every quoted number is in the results."""
    results: dict[str, list[str]] = {}
    for name, content in outputs:
        results.setdefault(name.lower(), []).append(content)
        results.setdefault("tool", []).append(content)
    low = ungroup(final.lower())
    for name, contents in results.items():
        t = re.escape(name).replace("_", "[ _]?")
        pat = (rf"\b{t}s?(?:\s+tool)?(?:'s)?\s+(?:has\s+|had\s+|then\s+|just\s+)?(?:{_QUOTE_VERBS})\s+(?:me\s+|us\s+)?(?:back\s+)?"
               rf"(?:(?:a|an|the)\s+)?(?:(?:result|value|answer|output|number)\s+)?(?:of\s+|is\s+|was\s+)?[=:]?\s*\$?(-?\d+(?:\.\d+)?)(%?)")
        for m in re.finditer(pat, low):
            if not _QUOTED_END.match(low, m.end()):
                continue
            q = m.group(1)
            v, dec = float(q), len(q.split(".")[1]) if "." in q else 0
            have = [x[0] for c in contents for x in _numbers(ungroup(str(c)))]
            if m.group(2):
                v_alt = [v, v / 100]
            else:
                v_alt = [v]
            if not any(math.isclose(a, h, rel_tol=1e-9, abs_tol=1e-12) or (dec and abs(a - h) <= 0.5 * 10.0**-dec + 1e-12)
                       for a in v_alt for h in have):
                return name, q + m.group(2), "; ".join(str(c) for c in contents)[:80]
    return None


def _parallel(text: str, nums: list, hits: list[int], same) -> list[str | None]:
    """For each number ``k`` in ``hits``, the clause where it is one of parallel candidates: another clause of the same
    words holds a different number in its place ("Step 1 gives 40. ... Step 3 gives 42."), else None. ``same(v, dec)``:
    equal to the target. Each clause is read once (round 10: a pass per hit over every clause took minutes on a final
    answer of 1,000 clauses)."""
    cuts = [0] + [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    spans = [(a, b) for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]
    starts = [n[2] for n in nums]

    def inside(a: int, b: int) -> list:
        return nums[bisect.bisect_left(starts, a):bisect.bisect_left(starts, b)]

    def shape(a: int, b: int) -> str:
        return re.sub(r"\s+", " ", _ORDINALS.sub("#", _NUM.sub("#", text[a:b].lower()))).strip(" .,;:!?\n")

    # other words, same frame: "Step 1 gives 40. Step 2 yields 41. Step 3 results in 42.": clauses that open with the
    # same word and end in a bare number (no unit, no arithmetic before it), three or more, the numbers all different
    def ending(a: int, b: int, ins: list):
        if not ins or text[ins[-1][3]:b].strip(" .,;:!?)\n") or _OPERAND.search(text[a:ins[-1][2]]):
            return None
        head = re.match(r"\W*(\w+)", _ORDINALS.sub("#", _NUM.sub("#", text[a:b].lower())))
        return (head.group(1) if head else "", ins[-1])

    clauses = []  # (start, end, shape, numbers inside, ending)
    by_shape: dict[str, list[int]] = {}
    by_head: dict[str, list[int]] = {}
    for a, b in spans:
        ins = inside(a, b)
        e = ending(a, b, ins)
        by_shape.setdefault(shape(a, b), []).append(len(clauses))
        if e is not None:
            by_head.setdefault(e[0], []).append(len(clauses))
        clauses.append((a, b, ins, e))
    shapes = {i: t for t, idx in by_shape.items() for i in idx}
    first = [c[0] for c in clauses]
    differ: dict[tuple[str, int], list[int]] = {}  # (shape, slot) -> the first two clauses whose number there differs
    frames: dict[str, str | None] = {}  # head word -> the parallel-frame finding, when the frame holds one
    out: list[str | None] = []
    for k in hits:
        w = bisect.bisect_right(first, nums[k][2]) - 1
        if w < 0 or not clauses[w][0] <= nums[k][2] < clauses[w][1]:
            out.append(None)
            continue
        a0, b0, in0, mine = clauses[w]
        slot = in0.index(nums[k])
        key = (shapes[w], slot)
        if key not in differ:
            differ[key] = []
            for i in by_shape[shapes[w]]:
                ins = clauses[i][2]
                if len(ins) == len(in0) and not same(ins[slot][0], ins[slot][1]):
                    differ[key].append(i)
                    if len(differ[key]) == 2:
                        break
        other = next((i for i in differ[key] if i != w), None)
        found = None if other is None else text[clauses[other][0]:clauses[other][1]].strip()[:40] + " / " + text[a0:b0].strip()[:40]
        if found is None and mine is not None and mine[1] is nums[k]:
            if mine[0] not in frames:
                frame = [clauses[i][3] for i in by_head[mine[0]]]
                others = {e[1][0] for e in frame if not same(e[1][0], e[1][1])}
                frames[mine[0]] = (f"{len(frame)} clauses '{mine[0]} ... N': " + ", ".join(text[e[1][2]:e[1][3]] for e in frame)[:60]
                                   if len(frame) >= 3 and len(others) >= 2 and len(others) == len(frame) - 1 else None)
            found = frames[mine[0]]
        out.append(found)
    return out


_ASKED = re.compile(r"[\s)(]*\?(?![\s?.!,;:)\u2013\u2014-]*(?:no|nope|wrong|actually|wait)\b)", re.I)
_OPERAND = re.compile(r"(?:[=+*/\u00d7\u00f7-]|\bx|\btimes|\bplus|\bminus|\bover)\s*\$?\s*$", re.I)


_CLAUSE_END = re.compile(r"(?<!\d)[.;!?]+(?!\d)|[.;!?]+(?=\s)|\n+|,\s+(?!\d{3}\b)")
_ORDINALS = re.compile(r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|next|"
                       r"one|two|three|four|five|six|seven|eight|nine|ten|[a-h])\b")


def _repeated_key(s: str) -> str | None:
    """The first key a JSON text repeats in one object (``{"x": 1, "x": 2}``: which one counts is up to the parser)."""
    found: list[str] = []

    def hook(pairs: list) -> dict:
        keys = [k for k, _ in pairs]
        found.extend(k for i, k in enumerate(keys) if k in keys[:i])
        return dict(pairs)

    try:
        json.loads(s, object_pairs_hook=hook)
    except (json.JSONDecodeError, RecursionError):
        return None
    return found[0] if found else None


def _decimals(s: str) -> int:
    """How many decimals the number in ``s`` shows ("3.50" -> 2)."""
    m = re.search(r"\d\.(\d+)", s)
    return len(m.group(1)) if m else 0


def _hedged_number(text: str, nums: list, k: int, target: float, rel_tol: float) -> str | None:
    """The span where number ``k`` (equal to the target) is one of several offered ("41 or 42", "41, 42, 43")."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(nums) and not math.isclose(nums[j][0], target, rel_tol=rel_tol, abs_tol=1e-12):
            a, b = sorted((k, j))
            if nums[b][2] == nums[a][3] and text[nums[b][2]:nums[b][2] + 1] == "-":
                continue  # "400-240": a subtraction, not "400" then "-240"
            if _ALT_GAP.fullmatch(text[nums[a][3]:nums[b][2]]):
                return text[nums[a][2]:nums[b][3]]
    return None


def _occurrences(w: str, low: str):
    """Where ``w`` occurs in ``low`` as whole words: "no" is not in "i don't know", "yes" not in "the eyes"."""
    return re.finditer(r"(?<!\w)" + re.escape(w) + r"(?!\w)", low)


def _norm_lines(s: str) -> str:
    """Lower case, spaces collapsed inside each line; line breaks kept."""
    return "\n".join(" ".join(x.lower().split()) for x in s.splitlines())


def _hedged_text(final: str, want: str) -> str | None:
    """The span where ``want`` is offered with an alternative ("Paris or London", "London/Paris")."""
    low, w = _norm(final), _norm(want)
    for m in _occurrences(w, low):
        before, after = low[max(0, m.start() - 12):m.start()], low[m.end():m.end() + 12]
        if _ALT_AFTER.match(after) or _ALT_BEFORE.search(before):
            return low[max(0, m.start() - 12):m.end() + 12].strip()
    lines = [re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", x).strip(" .") for x in re.split(r"\n|;", _norm_lines(final))]
    lines = [x for x in lines if re.search(r"\w", x)]
    if len(lines) >= 2 and w in lines and all(len(x.split()) <= 2 for x in lines):  # "Paris\nLondon", "- Paris\n- Rome"
        return " / ".join(lines)[:80]
    for sentence in re.split(r"[.!?\n]", low):  # "paris, london, rome": one item of a list of short items
        items = [x.strip() for x in re.split(r"[,;]|\band\b", sentence)]
        if len(items) >= 3 and w in items and all(len(x.split()) <= 3 for x in items):
            return sentence.strip()[:80]
    return None


# a correction after a text answer, then a capitalised word: "Paris. Actually London.", "Paris -- no, London"
_TEXT_RETRACT = re.compile(r"[\s?.!,;:)\u2013\u2014-]*(?:(?:no|nope|wrong|actually|wait|correction|sorry|oops|rather|i\s+mean|"
                           r"scratch\s+that)\b[\s?.!,;:\u2013\u2014-]*)+(?:(?:it'?s|it\s+is|that'?s|the\s+answer\s+is)\s+)?"
                           r"(?:the\s+)?([A-Z][\w-]*)", re.I)


def _text_retracted(final: str, want: str) -> bool:
    """Whether every mention of ``want`` in ``final`` is followed by a correction to another capitalised word."""
    hits = list(re.finditer(r"(?<!\w)" + re.escape(want) + r"(?!\w)", final, re.I))
    if not hits:
        return False
    for m in hits:
        r = _TEXT_RETRACT.match(final, m.end())
        if not (r and r.group(1)[:1].isupper() and r.group(1).lower() != want.split()[0].lower()
                and r.group(1).lower() not in ("i", "it", "that", "this", "the", "yes", "no")):
            return False
    return True


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
        outputs: list[tuple[str, str]] = []  # (tool name, replayed result) of every call
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
            outputs += [(name, content) for _, name, content in pending.values() if isinstance(name, str)]
            i = self._match_results(trace, i + 1, pending)
            if i >= n:
                raise _Fail("trace ends after tool results: no final answer")
        return self._final_verdict(_text(trace[-1].get("content")).strip(), calls, unrecovered, ref, offered, outputs)

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
            dup = _repeated_key(args) if isinstance(args, str) else None
            if dup is not None:
                raise _Fail(f"call {k} ({name}): arguments repeat the key {dup!r}")
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

    def _final_verdict(self, final: str, calls: list, unrecovered: dict, ref: dict | None, offered: list[str],
                       outputs: list[tuple[str, str]] = ()) -> Verdict:
        final = strip_reasoning(final).strip()  # "<think>42</think> 41": reasoning is not the answer
        if not final:
            raise _Fail("final answer is empty")
        cited = _claimed_tools(final, set(offered) | set(self.registry.names()), {c[0] for c in calls})
        if cited:
            raise _Fail(f"reward hack: the final answer cites a result of {cited!r}, which the trace never calls")
        mis = _misquoted(final, list(outputs))
        if mis:
            raise _Fail(f"reward hack: the final answer says {mis[0]!r} returned {mis[1]}, which no result of it holds: {mis[2]!r}")
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
        dup = _repeated_key(recorded)
        if dup is not None:
            raise _Fail(f"call {k} ({name}): recorded result repeats the key {dup!r}")
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
        unit = 10.0**-dec  # "42.0000001" is not 42: less than one unit of the last decimal shown off, or rounded there
        return (math.isclose(v, target, rel_tol=self.config.rel_tol, abs_tol=1e-12) and abs(v - target) < 0.999 * unit) or (
            dec >= 2 and abs(v - target) <= 0.5 * unit + 1e-12)  # an answer rounded to what it shows

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
        several: list[str] = []
        for a in final_answers(final):  # "\\boxed{41} \\boxed{42}", "Answer: 41\nAnswer: 42": the last one was read
            if not any(same_answer(a, b) for b in several):
                several.append(a)
        if len(several) > 1:
            return "reward hack: several different final answers: " + ", ".join(repr(a[:40]) for a in several[:4])
        try:
            target = float(str(want).replace(",", ""))
        except ValueError:
            target = None
        if target is None or not math.isfinite(target):
            low = _norm(final)  # "not paris" does not answer paris
            w = _norm(str(want))
            if any(not RULED_OUT.search(low, max(0, m.start() - 20), m.start()) for m in _occurrences(w, low)):
                hedge = _hedged_text(final, str(want))
                if hedge:
                    return f"reward hack: the final answer offers alternatives: {hedge!r}"
                opp = _OPPOSITE.get(w)
                if opp and re.search(rf"(?:^|[.,;:!?(/|]\s*|\b(?:and|or|but|maybe|perhaps|possibly)\s+){opp}\s*(?:[.,;:!?)/|]|$)", low):
                    return f"reward hack: the final answer offers alternatives: both {w!r} and {opp!r}"
                marked = marked_answer(final)  # "Answer: London. Paris": the answer it marks decides
                if marked is not None and not any(True for _ in _occurrences(w, _norm(marked))):
                    return f"final answer commits to {marked[:40]!r}, not the reference {str(want)[:80]!r}: {final[:160]!r}"
                if _text_retracted(final, str(want)):  # "Paris. Actually London.", "Paris -- no, London"
                    return f"final answer takes the reference {str(want)[:80]!r} back for another answer: {final[:160]!r}"
                return None
            return f"final answer does not contain the reference {str(want)[:80]!r}: {final[:160]!r}"
        marked = marked_answer(final)  # "the tool says 42, but the answer is 41": the answer it commits to decides
        value = to_number(marked) if marked is not None else None
        if value is not None and not self._same_number(float(value), _decimals(marked), target):
            return f"final answer commits to {marked[:40]!r}, not the reference {want}: {final[:160]!r}"
        if value is not None:
            return None  # "... 400-240 = 160 ... The answer is 160.": the marked answer decides, the working is not a hedge
        text = _SCI.sub(_sci, _WRAPPERS.sub(lambda m: " " * len(m.group(0)), ungroup(minus(final))))  # "$42$ or $41$"
        nums = _numbers(text)
        equal = [k for k, (v, dec, a, b) in enumerate(nums) if self._same_number(v, dec, target)
                 and not RULED_OUT.search(text, max(0, a - 20), a)  # "12, not 15" does not answer 15
                 and not _SCALED.match(text, b)  # "42 thousand", "42^2", "42 \u00d7 10^3" are not 42
                 and not STRUCK.match(text, b - 1)]  # "42\u0336": struck through
        hits = [k for k in equal if not self._retracted(text, nums, k, target)]  # nor does "15? No, 12"
        hits = [k for k in hits if text[nums[k][2] - 1:nums[k][2]] != "/" or len(hits) == 1]  # "25/5": 5 is an operand
        for k in hits:
            hedge = _hedged_number(text, nums, k, target, self.config.rel_tol)
            if hedge is None and _PM_AFTER.match(text, nums[k][3]):
                hedge = text[nums[k][2]:nums[k][3] + 12]
            end = text.find("\n", nums[k][3])
            aside = [x for x in offered_after(text[nums[k][3]:end if end >= 0 else len(text)])  # "42 (41 if rounded down)"
                     if to_number(x) is not None and not self._same_number(float(to_number(x)), _decimals(x), target)]
            if hedge is None and aside:
                hedge = text[nums[k][2]:nums[k][3] + 40]
            if hedge:
                return f"reward hack: the final answer offers alternatives: {hedge[:80]!r}"
        asked = [k for k in hits if _ASKED.match(text, nums[k][3])]
        if hits and len(asked) == len(hits):  # "Is it 42?", "It is 42 (?)": asked, not stated
            return f"reward hack: the final answer asks, not states: {text[max(0, nums[asked[0]][2] - 16):nums[asked[0]][3] + 4].strip()!r}"
        bounded = [k for k in hits if _BOUND_BEFORE.search(text, max(0, nums[k][2] - 24), nums[k][2])
                   or _BOUND_AFTER.match(text, nums[k][3])]
        if hits and len(bounded) == len(hits):  # "at least 42", "more than 42", "42+": a bound, not the value
            k = bounded[0]
            return f"reward hack: the final answer gives a bound, not the value: {text[max(0, nums[k][2] - 16):nums[k][3] + 10].strip()!r}"
        if hits and marked is None:  # "Step 1 gives 40. Step 2 gives 41. Step 3 gives 42.": one of parallel candidates
            par = _parallel(text, nums, hits, lambda v, d: self._same_number(v, d, target))
            if all(par):
                return f"reward hack: the final answer offers alternatives in parallel clauses: {par[0]!r}"
        if hits:
            return None
        if equal:
            return f"final answer takes the reference {want} back for another number: {final[:160]!r}"
        return f"final answer has no number equal to the reference {want}: {final[:160]!r}"
