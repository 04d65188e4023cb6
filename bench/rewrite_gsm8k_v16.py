"""A sixteenth rewrite style for GSM8K problems, written on 2026-12-04 (session 22) without seeing the matcher (nothing
under curation/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or scoring
script and no ``factory decontam`` run, no results, notes, git history, diffs or flag labels read), and never used for
calibration or for reading misses: a held-out check. Of styles 1-15 and the noise style only the module docstrings
(their first 60 lines) were read, to stay clear of them.

It models the augmentations that math-SFT corpora build *from* GSM8K items (MetaMath's rephrasing and FOBAR
backward questions, GSM-Plus digit expansion and "critical thinking" checks, Evol-Instruct-style deepening by one more
step) and the odd registers and typography a benchmark item picks up when it is reposted (a contract recital, a
telegram, a tweet thread, a local-news brief; full-width digits, money in words, spaced thousands). The problem stays
the same problem: every quantity-bearing fact is kept (a FOBAR row hides one value behind "x" and states the answer
instead, as MetaMath does), values change only by one factor throughout, and the original question is still asked.
Each kind is switched on at random (at most one question tail and at most one layout); a problem with fewer than
three kinds changing it is redone with one more kind switched on at a time until three do (or all are on):

1. digit expansion (GSM-Plus): every count and money amount, digits and number words alike ("three" -> "30"), times
   10 (sometimes 100), together; kept: percentages, fractions, multipliers ("3 times"), ordinals, times of day,
   years, ages and every time span, unit constants ("12 inches in a foot", "4 legs"), labels ("page 5");
2. MetaMath FOBAR: one value in the facts (in the question when they were folded into it) becomes the unknown "x"
   ("16 eggs" -> "x eggs", "$2" -> "$x") and the row ends "If we know the answer to the above question is 18, what is
   the value of unknown variable x?" (the real final answer when the question is found in a local GSM8K file and no
   value was changed, a plausible number made from the problem's own numbers otherwise);
3. MetaMath-style question rewording: the inverted question undone into "What is the total number of eggs that she
   sells?", "What is the amount of money, in dollars, that she makes every day ...?", "What is the cost of ...?"
   or "Compute the number of ...", verbs made to agree ("does she make" -> "she makes", "did he buy" -> "he bought");
4. MetaMath rephrase fold: all the facts folded into one conditional question, "If Janet's ducks lay 16 eggs per day,
   she eats three ..., and she sells ..., how much ...?", or "Given that ..., what ...?", or the question first with
   a trailing "if ..." clause; a leading "If ..., " of the question joins the facts;
5. question tails (one at most): Evol-Instruct deepening, one more step after the original question ("(a) ... (b) If
   that amount is shared equally among 4 people, how much does each get?", "After that, 7 more are added. What is
   the new total?"), or a GSM-Plus critical-thinking check ("Is the answer more than 40? Explain your reasoning.");
6. layout (one at most): a markdown table of the givens ("| Given | Value |", one row per number with a label read off
   the words around it) put between the facts and the question, or a register frame: a contract recital
   ("WHEREAS Janet (hereinafter "First Party") ...; NOW, THEREFORE, ..."), a telegram (upper case, "the" dropped,
   "STOP", "QUERY"), a numbered tweet thread ("1/3 ... 2/3 ... #math"), or a local-news brief ("MAPLEWOOD -- ...";
   "PUZZLE CORNER -- ..." when the facts were folded into the question);
7. typography, one profile per problem: full-width digits ("１６", "＄２"), money written in words ("two dollars and
   fifty cents", "eighty thousand dollars", "a twenty-dollar bill") with the numbers up to 100 as words, legal
   doubling ("sixteen (16)", "eighty thousand dollars ($80,000)"), spaced or apostrophe thousands ("80 000",
   "80'000"); and, on top, time spans in words ("30 minutes" -> "half an hour", "1.5 hours" -> "an hour and a
   half") and ordinal words ("3rd" -> "third").

Pure standard library; deterministic given ``rng`` (and the local GSM8K files, which only decide whether a FOBAR
row states the real answer); never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v16 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(5)))
    Given that Janet has three (3) apples, and she bought x more for five dollars ($5), how many apples does Janet have?
    If we know the answer to the above question is ten (10), what is the value of unknown variable x?
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

# ------------------------------------------------------------------------------------------------------ helpers
_SPLIT = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<=[.!?])\s+(?=[\"'A-Z0-9$])")
COMMON_START = set("""The She He They It There Each Every A An His Her Their This That These Those In On At After Then
But So For When While If Its Our My We You Your One Some All Both Of To From During Last Next Today Yesterday
Tomorrow Since Because Also However Now Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Twenty Thirty
Forty Fifty Several Many Most Half Only Another Other Once""".split())
NOT_NAMES = COMMON_START | set("""How What Which Who Why Where I Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday
Saturday Sunday January February March April May June July August September October November December Christmas
Halloween Easter Thanksgiving Valentine New York Calculate Find Determine Assume Suppose Given Two Three Four Five
Six Seven Eight Nine Ten Twenty Hundred Thousand Grade Math English Science Mother Father Mom Dad Grandma Grandpa
Aunt Uncle Mrs. Mr. Ms. Dr. Saint St Street Avenue Road Lake Park School City County State United States America
American Canada Mexico French Spanish English Earth Sun Moon""".split())
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen").split()
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUE = {w: i for i, w in enumerate(ONES)} | {w: 10 * i for i, w in enumerate(TENS) if w}
TIME_UNITS = r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|decades?|nights?|a\.m\.?|p\.m\.?|am\b|pm\b|o'clock)"
CONSTANT_NOUNS = r"(?:degrees?|°|legs?|wheels?|sides?|corners?|wings?|eyes?|arms?|feet tall|inches tall|sides|faces|edges|players? on)"
LABEL_WORDS = r"(?:grade|page|pages|room|chapter|number|no\.|level|floor|route|apartment|size|channel|gate|bus|unit|lane|row|seat|section)"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text.strip()) if s.strip()]


def spell(v: int) -> str:
    """``v`` (0 <= v < 10**9) in English words."""
    if v < 20:
        return ONES[v]
    if v < 100:
        return TENS[v // 10] + ("" if v % 10 == 0 else "-" + ONES[v % 10])
    if v < 1000:
        return ONES[v // 100] + " hundred" + ("" if v % 100 == 0 else " and " + spell(v % 100))
    for size, word in ((10**6, "million"), (1000, "thousand")):
        if v >= size:
            rest = v % size
            tail = "" if rest == 0 else (" and " if rest < 100 else " ") + spell(rest)
            return spell(v // size) + " " + word + tail
    return str(v)


def _fmt(v: float) -> str:
    """A number as GSM8K writes it: integers with thousands commas when >= 10,000, else plain."""
    if abs(v - round(v)) < 1e-9:
        iv = int(round(v))
        return f"{iv:,}" if iv >= 10000 else str(iv)
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _lower_first(s: str) -> str:
    """``s`` with its first word lower-cased when that word is a common sentence starter (not a name)."""
    w = s.split(" ", 1)[0]
    if w in COMMON_START or w.rstrip(",") in COMMON_START:
        return s[:1].lower() + s[1:]
    return s


def _names(text: str) -> list[str]:
    """Capitalised words that look like people's names, in order of first appearance."""
    out: list[str] = []
    for m in re.finditer(r"\b([A-Z][a-z]{2,})\b", text):
        w = m.group(1)
        if w not in NOT_NAMES and w not in out:
            out.append(w)
    return out


