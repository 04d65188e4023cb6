"""A twenty-fourth rewrite style for GSM8K problems, written on 2026-12-05 (session 25) without seeing the matcher
(nothing under curation/, factory/, verifiers/, ground/, students/, teachers/ or tests/ read, listed or imported, no
repo-wide grep, no decontamination bench, calibration, judge or scoring script and no ``factory decontam`` run, no
results, notes, README, git history, diffs or flag labels read), and never used for calibration or for reading
misses: a held-out check. Of styles 1-23 and the noise style only the module docstrings (their first 40 lines) were
read, to stay clear of them.

It models how a test item reaches a corpus through *assessment paperwork* rather than through a paraphraser: an
item-bank export with its metadata card, an examiner who reports the stem in indirect speech ("The item states that
..."), a marking scheme that restates what candidates were asked and lists the criteria, an answer sheet with blanks,
and a published examiner's report with a number-free comment on how candidates did. The problem stays the same
problem: every sentence of the original is kept with its quantities in the same roles and with the same values and
written forms (only a sentence's opening word may be lower-cased behind a reporting clause), and the same question is
asked. Each kind is switched on at random per problem; a problem with fewer than three kinds switched on gets more
switched on at random until three are. Each step runs inside a guard: a failed step leaves the text as it was, and
``rewrite`` never raises. The kinds:

1. item-bank card: a metadata header before the stem ("Item ID: QB-G5-0417", "Strand: Number and operations",
   "Cognitive demand: DOK 2", "Calculator: not permitted", "Marks: 3", "Status: retired"), in a "key: value", a
   pipe-table row or a bracketed tag layout, and a "Stem:" label;
2. reported stem: the fact sentences are reported by the examiner, each behind its own reporting clause ("The item
   states that", "Candidates are told that", "According to the stem,", "It is given that", "The stem also says
   that"), the sentence's first word lower-cased when it is an ordinary word (names keep their capital);
3. stem layout: the fact sentences on numbered lines ("(i)", "1.", "Line 2:", "[a]") instead of a paragraph;
4. marking-scheme question: the question is restated as what candidates were asked ("Candidates were asked: ...",
   "Part (a) -- ...", "Required: ...", "Task set: ...") and followed by number-free marking criteria ("M1 for a
   correct method that uses every given quantity", "A1 for the correct final value, with units where
   appropriate");
5. answer sheet: a working space line and a blank for the answer ("Show all of your working.", "Answer:
   ____________", "Final answer (box it): [          ]");
6. examiner's report: a number-free comment after the item on how candidates did ("Examiner's comment: most
   candidates set this up correctly; the usual slip was losing track of one of the given quantities.").

    >>> import random
    >>> out = rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))
    >>> "3 apples" in out and "2 more" in out and "How many apples does Janet have?" in out
    True
    >>> out != "Janet has 3 apples. She bought 2 more. How many apples does Janet have?"
    True
    >>> rewrite("", random.Random(0)) != ""
    True
"""

from __future__ import annotations

import random
import re

__all__ = ["rewrite", "KINDS"]

KINDS = ("card", "reported", "layout", "scheme", "sheet", "report")

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c(A-Z0-9$])")

# Opening words that are ordinary words (safe to lower-case behind a reporting clause).
_LOWERABLE = {
    "a", "an", "the", "she", "he", "they", "it", "there", "each", "every", "in", "on", "at", "if", "when",
    "after", "before", "this", "that", "these", "those", "her", "his", "their", "its", "some", "one", "two",
    "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "half", "all", "both",
    "then", "for", "of", "to", "with", "during", "last", "next", "yesterday", "today", "tomorrow", "while",
    "since", "because", "however", "also", "meanwhile", "later", "first", "second", "third", "finally",
    "another", "most", "many", "several", "only", "out", "by", "from", "over", "across", "she's", "he's",
    "it's", "there's", "they're", "every", "per", "as", "so", "but", "and", "now", "once", "instead", "how", "together", "unfortunately", "fortunately",
    "luckily", "normally", "usually", "originally", "initially", "currently", "recently", "typically", "due",
    "twice", "everyone", "everybody", "my", "you", "it\u2019s", "he\u2019s", "she\u2019s", "there\u2019s",
    "one-third", "one-fourth", "one-fifth", "one-half", "two-thirds", "two-fifths", "three-fourths",
    "three-quarters", "one-quarter", "what", "which", "we", "our", "your",
}

