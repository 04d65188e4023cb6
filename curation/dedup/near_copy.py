"""Near copies of protected items: a text holding half or more of an item's word 3-grams.

    >>> from curation.dedup.near_copy import near_copies
    >>> item = {"id": "t0", "text": "A farmer has 12 cows and buys 30 more cows at the market on Monday. How many cows now?"}
    >>> near_copies([{"id": "p", "text": "A farmer has 12 cows and then buys 30 more cows at the market on Monday. How many?"}],
    ...             [item], "test_split")["p"][:44]
    'contaminated: test_split#t0 near copy c=0.76'

The item with a word or two inserted, cut or changed keeps no 13-gram and is no exact copy, so the decontamination
matcher's defaults (curation/dedup/decontam.py) let it through; this check does not. Numbers are kept (another sum is
another problem); case, spacing and punctuation are folded (:func:`curation.dedup.words`). Items of fewer than
``NEAR_MIN`` 3-grams (a 4-word sum) are left to the matcher's exact copies: changing one of their few words makes
another problem; but a short item that is arithmetic ("What is 17 * 25?") is matched by what it computes: a text whose
numbers and operations are the same, in the same order (either order for a lone + or *), is a copy of it
("Compute 17 * 25.", "Please do 25 times 17."; not "Is 17 * 25 odd?": :func:`arithmetic`), reason ``near copy same arithmetic``. The share is of the protected item's
3-grams, so a fragment of an item is not a copy of it. Used
where a false alarm costs one prompt: the closed loop's test and dev splits (factory/loop_select.py) and prompt
synthesis's decontamination (factory/synth_work.py).
"""

from __future__ import annotations

import re
from collections import defaultdict

from curation.dedup import ops_ascii, words

#: word n-grams; protected items with at least NEAR_MIN of them; flagged from NEAR_SHARE of them in the text;
#: n-grams found in more than NEAR_MAX_DF protected items are too generic to count
NEAR_N, NEAR_MIN, NEAR_SHARE, NEAR_MAX_DF = 3, 4, 0.5, 100


_OPS = {"+": "+", "plus": "+", "-": "-", "minus": "-", "*": "*", "x": "*", "times": "*", "\\times": "*", "\\cdot": "*",
        "\\ast": "*", "multiplied by": "*", "/": "/", "\\div": "/", "divided by": "/", "over": "/", "^": "^", "**": "^"}
_ARITH = re.compile(r"(?:(?<![^\s(\[{=+*/^-])(?<![\d)] )-)?(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\w.]\d)|multiplied by|divided by|\b(?:plus|minus|times|over|x)\b"
                    r"|\\(?:times|cdot|ast|div)(?![a-z])|\*\*|[-+*/^]")
_LATEX = re.compile(r"\\(?:times|cdot|ast|div)(?![a-z])")
#: the text asks for a value ("What is ...", "Compute ...", "... = ?") ...
_ASKS = re.compile(r"\b(?:what|whats|how|compute|calculate|evaluate|find|solve|simplify|work out|determine|give|tell|"
                   r"result|value|answer|equals?|total)\b|=")
#: ... and not whether it is bigger, odd, prime, right: another question about the same numbers ("Is 17 * 25 odd?",
#: "Which is bigger, ...", "... than 400", not "no more than one line"); those words only in a yes/no question, as "digits", "more", "round" or
#: "correct" also tell how to answer ("What is 17 * 25? Answer in digits.")
_COMPARES = re.compile(r"[<>\u2264\u2265\u2260]|\bthan -?\d|\b(?:which|whether|true or false)\b")
_YES_NO = re.compile(r"^\W*(?:is|are|was|were|does|do|did|can|could|will|would|should|has|have)\b")
_IS_A = re.compile(r"\b(?:bigger|greater|larger|smaller|less|more|fewer|odd|even|prime|divisible|multiple|factors?|"
                   r"digits?|round(?:ed)?|true|false|right|correct|wrong|positive|negative|integer|whole|square)\b")
#: a bare expression: nothing but numbers, operations and punctuation ("17*25", "17 * 25 = ?")
_BARE = re.compile(r"[\d\s,.+\-*/^=?()!:]*")