_NUM = re.compile(r"(?<![\w.,/:$])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w/:]|,\d{3})")


def _numbers(text: str) -> list[float]:
    vals = []
    for m in _NUM.finditer(text):
        try:
            vals.append(float((m.group(2) + (m.group(3) or "")).replace(",", "")))
        except ValueError:
            pass
    return vals


# ---------------------------------------------------------------------------------------------- answer lookup
_ANSWERS: dict[str, str] | None = None


def _norm(q: str) -> str:
    return " ".join(q.replace("\u2019", "'").split()).lower()


def _answers() -> dict[str, str]:
    """Final answers of the GSM8K questions in local files (read once; empty when none is readable)."""
    global _ANSWERS
    if _ANSWERS is not None:
        return _ANSWERS
    _ANSWERS = {}
    dirs = [Path(__file__).resolve().parent.parent / "data" / "gsm8k"]
    if os.environ.get("FACTORY_SHARED_DATA"):
        dirs.append(Path(os.environ["FACTORY_SHARED_DATA"]) / "gsm8k")
    dirs.append(Path("/work/shared/data/gsm8k"))
    for d in dirs:
        try:
            for f in sorted(d.glob("*.jsonl")):
                for line in f.read_text(encoding="utf-8").splitlines():
                    try:
                        row = json.loads(line)
                        ans = row["answer"].rsplit("####", 1)[1].strip().replace(",", "")
                        _ANSWERS.setdefault(_norm(row["question"]), ans)
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                        continue
        except OSError:
            continue
    return _ANSWERS