_STRANDS = ["Number and operations", "Ratio and proportion", "Multi-step word problems", "Measurement and money",
            "Arithmetic reasoning", "Problem solving", "Operations and algebraic thinking"]
_GRADES = ["G4", "G5", "G6", "G7", "Y6", "KS2", "L3"]
_CALC = ["not permitted", "permitted", "none", "allowed"]
_STATUS = ["retired", "released", "field-tested", "operational", "archived"]

_REPORTERS = ["The item states that", "Candidates are told that", "According to the stem,", "It is given that",
              "The stem says that", "We are told that", "The item tells candidates that"]
_REPORTERS_NEXT = ["The stem also says that", "It further states that", "Candidates are also told that",
                   "In addition, the item says that", "Next, it is given that", "The stem goes on to say that"]

_NUMBERINGS = [lambda i: "(%s)" % ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii",
                                    "xiii", "xiv", "xv"][i] if i < 15 else "(%d)" % (i + 1),
               lambda i: "%d." % (i + 1),
               lambda i: "Line %d:" % (i + 1),
               lambda i: "[%s]" % chr(ord("a") + i) if i < 26 else "[%d]" % (i + 1),
               lambda i: "-"]

_ASKED = ["Candidates were asked:", "Part (a) --", "Required:", "Task set:", "The question put to candidates:",
          "What candidates must find:"]
_CRITERIA = [
    ["M1 for a correct method that uses every given quantity", "A1 for the correct final value",
     "B1 for stating the units where appropriate"],
    ["Criterion A: identifies all the relevant information in the stem",
     "Criterion B: chooses the right operations in the right order",
     "Criterion C: reaches the correct answer and states it clearly"],
    ["Award full marks for the correct answer with supporting working",
     "Award partial credit for a correct method with an arithmetic slip",
     "Award no credit for an answer with no working"],
    ["Method mark: sets up the calculation correctly", "Accuracy mark: correct answer",
     "Communication mark: answer written as a sentence"],
]
_CRIT_HEAD = ["Marking criteria:", "Mark scheme:", "Scoring guide:", "Rubric:"]

_SHEET = [("Show all of your working.", "Answer: ____________"),
          ("Working space:\n\n\n", "Final answer (box it): [            ]"),
          ("Write your working in the space below.", "Answer ......................................"),
          ("Use the grid for rough work.", "Your answer: __________ (remember units)")]

_REPORT = [
    "Examiner's comment: most candidates set this up correctly; the usual slip was losing track of one of the "
    "given quantities.",
    "Examiner's report: this item discriminated well. Weaker candidates stopped after the first step.",
    "Comment from the marking team: candidates who listed the information first were far more successful.",
    "Principal examiner's note: a common error was to combine the quantities in the wrong order. Clear working "
    "earned method marks even when the final answer was wrong.",
    "Moderator's remark: responses were generally good, though many omitted units in the final answer.",
]


def _split(text: str) -> tuple[list[str], str]:
    sents = [s.strip() for s in _SENT_SPLIT.split(text.strip()) if s.strip()]
    if not sents:
        return [], text.strip()
    q = None
    for i in range(len(sents) - 1, -1, -1):
        if "?" in sents[i]:
            q = i
            break
    if q is None:
        q = len(sents) - 1
    return sents[:q], " ".join(sents[q:])


def _lower_first(s: str) -> str:
    m = re.match(r"([A-Za-z][A-Za-z'\u2019-]*)", s)
    if m and m.group(1).lower() in _LOWERABLE and not (m.group(1).isupper() and len(m.group(1)) > 1):
        return s[0].lower() + s[1:]
    return s


