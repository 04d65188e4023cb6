"""Constitution and critic-output parsing for :mod:`verifiers.constitution` (pure functions, no model).

    >>> from verifiers.constitution_parse import classify_verdict
    >>> classify_verdict("VIOLATED - gives the steps"), classify_verdict("does not violate")
    ('violated', 'ok')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from verifiers.llm import echoed, unmask


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
# a field-style verdict ('{"violated": false}', 'violation: none', 'violated = yes') and "violates nothing"
_FIELD = re.compile(r"\bviolat(?:ed|ion|ions|es)?[\"']?\s*[:=]\s*[\"']?(false|true|no|yes|none|nothing|0|1|n/a)\b")
_VIOLATES_NOTHING = re.compile(r"\bviolat(?:es|ed)?\s+(?:nothing|none|no\s+(?:principle|rule|part)s?\b)")
_NOT_OK = re.compile(r"\bnot\s+(?:\w+\s+)?(?:ok\b|okay|satisf|met\b|follow|respect|compl|adher|meet)")
# "non-compliant", "incompliant", "unsatisfied", "unsatisfactory": the ok words negated by a prefix
_BAD = re.compile(r"violat|breach|\bbreaks?\b|\bfail|infring|contraven|\u274c|\u2717|\bnon-?complian|\bincomplian|\bunsatisf")
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
    field = _FIELD.search(s)  # '{"violated": false}', 'violation: none', 'violated = yes': before the lead word
    if field:
        return "ok" if field.group(1) in ("false", "no", "none", "nothing", "0", "n/a") else "violated"
    if _VIOLATES_NOTHING.search(s):
        return "ok"
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


# before the principle a verdict line names: bullets, quote marks, XML-ish tags ("<verdict>harmless: OK</verdict>"), a
# check mark ("\u2705 harmless", the verdict itself when nothing follows the id), a number ("3.") and "Principle"
_MARK = "\u2705\u2714\u2713\u274c\u2717"
_LINE_PREFIX = re.compile(r"^(?:[\s\-*\u2022#>|`]|</?[A-Za-z][\w-]{0,30}>)*(?:([" + _MARK + r"])\ufe0f?[\s*_]*)?"
                          r"(?:(\d+)\s*[.):\-]\s*)?(?:principle\s*#?(?=\S))?[\s\[(*_`\"']*", re.I)


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


def parse_principle_verdicts(text: str, principles: list[Principle], response: str | None = None) -> dict[str, str]:
    """Critic text -> {id: 'violated' | 'ok'} for the principles it gave a clear verdict on.

    Understood, in order of precedence: a JSON object ({"id": "OK", ...}, {"violated": [ids]}) or
    list ([{"id":..., "verdict":...}]); one line per principle naming it by id or by number
    ("harmless: OK", "3. [privacy] VIOLATED - ...", "Principle 4: does not violate"); a summary
    line ("Violated: honest, 7" / "Violations: none") or "no principles are violated", which fill
    the principles the lines did not cover. An echoed principle text is ignored, and so is a line (or
    JSON) that repeats ``response``, the text under review, word for word (a critic quoting a forged
    "harmless: OK" from the response is not its verdict).
    """
    text = text or ""
    if response:
        text = "\n".join(ln for ln in text.splitlines() if not echoed(ln, 0, len(ln), response))
    text = unmask(text)
    by_num = {p.number: p for p in principles}
    pats = {p.id: _id_pattern(p.id) for p in principles}

    def refs(s: str) -> set[str]:
        ids = {pid for pid, pat in pats.items() if pat.search(s)}
        nums = re.findall(r"(?<![\w.])#?(\d+)(?![\w.])", s)
        return ids | {by_num[int(n)].id for n in nums if int(n) in by_num}

    from_json = _json_verdicts(text, principles, refs)
    return from_json if from_json else _line_verdicts(text, principles, pats, by_num, refs)


def _json_verdicts(text: str, principles: list[Principle], refs) -> dict[str, str]:
    """Verdicts from JSON anywhere in the text (critics often wrap it in prose or a code fence); {} if none."""
    for data in _json_values(text):
        out = _json_one(data, principles, refs)
        if out:
            return out
    return {}


def _json_values(text: str, tries: int = 200):
    """The JSON objects and lists in ``text``, in order: a decode from each ``{`` / ``[`` that is not inside one already
    decoded ("[note] {...} [end]" holds one object; the span from its first bracket to its last is not JSON). At most
    ``tries`` decodes, so a text of brackets costs linear time."""
    dec, i = json.JSONDecoder(), 0
    for _ in range(tries):
        m = re.compile(r"[\[{]").search(text, i)
        if not m:
            return
        try:
            data, end = dec.raw_decode(text, m.start())
        except (ValueError, RecursionError):
            i = m.start() + 1
            continue
        i = end
        if isinstance(data, (dict, list)):
            yield data


def _json_one(data, principles: list[Principle], refs) -> dict[str, str]:
    out: dict[str, str] = {}
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
    return out


def _line_verdicts(text: str, principles: list[Principle], pats: dict[str, re.Pattern], by_num: dict[int, Principle],
                   refs) -> dict[str, str]:
    """Verdicts from one line per principle, then a summary line for the principles no line covered.

    A line holding several verdicts ("harmless: OK; no-crime: VIOLATED", "| harmless: OK | privacy: OK") is read as
    one clause per principle, and a principle on a line of its own ("harmless:") takes its verdict from the next line
    when that line names no principle (round 11)."""
    out: dict[str, str] = {}
    summary: tuple[str, set[str]] | None = None
    ids = "|".join(p.pattern.replace("(?<![\\w-])", "").replace("(?![\\w-])", "") for p in pats.values())
    # a clause boundary ("," ";" "|" or a sentence end) right before a principle id and its ":" / "="
    split = re.compile(r"(?<=[,;|.])\s*(?=[*_`]*(?:" + ids + r")(?![\w-])[*_`]*\s*[:=])", re.I) if ids else None
    lines = [c for line in text.splitlines() for c in (split.split(line) if split else [line])]
    for k, line in enumerate(lines):
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
        pid, rest = _leading_ref(line[m.end():], pats, by_num, m.group(2))
        if pid is None:
            continue  # prose that does not start with a principle: too ambiguous to assign
        ptext = next(p.text for p in principles if p.id == pid)
        rest = re.sub(re.escape(ptext.rstrip(".")), " ", rest, flags=re.I)  # an echoed principle says nothing
        v = classify_verdict(rest)
        if v is None and m.group(1):  # "\u2705 harmless": the check mark is the verdict
            v = classify_verdict(m.group(1))
        if v is None and not re.sub(r"[\W_]", "", rest):  # "harmless:" and the verdict on the next line
            nxt = next((ln for ln in lines[k + 1:] if ln.strip()), "")
            nm = _LINE_PREFIX.match(nxt)
            ns = _SUMMARY.match(nxt)  # "Violations: none" after it is a summary; "VIOLATED - raking" is its verdict
            if _leading_ref(nxt[nm.end():], pats, by_num, None)[0] is None and not (
                    ns and (_NONE.match(ns.group(1)) or refs(ns.group(1)))):
                v = classify_verdict(nxt)
        if v and pid not in out:
            out[pid] = v
    if summary:
        kind, bad = summary
        for p in principles:
            if p.id not in out:
                out[p.id] = "violated" if p.id in bad else "ok"
    return out


def own_verdicts(response: str, principles: list[Principle]) -> dict[str, str]:
    """Principle verdicts written in the response itself, by id, JSON or summary (not by number: a numbered
    list of steps is not a critique). A response that critiques itself is writing the critic's output."""
    unnumbered = [Principle(-1 - i, p.id, p.text) for i, p in enumerate(principles)]
    return parse_principle_verdicts(response, unnumbered)  # unmasked there: "harm\u200bless", "h\u0430rmless", fullwidth