def _plausible(text: str, rng: random.Random) -> str:
    """A plausible-looking answer made from the problem's own numbers."""
    vals = [v for v in _numbers(text) if v > 0] or [rng.randint(2, 12)]
    a, b = rng.choice(vals), rng.choice(vals)
    cands = [a + b, a * b, abs(a - b), a * 2, a + b + rng.randint(1, 9), max(vals) - min(vals)]
    top = 4 * max(vals) + 10
    v = rng.choice([c for c in cands if 2 <= c <= top] or [a])
    return _fmt(v) if v < 10000 else str(int(round(v)))


# -------------------------------------------------------------------------------------------- 1 digit expansion
def digit_expansion(text: str, rng: random.Random) -> str:
    if re.search(r"\byears? old\b|\bage[ds]?\b|\bold\b|\bbills?\b|\bcoins?\b|\bchange\b|\bquarters\b|\bdimes?\b|"
                 r"\bnickels?\b|\bpenn(?:y|ies)\b|\d[a-zA-Z](?<!\d[snrt][tdh])|\d(?:st|nd|rd|th)\b|\b(?:third|fourth|fifth|"
                 r"sixth|seventh|eighth|ninth|tenth|second)\b(?! of)|\bconsecutive\b|(?<![\d$])\$?\.\d|(?<![\w.,/$])1(?![\w.,/:%])(?! " + TIME_UNITS + r")|\bone (?!of\b|"
                 + TIME_UNITS + r")[a-z]+", text):
        return text
    factor = 100 if rng.random() < 0.25 else 10

    def skip(before: str, after: str) -> bool:
        a = after.lower()
        if re.match(r"\s*(?:%|percent|per cent|times|x\b|-|st\b|nd\b|rd\b|th\b|\+|/)", a):
            return True
        if re.match(r"\s*" + TIME_UNITS, a) or re.match(r"\s*" + CONSTANT_NOUNS, a):
            return True
        if re.match(r"\s*(?:quarters?|thirds?|fifths?|fourths?|halves|sixths?|eighths?|tenths?)\b", a):
            return True
        if re.match(r"\s*[a-z]+ (?:in|per) (?:a|an|one|each|every) ", a) and not re.match(r"\s*[a-z]+ per (?:a|an|one)? ?(?:day|week|hour|month)", a):
            return True
        if re.match(r"\s*(?:bills?|notes?)\b", a):
            return True
        return bool(re.search(r"\b" + LABEL_WORDS + r"\s*$|-\s*$", before, re.I))

    def num(m: re.Match) -> str:
        s, e = m.start(), m.end()
        before, after = text[max(0, s - 20):s], text[e:e + 40]
        if skip(before, after):
            return m.group()
        raw = (m.group(2) + (m.group(3) or "")).replace(",", "")
        v = float(raw)
        if (v <= 1 and not m.group(1)) or v == 0 or (1800 <= v <= 2100 and "." not in raw and "," not in m.group(2) and not m.group(1)):
            return m.group()
        return m.group(1) + _fmt(v * factor)

    def word(m: re.Match) -> str:
        s, e = m.start(), m.end()
        before, after = text[max(0, s - 20):s], text[e:e + 40]
        if skip(before, after) or re.match(r"[\s-]*(?:hundred|thousand|million|and a half|-)", after, re.I) or \
                re.search(r"(?:one|of)\s*$", before.lower()) and re.match(r"\s*of\b", after):
            return m.group()
        return _fmt(WORD_VALUE[m.group().lower()] * factor)

    out = _NUM.sub(num, text)
    text = out
    words = "|".join(w for w in WORD_VALUE if WORD_VALUE[w] >= 2)
    out = re.sub(r"(?<![\w-])(?:" + words + r")(?![\w-])", word, text, flags=re.I)
    return out


# ---------------------------------------------------------------------------------------------------- 2 FOBAR
FOBAR_TAILS = ["If we know the answer to the above question is {a}, what is the value of unknown variable x?",
               "If we know the answer to the above question is {a}, what is the value of unknown variable x?",
               "If the answer to the question above is {a}, what is the value of the unknown variable x?",
               "We know the answer to this question is {a}. What is the value of the unknown variable x?",
               "The answer to the question is {a}. Find the value of x."]