def _card(state: dict, rng: random.Random) -> None:
    item_id = "%s-%s-%04d" % (rng.choice(["QB", "IB", "ITM", "AS"]), rng.choice(_GRADES), rng.randrange(1, 9999))
    fields = [("Item ID", item_id), ("Strand", rng.choice(_STRANDS)), ("Cognitive demand", "DOK %d" % rng.choice([2, 3])),
              ("Calculator", rng.choice(_CALC)), ("Marks", str(rng.choice([2, 3, 4]))), ("Status", rng.choice(_STATUS))]
    keep = [fields[0]] + rng.sample(fields[1:], rng.randint(2, 5))
    style = rng.randrange(3)
    if style == 0:
        head = "\n".join("%s: %s" % kv for kv in keep)
    elif style == 1:
        head = "| " + " | ".join(k for k, _ in keep) + " |\n|" + "---|" * len(keep) + "\n| " + \
               " | ".join(v for _, v in keep) + " |"
    else:
        head = " ".join("[%s=%s]" % (k.lower().replace(" ", "_"), v) for k, v in keep)
    state["header"].append(head)
    state["stem_label"] = rng.choice(["Stem:", "Item stem:", "STEM", "Prompt:"])


def _reported(state: dict, rng: random.Random) -> None:
    facts = state["facts"]
    if not facts:
        raise ValueError("no facts")
    out = []
    for i, f in enumerate(facts):
        clause = rng.choice(_REPORTERS if i == 0 else _REPORTERS_NEXT)
        out.append("%s %s" % (clause, _lower_first(f)))
    state["facts"] = out


def _layout(state: dict, rng: random.Random) -> None:
    if len(state["facts"]) < 1:
        raise ValueError("no facts")
    state["numbering"] = rng.choice(_NUMBERINGS)


def _scheme(state: dict, rng: random.Random) -> None:
    state["q_prefix"] = rng.choice(_ASKED)
    crit = rng.choice(_CRITERIA)
    state["footer"].append(rng.choice(_CRIT_HEAD) + "\n" + "\n".join("- " + c for c in crit))


def _sheet(state: dict, rng: random.Random) -> None:
    work, ans = rng.choice(_SHEET)
    state["after_q"].extend([work, ans])


def _report(state: dict, rng: random.Random) -> None:
    state["footer"].append(rng.choice(_REPORT))


_STEPS = {"card": _card, "reported": _reported, "layout": _layout, "scheme": _scheme, "sheet": _sheet,
          "report": _report}


def _render(state: dict) -> str:
    parts = list(state["header"])
    facts = state["facts"]
    num = state.get("numbering")
    if num is not None and facts:
        body = "\n".join("%s %s" % (num(i), f) for i, f in enumerate(facts))
    else:
        body = " ".join(facts)
    q = state["question"]
    if state.get("q_prefix"):
        qline = "%s %s" % (state["q_prefix"], q)
        block = [body, qline] if body else [qline]
    else:
        block = [(body + " " + q).strip() if num is None else body + "\n" + q]
    if state.get("stem_label"):
        block[0] = state["stem_label"] + ("\n" if "\n" in block[0] or state["stem_label"] == "STEM" else " ") + block[0]
    parts.append("\n".join(b for b in block if b))
    if state["after_q"]:
        parts.append("\n".join(state["after_q"]))
    parts.extend(state["footer"])
    return "\n\n".join(p for p in parts if p)


def rewrite(text: str, rng: random.Random) -> str:
    """Rewrite one GSM8K problem as assessment paperwork; never raises, always differs from ``text``."""
    try:
        facts, question = _split(text)
        on = [k for k in KINDS if rng.random() < 0.5]
        rest = [k for k in KINDS if k not in on]
        rng.shuffle(rest)
        while len(on) < 3 and rest:
            on.append(rest.pop())
        state = {"facts": list(facts), "question": question, "header": [], "footer": [], "after_q": [],
                 "stem_label": None, "q_prefix": None, "numbering": None}
        done = 0
        for k in KINDS:  # fixed order of application
            if k not in on:
                continue
            snap = {key: (list(v) if isinstance(v, list) else v) for key, v in state.items()}
            try:
                _STEPS[k](state, rng)
                done += 1
            except Exception:
                state = snap
        # a problem with no fact sentences cannot take kinds 2 and 3: top up from the frame kinds
        for k in ("report", "sheet", "scheme", "card"):
            if done >= 3:
                break
            if k in on:
                continue
            try:
                _STEPS[k](state, rng)
                done += 1
            except Exception:
                pass
        out = _render(state)
        if out.strip() == text.strip():
            out = "Examiner's copy.\n\n" + text
        return out
    except Exception:
        try:
            return "Item (examiner's copy):\n" + text
        except Exception:
            return text