def arithmetic(text: str, strict: bool = True) -> tuple | None:
    """(operations, numbers) a short text computes, e.g. ("*",), (17.0, 25.0) for "What is 17 * 25?"; None unless it
    has at least two numbers and an operation between them and asks for the value (a bare expression, or "what",
    "compute", "=", ...; :data:`_ASKS`) without comparing it (:data:`_COMPARES`): "Is 17 * 25 odd?", "The game
    ended 3-2." and "See you on 12/25." are not "What is 17 * 25?", "What is 3 - 2?" or "What is 12 / 25?". Numbers of a
    lone commutative operation are sorted. Operators are read as :func:`curation.dedup.words` reads them
    (:func:`curation.dedup.ops_ascii`: × · ✕ ÷ ⁄ − – ... and LaTeX's \\times \\cdot \\div), ** and ^ are powers; a minus that opens
    the text or follows an operation or a word is a sign ("-5 + 3", "5 - -3"). ``strict=False`` (the closed loop's and
    synthesis's near copies, where a false alarm costs one prompt) leaves out the asking test: "Please do 17 * 25." too."""
    text = _LATEX.sub(lambda m: f" {_OPS[m.group()]} ", ops_ascii(text))  # "17\\cdot25": 25 is a number of its own
    if _COMPARES.search(text) or (_YES_NO.search(text) and _IS_A.search(text)):
        return None
    if strict and not (_ASKS.search(text) or _BARE.fullmatch(text)):
        return None
    toks = _ARITH.findall(text)
    nums, ops, seen_num = [], [], False
    for t in toks:
        if t[0].isdigit() or t[1:2].isdigit():
            nums.append(float(t.replace(",", "")))
            seen_num = True
        elif seen_num:  # an operation after a number ("x" or "over" elsewhere is a word)
            ops.append(_OPS[t])
    if len(nums) < 2 or not ops:
        return None
    ops = ops[: len(nums) - 1]
    if len(set(ops)) == 1 and ops[0] in "+*":
        nums = sorted(nums)
    return tuple(ops), tuple(nums)


def grams(text: str) -> set[str]:
    w = words(text)
    return {" ".join(w[i:i + NEAR_N]) for i in range(len(w) - NEAR_N + 1)}


class NearCopyIndex:
    """The protected items' 3-grams, indexed once; ``protected``: dicts with ``id`` and ``text`` (and ``label``, the
    benchmark name a reason gives, else ``label`` of the index)."""

    def __init__(self, protected: list[dict], label: str = "protected"):
        self.protected, self.label = protected, label
        self.index: dict[str, list[int]] = defaultdict(list)
        self.sizes: list[int] = []
        self.sums: dict[tuple, int] = {}  # what a short arithmetic item computes -> its first index
        for j, p in enumerate(protected):
            g = grams(p["text"])
            self.sizes.append(len(g))
            if len(g) >= NEAR_MIN:
                for s in g:
                    self.index[s].append(j)
            elif (a := arithmetic(p["text"], strict=False)) is not None:
                self.sums.setdefault(a, j)

    def match(self, text: str) -> str | None:
        """``contaminated: <label>#<item id> near copy c=<share> '<item text>'`` for the protected item ``text`` holds
        the largest share of (at least NEAR_SHARE), ``... near copy same arithmetic ...`` for a short arithmetic item it
        computes, else None."""
        if self.sums and (a := arithmetic(text, strict=False)) is not None and a in self.sums:
            p = self.protected[self.sums[a]]
            return f"contaminated: {p.get('label') or self.label}#{p['id']} near copy same arithmetic '{p['text'][:60]}'"
        hits: dict[int, int] = defaultdict(int)
        for s in grams(text):
            js = self.index.get(s, ())
            if len(js) <= NEAR_MAX_DF:
                for j in js:
                    hits[j] += 1
        if not hits:
            return None
        j = max(hits, key=lambda j: (hits[j] / self.sizes[j], -j))
        share = hits[j] / self.sizes[j]
        if share < NEAR_SHARE:
            return None
        p = self.protected[j]
        return f"contaminated: {p.get('label') or self.label}#{p['id']} near copy c={share:.2f} '{p['text'][:60]}'"


def near_copies(items: list[dict], protected: list[dict], label: str = "protected") -> dict[str, str]:
    """id -> the reason (:meth:`NearCopyIndex.match`) for each item (``id``, ``text``) that is a near copy."""
    idx = NearCopyIndex(protected, label)
    out = {}
    for it in items:
        why = idx.match(it["text"])
        if why:
            out[it["id"]] = why
    return out