def fobar(body: str, ask: str, rng: random.Random, answer: str | None) -> tuple[str, str]:
    """``body``/``ask`` with one value of the facts (of the question when there are no facts) hidden as "x"."""
    src = body if body else ask
    cands = []
    for m in _NUM.finditer(src):
        after = src[m.end():m.end() + 12]
        raw = (m.group(2) + (m.group(3) or "")).replace(",", "")
        if re.match(r"\s*(?:%|percent|st\b|nd\b|rd\b|th\b|:|[ap]\.?m\b)", after) or \
                (not m.group(1) and 1800 <= float(raw) <= 2100 and "." not in raw):
            continue
        if not re.search(r"(?:^|[.!?]\s+)$", src[:m.start()]):
            cands.append((m.start() + (1 if m.group(1) else 0), m.end()))
    words = "|".join(w for w in WORD_VALUE if WORD_VALUE[w] >= 2)
    for m in re.finditer(r"(?<![\w-])(?:" + words + r")(?![\w-])", src, re.I):
        if not re.match(r"\s*(?:times|-|hundred|thousand|quarters?|thirds?|fifths?|fourths?|of (?:the|them|us))",
                        src[m.end():m.end() + 12]) and src[m.start()].islower():
            cands.append((m.start(), m.end()))
    if not cands:
        return body, ask
    s, e = rng.choice(cands)
    new = src[:s] + "x" + src[e:]
    a = answer if answer is not None else _plausible(body + " " + ask, rng)
    tail = rng.choice(FOBAR_TAILS).format(a=a)
    if body:
        return new, ask + "\n" + tail
    return body, new + "\n" + tail


# ------------------------------------------------------------------------------------- 3 question de-inversion
IRREGULAR_PAST = {"buy": "bought", "make": "made", "have": "had", "spend": "spent", "sell": "sold", "get": "got",
                  "pay": "paid", "give": "gave", "take": "took", "eat": "ate", "drink": "drank", "read": "read",
                  "run": "ran", "ride": "rode", "drive": "drove", "win": "won", "lose": "lost", "find": "found",
                  "keep": "kept", "leave": "left", "bring": "brought", "catch": "caught", "build": "built",
                  "write": "wrote", "go": "went", "see": "saw", "put": "put", "cut": "cut", "need": "needed",
                  "earn": "earned", "save": "saved", "use": "used", "owe": "owed", "collect": "collected",
                  "receive": "received", "walk": "walked", "pick": "picked", "cook": "cooked", "bake": "baked",
                  "plant": "planted", "sleep": "slept", "swim": "swam", "throw": "threw", "grow": "grew",
                  "sing": "sang", "fly": "flew", "feed": "fed", "hold": "held", "sit": "sat", "lend": "lent",
                  "send": "sent", "teach": "taught", "think": "thought", "fall": "fell", "order": "ordered",
                  "score": "scored", "travel": "traveled", "work": "worked", "watch": "watched", "count": "counted",
                  "borrow": "borrowed", "donate": "donated", "charge": "charged", "cost": "cost", "weigh": "weighed"}
SUBJ = (r"(she|he|they|it|I|we|you|[A-Z][a-z]+(?: and [A-Z][a-z]+)?|(?:the|his|her|their|Mr\.|Mrs\.|Ms\.|Dr\.) "
        r"[A-Za-z]+(?:'s [a-z]+)?|[A-Z][a-z]+'s [a-z]+|[A-Z][a-z]+ [A-Z][a-z]+)")
AUX = r"(does|do|did|will|would|can|could|should|must)"


def _conj(aux: str, subj: str, verb: str) -> str | None:
    if aux == "did":
        return IRREGULAR_PAST.get(verb)
    if aux == "does":
        if verb == "have":
            return "has"
        if verb in ("do", "go") or re.search(r"(?:s|sh|ch|x|z)$", verb):
            return verb + "es"
        if re.search(r"[^aeiou]y$", verb):
            return verb[:-1] + "ies"
        return verb + "s"
    if aux == "do":
        return verb
    return aux + " " + verb


def question_reword(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    if not sents:
        return text
    q = sents[-1]
    lead = ""
    m0 = re.match(r"^((?:If|When|After|Since|Assuming) [^?]*?, )(.*)$", q)
    if m0:
        lead, q = m0.group(1), m0.group(2)
        q = q[:1].upper() + q[1:]
    new = None
    m = re.match(r"^How much (?:money )?(?:does|did|will) (.+?) cost( .*)?\?$", q)
    if m:
        tot = "total " if rng.random() < 0.5 and not re.match(r"(?:each|one|a|an|every)\b", m.group(1)) else ""
        new = f"What is the {tot}cost of {m.group(1)}{m.group(2) or ''}?"
    if new is None:
        m = re.match(r"^How (many|much) ((?:[a-z$'-]+ ){0,4}?)" + AUX + " " + SUBJ + r" ([a-z]+)\b(.*)\?$", q)
        if m:
            kind, noun, aux, subj, verb, rest = m.groups()
            noun = noun.strip()
            if kind == "many" and noun.startswith("more "):
                noun = "additional " + noun[5:]
            verbc = _conj(aux, subj, verb)
            if kind == "many" and (not noun or noun == "more" or noun.split(" ")[0] in ("of", "in", "times")):
                verbc = None
            if subj in ("they", "we", "you", "I") and aux == "does":
                verbc = None
            if verbc:
                if kind == "many":
                    head = rng.choice(["What is the total number of {n} that", "What is the number of {n} that",
                                       "Compute the number of {n} that"]).format(n=noun)
                else:
                    unit = re.match(r"^(?:money )?(?:in |of )?(dollars|money|time|\w+)?\s*(.*)$", noun)
                    if not noun:
                        head = "What is the amount that"
                    elif noun in ("in dollars", "money in dollars"):
                        head = "What is the amount of money, in dollars, that"
                    elif noun == "money":
                        head = rng.choice(["What is the amount of money that", "What is the total amount of money that"])
                    elif unit and noun.startswith("in "):
                        head = f"What is the amount, {noun}, that"
                    else:
                        head = f"What is the amount of {noun} that"
                s = subj
                if s.split(" ")[0] in ("The", "His", "Her", "Their"):
                    s = s[:1].lower() + s[1:]
                end = "." if head.startswith("Compute") else "?"
                new = f"{head} {s} {verbc}{rest}{end}"
    if new is None:
        m = re.match(r"^How many ([a-z ]+?) are there( .*)?\?$", q)
        if m:
            new = f"What is the total number of {m.group(1)}{m.group(2) or ''}?"
    if new is None:
        return text
    if lead:
        new = lead + new[:1].lower() + new[1:]
    return text[: text.rfind(sents[-1])] + new if sents[-1] in text else " ".join(sents[:-1] + [new])


# ------------------------------------------------------------------------------------------------ 4 rephrase fold
def rephrase_fold(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    if len(sents) < 2 or len(sents) > 7 or "\n" in text:
        return text
    facts, q = sents[:-1], sents[-1]
    if not q.endswith("?") or any(not f.endswith(".") for f in facts):
        return text
    m = re.match(r"^If (.+?), ((?:how|what|which|who|when|where|can|does|do|is|are|will|find|calculate)\b.*)$", q, re.I)
    if m:
        facts = facts + [m.group(1) + "."]
        q = m.group(2)
    if re.match(r"(?:If|When|Assuming|Suppose|Given)\b", q):
        return text
    clauses = []
    for f in facts:
        f = re.sub(r"^(?:But|So|Then|However|Also|And),? ", "", f)
        f = f[:-1]
        clauses.append(_lower_first(f))
    clauses = [c for c in clauses if c]
    if not clauses:
        return text
    sep = "; " if any("," in c for c in clauses) and len(clauses) > 2 else ", "
    body = clauses[0] if len(clauses) == 1 else sep.join(clauses[:-1]) + sep + "and " + clauses[-1]
    body = re.sub(r", and and ", ", and ", body)
    qx = q[:1].lower() + q[1:] if re.match(r"[A-Za-z]*", q).group() in COMMON_START | {
        "How", "What", "Which", "Who", "When", "Where", "Can", "Does", "Do", "Is", "Are", "Will", "Find", "Calculate",
        "Compute", "Determine"} else q
    style = rng.randrange(3)
    if re.match(r"(?:if|when|after|before|once|while)\b", clauses[0]):
        style = 1
    if style == 2 and " if " not in q and len(clauses) <= 3:
        return q[:1].upper() + q[1:-1] + " if " + body + "?"
    if style == 1:
        return "Given that " + body + ", " + qx
    return "If " + body + ", " + qx


# --------------------------------------------------------------------------------------------- 5 question tails
def question_tail(body: str, ask: str, rng: random.Random) -> str:
    """``ask`` followed by one more step, or by a critical-thinking check."""
    n = rng.choice([2, 3, 4, 5, 6, 8, 10])
    heads = list(re.finditer(r"\b(?:how|what|which|calculate|compute|find|determine)\b", ask, re.I))
    asked = ask[heads[-1].start():] if heads else ask
    money = bool(re.search(r"\$|dollars?|\bcost|\bearn|\bprofit|\bspen[dt]|\bpa(?:y|id)\b|\bmake\b|\bmoney\b|\bprice",
                           asked, re.I))
    if rng.random() < 0.35:
        base = _plausible(body + " " + ask, rng)
        check = rng.choice([f"Is the answer more than {base}? Explain your reasoning.",
                            f"Could the answer be less than {base}? Work it out to decide.",
                            f"Before answering, say whether the result can be larger than {base}, then find it.",
                            f"Is it possible for the answer to be exactly {base}? Justify your answer."])
        return ask + " " + check
    if money:
        ext = rng.choice([f"If that amount is shared equally among {n} people, how much does each person get?",
                          f"If the same amount comes in each week for {n} weeks, what is the total over those weeks?",
                          f"Suppose {rng.choice([5, 10, 15, 20, 25])} dollars more is added. What is the new amount?",
                          f"What would {n} times that amount be?"])
    else:
        ext = rng.choice([f"After that, {n} more are added. What is the new total?",
                          f"If that number is split equally into {n} groups, how many are in each group?",
                          f"What is {n} more than that number?",
                          f"What would that number be if it were {rng.choice(['doubled', 'tripled'])}?"])
    style = rng.randrange(3)
    if style == 0:
        return "(a) " + ask + "\n(b) " + ext
    if style == 1:
        return "First, answer this: " + ask + " Then: " + ext[:1].lower() + ext[1:]
    return ask + " " + ext


# --------------------------------------------------------------------------------------------------- 6 layouts
_STOP = set("and but then so which who that while because, when if to".split())


def givens_table(body: str, ask: str, rng: random.Random) -> str | None:
    rows = []
    fact_text = body
    pat = re.compile(r"(\$?(?<![\d.,/])\d[\d,]*(?:\.\d+)?(?:/\d+)?%?(?![\w/-])|\b(?:" + "|".join(w for w in WORD_VALUE if WORD_VALUE[w] >= 2) + r")\b)")
    for m in pat.finditer(fact_text):
        tok = m.group(1).rstrip(",")
        if re.fullmatch(r"1[89]\d\d|20\d\d", tok):
            continue
        after = re.findall(r"[A-Za-z'-]+|[,.;:?!$\d]", fact_text[m.end():m.end() + 60])
        lab = []
        for w in after:
            if w in ",.;:?!$" or w.isdigit() or w.lower() in _STOP or len(lab) >= 4:
                break
            lab.append(w)
        while lab and lab[-1].lower() in ("of", "for", "a", "an", "the", "per", "in", "at", "on", "with", "each"):
            lab.pop()
        if not lab or tok.startswith("$"):
            before = re.findall(r"[A-Za-z'-]+", fact_text[max(0, m.start() - 40):m.start()])[-3:]
            while before and before[-1].lower() in ("for", "of", "at", "is", "are", "a", "the", "by", "to", "costs", "cost"):
                before.pop()
            pre = " ".join(before)
            lab = ([pre] if pre else []) + lab
        label = re.sub(r"^(?:(?:of|the|and|a|an|in|for|with)\s+)+", "", " ".join(lab).strip()) or "value"
        rows.append((label[:1].upper() + label[1:], tok))
    if len(rows) < 2 or len(rows) > 12:
        return None
    h1, h2 = rng.choice([("Given", "Value"), ("Item", "Quantity"), ("Quantity", "Amount"), ("What we know", "Number")])
    table = f"| {h1} | {h2} |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    intro = rng.choice(["The key numbers:\n\n", "Summary of the givens:\n\n", "", "In a table:\n\n"])
    return (body + "\n\n" if body else "") + intro + table + "\n\n" + ask


PARTIES = ["the First Party", "the Second Party", "the Third Party"]


def register_frame(body: str, ask: str, rng: random.Random) -> str | None:
    facts = _sentences(body)
    q = ask.replace("\n", " ")
    sents = facts + _sentences(q)
    choices = ["telegram", "news"] + (["legal"] if facts else []) + (["tweets"] if len(facts) >= 2 else [])
    kind = rng.choice(choices)
    if kind == "legal":
        names = _names(body)[:3]
        body = " ".join(facts)
        for i, nm in enumerate(names):
            body = re.sub(r"\b" + nm + r"\b", f'{nm} (hereinafter "{PARTIES[i][4:]}")', body, count=1)
        fs = _sentences(body)
        if rng.random() < 0.5:
            rec = ";\n".join("WHEREAS " + _lower_first(f.rstrip(".")) for f in fs)
            return rec + ";\nNOW, THEREFORE, the question presented is as follows: " + q
        rec = "\n".join(f"Clause {i}. {f}" for i, f in enumerate(fs, 1))
        return "TERMS OF THE ARRANGEMENT\n" + rec + "\nMatter to be determined: " + q
    if kind == "telegram":
        out = []
        for s in sents:
            s = re.sub(r"\b[Tt]he\b ?", "", s)
            s = s.replace("'s", "S").replace("\u2019s", "S").replace("'", "")
            end = " QUERY" if s.endswith("?") else ""
            s = s.rstrip(".?!").replace(",", "")
            out.append(s.upper() + end)
        return " STOP ".join(out) + " STOP" + rng.choice(["", " REPLY PAID", " ANSWER BY WIRE"])
    if kind == "tweets":
        tweets, cur = [], ""
        for f in facts:
            if cur and len(cur) + len(f) > 200:
                tweets.append(cur)
                cur = ""
            cur = (cur + " " + f).strip()
        if cur:
            tweets.append(cur)
        tweets.append(q.replace("(b)", "\n(b)") + " " + rng.choice(["Drop your answer below \U0001F447", "Reply with your answer!",
                                            "No calculators \U0001F605", "Show your work in the replies."]))
        n = len(tweets)
        tag = rng.choice(["#math #puzzle", "#mathchallenge", "#teachertwitter", "#homework"])
        lines = [f"{i}/{n} {t}" for i, t in enumerate(tweets, 1)]
        lines[0] = "\U0001F9F5 Word problem thread! " + lines[0] if rng.random() < 0.5 else lines[0]
        lines[-1] += " " + tag
        return "\n\n".join(lines)
    if not facts:
        return f"{rng.choice(['PUZZLE CORNER', 'READERS ASK'])} \u2014 {q}"
    town = rng.choice(["MAPLEWOOD", "CEDAR FALLS", "RIVERTON", "ELMHURST", "BROOKDALE", "OAK RIDGE"])
    lead = " ".join(facts)
    return (f"{town} \u2014 {lead} Readers have written in with the obvious question: {q} "
            + rng.choice(["Send your answers to the newsroom.", "The answer appears in next week's edition.", ""])).strip()


# ------------------------------------------------------------------------------------------------ 7 typography
FULLWIDTH = str.maketrans("0123456789$%", "０１２３４５６７８９＄％")


def _money_words(v: float) -> str:
    dollars, cents = int(v), int(round((v - int(v)) * 100))
    if cents == 100:
        dollars, cents = dollars + 1, 0
    d = f"{spell(dollars)} dollar{'s' if dollars != 1 else ''}"
    c = f"{spell(cents)} cent{'s' if cents != 1 else ''}"
    if dollars and cents:
        return d + " and " + c
    return c if cents else d


def typography(text: str, rng: random.Random) -> str:
    profile = rng.choice(["fullwidth", "money_words", "legal", "spaces"])
    out = text
    if profile == "fullwidth":
        out = re.sub(r"\$?\d[\d,.]*\d|\$?\d", lambda m: m.group().translate(FULLWIDTH), out)
    elif profile in ("money_words", "legal"):
        def money(m: re.Match) -> str:
            v = float(m.group(1).replace(",", ""))
            if v >= 10**9:
                return m.group()
            w = _money_words(v)
            if re.match(r"\s*(?:bills?|notes?|coins?)\b", out[m.end():]) and v == int(v):
                w = spell(int(v)) + "-dollar"
            return f"{w} ({m.group()})" if profile == "legal" else w
        out = re.sub(r"\$(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?![\d,.]*\d)", money, out)
        out = re.sub(r"\b(dollars?|cents?) (dollars|each)\b", r"\1 \2", out)

        def plain(m: re.Match) -> str:
            v = int(m.group().replace(",", ""))
            after = out[m.end():m.end() + 12]
            if (profile == "money_words" and v > 100) or re.match(r"\s*(?::|%|st|nd|rd|th|[ap]\.?m)", after) \
                    or (1800 <= v <= 2100 and "," not in m.group()):
                return m.group()
            w = f"{spell(v)} ({m.group()})" if profile == "legal" else spell(v)
            return w[:1].upper() + w[1:] if re.search(r"(?:^|[.!?:]\s+|\n)$", out[:m.start()]) else w
        out = re.sub(r"(?<![\w.,/:$(])\d{1,3}(?:,\d{3})+(?![\w.,/]*\d)|(?<![\w.,/:$(])\d+(?![\w/:%]|[.,]\d)", plain, out)
    else:
        sep = rng.choice([" ", " ", "'"])
        out = re.sub(r"(?<=\d),(?=\d{3}\b)", sep, out)
        out = re.sub(r"(?<![\d.,:$])\b(\d{1,2})(\d{3})\b(?![.,:]\d)",
                     lambda m: m.group() if 1800 <= int(m.group()) <= 2100 else m.group(1) + sep + m.group(2), out)
    if rng.random() < 0.6:
        for pat, rep in ((r"\b15 minutes\b", "a quarter of an hour"), (r"\b30 minutes\b", "half an hour"),
                         (r"\b45 minutes\b", "three quarters of an hour"), (r"\b90 minutes\b", "an hour and a half"),
                         (r"\b1\.5 hours\b", "an hour and a half"), (r"\b0\.5 hours?\b", "half an hour"),
                         (r"\b2\.5 hours\b", "two and a half hours"), (r"\b0\.25 hours?\b", "a quarter of an hour"),
                         (r"\b1 hour\b", "an hour"), (r"\b1 minute\b", "a minute")):
            out = re.sub(pat + r"(?! (?:in|per|an|a)\b)", rep, out)
    if rng.random() < 0.6:
        ords = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth",
                9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 20: "twentieth"}
        out = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", lambda m: ords.get(int(m.group(1)), m.group()), out)
    return out


# -------------------------------------------------------------------------------------------------- the driver
KINDS = ["expand", "fobar", "reword", "fold", "tail", "layout", "typo"]


def _apply(text: str, on: set[str], rng: random.Random) -> tuple[str, int]:
    changed = 0
    cur = text

    def step(name: str, fn) -> None:
        nonlocal cur, changed
        if name not in on:
            return
        try:
            new = fn(cur)
            if isinstance(new, str) and new.strip() and new != cur:
                cur = new
                changed += 1
        except Exception:  # noqa: BLE001 - a failed step leaves the text as it was
            pass

    answer = None
    try:
        answer = _answers().get(_norm(text))
    except Exception:  # noqa: BLE001
        answer = None
    step("expand", lambda t: digit_expansion(t, rng))
    if cur != text:
        answer = None
    step("reword", lambda t: question_reword(t, rng))
    step("fold", lambda t: rephrase_fold(t, rng))
    # from here on the text is a body of facts and an ask (the question and whatever is appended to it)
    try:
        sents = _sentences(cur)
        idx = cur.rfind(sents[-1]) if sents else -1
        body, ask = (cur[:idx].strip(), cur[idx:].strip()) if idx >= 0 else ("", cur)
    except Exception:  # noqa: BLE001
        body, ask = "", cur
    try:
        if "fobar" in on:
            nb, na = fobar(body, ask, rng, answer)
            if (nb, na) != (body, ask):
                body, ask = nb, na
                changed += 1
        elif "tail" in on:
            na = question_tail(body, ask, rng)
            if na and na != ask:
                ask = na
                changed += 1
    except Exception:  # noqa: BLE001
        pass
    seed = rng.random()
    use_table = "layout" in on and bool(body) and rng.random() < 0.35
    laid = None
    if use_table:
        try:
            laid = givens_table(body, ask, rng)
        except Exception:  # noqa: BLE001
            laid = None
        if laid:
            changed += 1
            if "typo" in on:
                try:
                    typed = typography(laid, random.Random(seed))
                    changed += typed != laid
                    laid = typed
                except Exception:  # noqa: BLE001
                    pass
            return laid, changed
    if "typo" in on:
        try:
            nb, na = typography(body, random.Random(seed)), typography(ask, random.Random(seed))
            if (nb, na) != (body, ask):
                body, ask = nb, na
                changed += 1
        except Exception:  # noqa: BLE001
            pass
    joined = (body + ("\n" if ask.startswith("(a)") else " ") + ask).strip() if body else ask
    if "layout" in on:
        try:
            laid = register_frame(body, ask, rng)
        except Exception:  # noqa: BLE001
            laid = None
    if laid and laid.strip() and laid != joined:
        changed += 1
        return laid, changed
    return joined, changed


def rewrite(text: str, rng: random.Random) -> str:
    """One sixteenth-style rewrite of the GSM8K problem ``text`` (never raises; see the module docstring)."""
    try:
        src = " ".join(str(text).split()) if "\n" not in str(text) else str(text).strip()
        if not src:
            return text
        on = {k for k in KINDS if rng.random() < 0.5}
        if "fobar" in on and "tail" in on:
            on.discard(rng.choice(["fobar", "tail"]))
        rest = [k for k in KINDS if k not in on and not ({k, *on} >= {"fobar", "tail"})]
        rng.shuffle(rest)
        best = text
        for _ in range(len(KINDS) + 1):
            sub = random.Random(rng.random())
            out, changed = _apply(src, on, sub)
            best = out
            if changed >= 3 or not rest:
                break
            k = rest.pop()
            if not ({k, *on} >= {"fobar", "tail"}):
                on.add(k)
        return best if best.strip() else text
    except Exception:  # noqa: BLE001 - never raise
        return text
