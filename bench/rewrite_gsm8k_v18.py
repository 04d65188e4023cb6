"""An eighteenth rewrite style for GSM8K problems, written on 2026-12-05 (session 23) without seeing the matcher (nothing
under curation/ or factory/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or
scoring script and no ``factory decontam`` run, no results, notes, README, git history, diffs or flag labels read), and
never used for calibration or for reading misses: a held-out check. Of styles 1-17 and the noise style only the module
docstrings (their first 60 lines) were read, to stay clear of them.

It models how a test item looks after a synthetic-data or courseware pipeline has *re-encoded* it rather than
reworded it: facts turned into a data record or a program, the item staged as a Socratic tutoring session or told by
a bystander, the question recast as a check of a given answer (MathCheck / "is the student right?" items) or paired
with an extra part, the hypothetical "would" mood, a symbol-heavy shorthand, and a thesaurus pass over nearly every
content word. The problem stays the same problem: every quantity-bearing fact is kept in its role, values keep their
values (only their written form may change: "three" -> "3", "$2 per egg" -> "$2/egg"), and the original question is
still asked. Each kind is switched on at random (one packaging at most: 1, 2 or 3; one tail at most: 4 or 5); a
problem with fewer than three kinds changing it is redone with one more kind switched on at a time until three do:

1. structured re-encoding: the facts and the question as a data record: a YAML document (``given:`` list, ``asked:``,
   ``answer_format:``), an XML item (``<fact n="1">``, ``<query>``), a one-row CSV sheet with a header (``id,fact_1,
   ...,question``), a TOML/INI block (``fact1 = "..."``), or a Python program in which each fact is a comment followed
   by one variable per number named from the words after it (``eggs_per_day = 16``, ``usd_per_fresh = 2``) and the
   question is a comment over ``answer = None  # TODO``;
2. Socratic tutoring session: a tutor draws the facts out of a student one turn at a time ("What's the first thing
   we're told?" / "Student: Janet's ducks lay 16 eggs per day."), or states a fact and checks it ("It says ... Got
   that?" / "Yes."), then asks what the problem wants; the student reads the question out, the tutor asks which facts
   are needed;
3. bystander voice: the item told by one of the problem's own counted things ("Hello from one of the eggs in this
   problem! ..."), by a parent in an e-mail to a teacher ("Subject: ... Hi Ms. Okoro, ..."), in a diary entry of a
   maths-club member ("Dear diary, ..."), or as a field report ("FIELD REPORT No. 7 / Observations: (i) ... /
   Research question: ...");
4. answer check (tail): a claimed answer is added and has to be judged while the problem is solved: "A classmate got
   18. Is that right? Solve it to check.", "True or false: the answer is 18.", "Show that the answer is 18." (only
   when the claim is the real GSM8K answer, looked up in the local GSM8K files by the question text); otherwise a
   plausible number made from the problem's own numbers is claimed, in a neutral wording;
5. extra part (tail): the item becomes part (a) of a two-part exercise and a part (b) has to be answered too: parity
   or rounding of the answer to (a), the answer in words, the count of numbers given in (a), or an unrelated warm-up
   product ("(b) Unrelated warm-up: what is 7 x 8?");
6. hypothetical mood: the question moved into the conditional ("does she make" -> "would she make", "did he spend" ->
   "would he have spent", "will it take" -> "would it take", "can she" -> "could she") after a lead-in ("Under these
   conditions, ...", "In that case, ...", "Hypothetically, ...");
7. symbolic shorthand: number words as digits ("three" -> "3", "twenty-five" -> "25", "twice" -> "2x" sign),
   "N dollars" -> "$N", "cents" -> the cent sign, units abbreviated after numbers (h, min, mi, ft, lb, oz, gal, km,
   yrs, wks), "per day" / "a day" -> "/day", "$15 an hour" -> "$15/h", "3 times as" -> "3x as", "half of" -> the
   one-half sign, "and" -> "&", "with" -> "w/", "without" -> "w/o", "because" -> "b/c", "about 5" -> the approx
   sign, "number of" -> "# of", "at $2" -> "@ $2", weekday abbreviations ("Mon."), "dozen" -> "doz.";
8. thesaurus pass: its own table of meaning-safe synonyms for many content words, one choice per word per problem
   applied everywhere ("buys" -> "purchases", "store" -> "shop", "kids" -> "children", "money" -> "cash", "eats" ->
   "consumes", "earns" -> "brings in", "needs" -> "requires", "collects" -> "gathers", "extra" -> "additional",
   "the total cost" -> "the overall cost", "in total" -> "altogether", "wants to" -> "would like to", ...).

Pure standard library; deterministic given ``rng`` (and the local GSM8K files, which only decide whether an answer
check may claim the real answer); never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v18 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(5)))
    Teacher: Okay, tell me what the problem says first.
    Student: Janet has 3 apples.
    Teacher: Mm-hm. And after that?
    Student: She purchased 2 more for $5.
    Teacher: And what does it want us to work out?
    Student: Given all that, how many apples would Janet have?
    Teacher: Right. Before you compute anything, what's step one?
"""
from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

# ------------------------------------------------------------------------------------------------ sentences
_ABBR = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|Mt|No|e\.g|i\.e|a\.m|p\.m)\.$")


def _split(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|(?<=[.!?][\"”’'])\s+", text.strip())
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if out and (_ABBR.search(out[-1]) or not re.match(r"[\"“'‘(A-Z0-9$]", p)):
            out[-1] = out[-1] + " " + p
        else:
            out.append(p)
    return out


def _facts_question(text: str) -> tuple[list[str], str]:
    sents = _split(text)
    if not sents:
        return [], text.strip()
    qi = len(sents) - 1
    for i in range(len(sents) - 1, -1, -1):
        if sents[i].rstrip("\"”’' ").endswith("?"):
            qi = i
            break
    facts = sents[:qi] + sents[qi + 1:]
    return facts, sents[qi]


def _lower_first(s: str) -> str:
    if not s:
        return s
    w = s.split(" ", 1)[0]
    if w in ("I", "I'm", "I've") or (len(w) > 1 and w[1:].lower() != w[1:]):
        return s
    if w.lower() in _FUNCTION_START:
        return s[0].lower() + s[1:]
    return s


_FUNCTION_START = set("""how what which who whom whose when where why if the a an she he they it its their his her there
this that these those each every after before in on at for of to and but so as during while since given suppose
assume find calculate determine compute can could would will do does did is are was were one two three four five six
seven eight nine ten some all most many much""".split())

# ------------------------------------------------------------------------------------------------ numbers
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORDVAL = {w: i for i, w in enumerate(_ONES)}
_WORDVAL.update({w: 10 * i for i, w in enumerate(_TENS) if w})
_NUM_RE = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?")


def _spell(v: int) -> str:
    if v < 20:
        return _ONES[v]
    if v < 100:
        return _TENS[v // 10] + ("" if v % 10 == 0 else "-" + _ONES[v % 10])
    if v < 1000:
        return _ONES[v // 100] + " hundred" + ("" if v % 100 == 0 else " and " + _spell(v % 100))
    if v < 1_000_000:
        return _spell(v // 1000) + " thousand" + ("" if v % 1000 == 0 else " " + _spell(v % 1000))
    return str(v)


def _numbers(text: str) -> list[float]:
    vals = []
    for m in _NUM_RE.finditer(text):
        s = m.group().strip("$%").replace(",", "")
        try:
            vals.append(float(s))
        except ValueError:
            pass
    for m in re.finditer(r"\b(" + "|".join(sorted(_WORDVAL, key=len, reverse=True)) + r")\b", text.lower()):
        if m.group() not in ("zero", "one"):
            vals.append(float(_WORDVAL[m.group()]))
    return vals


def _fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v)):,}" if abs(v) >= 10000 else str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------------------ answer lookup
_ANSWERS: dict[str, str] | None = None


def _norm_q(q: str) -> str:
    return re.sub(r"\s+", " ", q.replace("\u2019", "'")).strip().lower()


def _answers() -> dict[str, str]:
    global _ANSWERS
    if _ANSWERS is not None:
        return _ANSWERS
    found: dict[str, str] = {}
    roots = [Path(__file__).resolve().parent.parent / "data" / "gsm8k"]
    if os.environ.get("FACTORY_SHARED_DATA"):
        roots.append(Path(os.environ["FACTORY_SHARED_DATA"]) / "gsm8k")
    roots.append(Path("/work/shared/data/gsm8k"))
    for root in roots:
        for name in ("test.jsonl", "test_first300.jsonl"):
            try:
                with open(root / name, encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            row = json.loads(line)
                            ans = row["answer"].rsplit("####", 1)[1].strip().replace(",", "")
                            found.setdefault(_norm_q(row["question"]), ans)
                        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                            continue
            except OSError:
                continue
    _ANSWERS = found
    return found


def _real_answer(text: str) -> str | None:
    try:
        return _answers().get(_norm_q(text))
    except Exception:  # noqa: BLE001 - the lookup only ever enables a wording
        return None


# ------------------------------------------------------------------------------------------------ 8: thesaurus
_THES: list[tuple[str, list[str]]] = [
    (r"in total", ["altogether", "in all", "all told"]),
    (r"a total of", ["an aggregate of", "a combined"]),
    (r"total(?= (?:cost|number|amount|price|distance|time|weight|bill|profit|sum|value|length|area)\b)",
     ["overall", "combined"]),
    (r"wants to", ["would like to", "wishes to", "hopes to"]),
    (r"wanted to", ["wished to", "hoped to"]),
    (r"want to", ["wish to", "would like to"]),
    (r"decides to", ["chooses to", "elects to"]), (r"decided to", ["chose to", "elected to"]),
    (r"tries to", ["attempts to"]), (r"tried to", ["attempted to"]),
    (r"buys", ["purchases"]), (r"bought", ["purchased"]), (r"buy", ["purchase"]), (r"buying", ["purchasing"]),
    (r"eats", ["consumes"]), (r"ate", ["consumed"]), (r"eaten", ["consumed"]),
    (r"earns", ["brings in", "takes home"]), (r"earned", ["brought in", "took home"]), (r"earn", ["bring in"]),
    (r"needs to", ["has to"]), (r"needed to", ["had to"]), (r"need to", ["have to"]),
    (r"needs(?= (?:\d|a |an |the |some |more |her |his |their |\$))", ["requires"]),
    (r"needed(?= (?:\d|a |an |the |some |more |her |his |their |\$))", ["required"]),
    (r"need(?= (?:\d|a |an |the |some |more |her |his |their |\$))", ["require"]),
    (r"collects", ["gathers"]), (r"collected", ["gathered"]), (r"collect", ["gather"]),
    (r"receives", ["gets"]), (r"received(?! \w+ed\b)", ["got"]),
    (r"gives(?! up| away| back)", ["hands"]), (r"gave(?! up| away| back)", ["handed"]),
    (r"spends(?= \$)", ["lays out", "pays out"]), (r"spent(?= \$)", ["laid out", "paid out"]),
    (r"uses", ["utilizes", "makes use of"]), (r"using", ["utilizing"]),
    (r"starts(?! out| off| up)", ["begins"]), (r"started(?! out| off| up)", ["began"]),
    (r"finishes", ["completes"]), (r"finished", ["completed"]),
    (r"builds", ["constructs"]), (r"built", ["constructed"]),
    (r"travels", ["journeys"]), (r"traveled", ["journeyed"]), (r"travelled", ["journeyed"]),
    (r"helps(?! (?:him|her|them)sel)", ["assists"]), (r"helped(?! (?:him|her|them)sel)", ["assisted"]),
    (r"throws", ["tosses"]), (r"threw", ["tossed"]),
    (r"carries", ["hauls", "lugs"]), (r"carried", ["hauled", "lugged"]),
    (r"cooks", ["prepares"]), (r"splits", ["divides"]), (r"divides", ["splits"]),
    (r"puts", ["places"]),
    (r"walks", ["strolls"]), (r"walked", ["strolled"]),
    (r"purchases", ["buys"]), (r"purchased", ["bought"]),
    (r"the store", ["the shop"]), (r"a store", ["a shop"]), (r"stores", ["shops"]),
    (r"kids", ["children", "youngsters"]), (r"children", ["kids", "youngsters"]),
    (r"friends", ["pals", "buddies"]), (r"friend", ["pal", "buddy"]),
    (r"money", ["cash", "funds"]), (r"house", ["home"]), (r"car", ["vehicle"]), (r"cars", ["vehicles"]),
    (r"job", ["position"]), (r"students", ["pupils"]), (r"student", ["pupil"]),
    (r"teacher", ["instructor"]), (r"teachers", ["instructors"]),
    (r"trip", ["journey", "outing"]), (r"party", ["celebration", "get-together"]),
    (r"gift", ["present"]), (r"gifts", ["presents"]), (r"dinner", ["supper"]),
    (r"mom", ["mother"]), (r"dad", ["father"]), (r"boss", ["manager"]),
    (r"company", ["firm"]), (r"business", ["enterprise"]), (r"salary", ["pay"]),
    (r"price", ["cost"]), (r"prices", ["costs"]), (r"profit", ["gain"]), (r"vacation", ["holiday"]),
    (r"movie", ["film"]), (r"movies", ["films"]), (r"toys", ["playthings"]),
    (r"bag", ["sack"]), (r"bags", ["sacks"]), (r"box", ["carton"]), (r"boxes", ["cartons"]),
    (r"market", ["bazaar", "marketplace"]), (r"customers", ["clients", "shoppers"]), (r"customer", ["client"]),
    (r"workers", ["employees"]), (r"worker", ["employee"]), (r"people", ["folks", "persons"]),
    (r"person", ["individual"]), (r"team", ["squad"]), (r"amount", ["quantity"]),
    (r"the number of", ["the count of", "the quantity of"]), (r"the rest", ["the remainder"]), (r"the remainder", ["the rest"]),
    (r"remaining", ["leftover"]), (r"big", ["large"]), (r"large", ["big"]), (r"small", ["little"]),
    (r"favorite", ["preferred"]), (r"extra", ["additional"]), (r"additional", ["extra"]),
    (r"whole(?! number)", ["entire"]), (r"entire", ["whole"]), (r"equally", ["evenly"]), (r"different", ["distinct"]),
    (r"several", ["a number of"]), (r"usually", ["typically"]), (r"always", ["invariably"]),
    (r"often", ["frequently"]), (r"quickly", ["rapidly"]), (r"also", ["additionally", "likewise"]),
    (r"every day", ["each day"]), (r"daily(?=[.,;!?])", ["every day"]), 
    (r"neighbor", ["next-door neighbor"]), (r"town", ["village"]), (r"garden", ["yard"]),
    (r"however", ["nevertheless"]), (r"because", ["since"]),
]


def _case_like(src: str, rep: str) -> str:
    return rep[0].upper() + rep[1:] if src[:1].isupper() else rep


def _thesaurus(text: str, rng: random.Random) -> str:
    entries = [(p, rng.choice(alts)) for p, alts in _THES]
    # one alternation, longest phrases first, so nothing is replaced twice
    order = sorted(range(len(entries)), key=lambda i: -len(entries[i][0]))
    pat = re.compile(r"(?<![\w'’-])(" + "|".join(f"(?P<g{i}>{entries[i][0]})" for i in order) + r")(?![\w-])",
                     re.IGNORECASE)

    def rep(m: re.Match) -> str:
        for k, v in m.groupdict().items():
            if v is not None:
                out = entries[int(k[1:])][1]
                src = m.group()
                if src[:1].isupper() and not src.isupper():
                    return _case_like(src, out)
                return out
        return m.group()

    out = pat.sub(rep, text)
    firsts = sorted({alt.split(" ")[0] for _, alt in entries}, key=len, reverse=True)

    def art(m: re.Match) -> str:
        a, w = m.group(1), m.group(2)
        want = "an" if w[0].lower() in "aeiou" else "a"
        return (want.capitalize() if a[0].isupper() else want) + " " + w

    out = re.sub(r"\b(a|an|A|An) (" + "|".join(map(re.escape, firsts)) + r")\b", art, out)
    return out


# ------------------------------------------------------------------------------------------------ 7: shorthand
_UNIT_ABBR = {"hours": "h", "hour": "h", "minutes": "min", "minute": "min", "seconds": "sec", "second": "sec",
              "miles": "mi", "mile": "mi", "feet": "ft", "foot": "ft", "inches": "in", "inch": "in", "pounds": "lb",
              "pound": "lb", "ounces": "oz", "ounce": "oz", "gallons": "gal", "gallon": "gal", "kilometers": "km",
              "kilometer": "km", "meters": "m", "centimeters": "cm", "kilograms": "kg", "grams": "g",
              "liters": "L", "yards": "yd", "yard": "yd", "square feet": "sq ft", "square inches": "sq in",
              "square meters": "m\u00b2", "square miles": "sq mi", "square yards": "sq yd", "milliliters": "mL", "years": "yrs", "weeks": "wks", "week": "wk", "months": "mos"}
_PER_ABBR = {"hour": "h", "minute": "min", "second": "sec", "day": "day", "week": "wk", "month": "mo", "year": "yr",
             "mile": "mi", "pound": "lb", "foot": "ft", "gallon": "gal"}
_DAYS = {"Monday": "Mon.", "Tuesday": "Tue.", "Wednesday": "Wed.", "Thursday": "Thu.", "Friday": "Fri.",
         "Saturday": "Sat.", "Sunday": "Sun."}


def _shorthand(text: str, rng: random.Random) -> str:
    s = text
    # number words -> digits ("twenty-five" first)
    s = re.sub(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(one|two|three|four|five|six|seven|eight|"
               r"nine)\b", lambda m: str(_WORDVAL[m.group(1).lower()] + _WORDVAL[m.group(2).lower()]), s,
               flags=re.IGNORECASE)

    def word(m: re.Match) -> str:
        w = m.group(1)
        before = s[max(0, m.start() - 12):m.start()].lower()
        after = s[m.end():m.end() + 12].lower()
        if w.lower() == "one":
            if re.search(r"(no|each|every|any|the|this|that|which|some|last|first|only) $", before):
                return m.group()
            if re.match(r" (another|day|time|afternoon|morning|evening|night|of them|week|year)\b", after):
                return m.group()
        if re.match(r"-(thirds?|quarters?|fourths?|fifths?|halves)", after):
            return m.group()
        return str(_WORDVAL[w.lower()]) if w[0].islower() or w.lower() != "one" else m.group()

    s = re.sub(r"\b(" + "|".join(sorted(_WORDVAL, key=len, reverse=True)) + r")\b(?!-)",
               lambda m: word(m) if m.group(1).lower() != "zero" else m.group(), s, flags=re.IGNORECASE)
    s = re.sub(r"\btwice\b", "2\u00d7", s)
    s = re.sub(r"\bTwice\b", "2\u00d7", s)
    s = re.sub(r"(\d) times (as|more|the|what|that|his|her|their)\b", "\\1\u00d7 \\2", s)
    s = re.sub(r"\bhalf (?=of|as|the)", "\u00bd ", s)
    # money
    s = re.sub(r"\b(\d[\d,]*(?:\.\d+)?) dollars?\b", r"$\1", s)
    s = re.sub(r"\b(\d+) cents?\b", "\\1\u00a2", s)
    s = re.sub(r"\bin dollars\b", "in $", s)
    # rates
    s = re.sub(r"\bper (hour|minute|second|day|week|month|year|mile|pound|foot|gallon)\b",
               lambda m: "/" + _PER_ABBR[m.group(1)], s)
    s = re.sub(r"(\$[\d,.]+|\d(?: [a-z]+)?) (an|a) (hour|day|week|month|year)\b",
               lambda m: m.group(1) + "/" + _PER_ABBR[m.group(3)], s)
    s = re.sub(r"(\$[\d,.]+) per ([a-z]+)\b", r"\1/\2", s)
    s = re.sub(r"(\d [a-z]+) per ([a-z]+)\b", r"\1/\2", s)
    s = re.sub(r" (/[a-z]+)", r"\1", s)
    # units after numbers
    s = re.sub(r"(\d) (" + "|".join(sorted(_UNIT_ABBR, key=len, reverse=True)) + r")\b(?!-)",
               lambda m: m.group(1) + " " + _UNIT_ABBR[m.group(2)], s)
    s = re.sub(r"(\d) ?percent\b", r"\1%", s)
    # connectives and symbols
    s = re.sub(r"\bwithout\b", "w/o", s)
    s = re.sub(r"\bwith\b", "w/", s)
    s = re.sub(r"\bbecause\b", "b/c", s)
    s = re.sub(r"\b(?:approximately|about|around) (?=\$?\d)", "\u2248", s)
    s = re.sub(r"\bnumber of\b", "# of", s)
    s = re.sub(r"\bat (?=\$\d)", "@ ", s)
    s = re.sub(r"\bdozen\b", "doz.", s)
    s = re.sub(r"(?<=[a-z,]) and (?=[a-z$\d])", " & ", s)
    s = re.sub(r"\b(" + "|".join(_DAYS) + r")\b(\.?)", lambda m: _DAYS[m.group(1)], s)
    s = re.sub(r"  +", " ", s)
    return s


# ------------------------------------------------------------------------------------------------ 6: mood
_IRREG = {"spend": "spent", "buy": "bought", "make": "made", "have": "had", "pay": "paid", "get": "gotten",
          "take": "taken", "sell": "sold", "give": "given", "eat": "eaten", "read": "read", "run": "run",
          "drive": "driven", "go": "gone", "write": "written", "lose": "lost", "win": "won", "bring": "brought",
          "catch": "caught", "find": "found", "keep": "kept", "leave": "left", "put": "put", "see": "seen",
          "send": "sent", "swim": "swum", "teach": "taught", "think": "thought", "throw": "thrown", "ride": "ridden",
          "fly": "flown", "grow": "grown", "draw": "drawn", "drink": "drunk", "feed": "fed", "hold": "held",
          "lend": "lent", "sleep": "slept", "build": "built", "cut": "cut", "let": "let", "hit": "hit",
          "set": "set", "sit": "sat", "stand": "stood", "tell": "told", "say": "said", "wear": "worn",
          "break": "broken", "choose": "chosen", "begin": "begun", "bake": "baked", "shop": "shopped",
          "plan": "planned", "stop": "stopped", "drop": "dropped", "jog": "jogged", "knit": "knitted",
          "do": "done", "need": "needed", "save": "saved", "earn": "earned", "use": "used", "owe": "owed"}


def _participle(v: str) -> str | None:
    lv = v.lower()
    if lv in _IRREG:
        return _IRREG[lv]
    if not re.fullmatch(r"[a-z]{3,}", lv):
        return None
    if lv.endswith("e"):
        return lv + "d"
    if re.search(r"[^aeiou]y$", lv):
        return lv[:-1] + "ied"
    if re.search(r"[^aeiou][aeiou][bdgmnprt]$", lv) and len(lv) <= 4:
        return None
    return lv + "ed"


_SUBJ = r"((?:she|he|they|it|we|you|I|the [a-z]+(?: [a-z]+)?|[A-Z][a-z]+(?:['’]s [a-z]+)?|[A-Z][a-z]+ and [A-Z][a-z]+|each [a-z]+|[a-z]+ of them))"


def _mood(q: str, rng: random.Random) -> str:
    s = q
    s2 = re.sub(r"\b(is|are) there\b", "would there be", s)
    if s2 == s:
        s2 = re.sub(r"\b(does|do) " + _SUBJ + r" (?=[a-z])", r"would \2 ", s)
    if s2 == s:
        def did(m: re.Match) -> str:
            p = _participle(m.group(2))
            return f"would {m.group(1)} have {p}" if p else m.group()
        s2 = re.sub(r"\bdid " + _SUBJ + r" ([a-z]+)\b", did, s)
    if s2 == s:
        s2 = re.sub(r"\b(will|can) " + _SUBJ + r" (?=[a-z])",
                    lambda m: ("would " if m.group(1) == "will" else "could ") + m.group(2) + " ", s)
    if s2 == s:
        s2 = re.sub(r"\b(will|can) (?=[a-z])", lambda m: "would " if m.group(1) == "will" else "could ", s, count=1)
    if s2 == s:
        return q
    lead = rng.choice(["Under these conditions, ", "In that case, ", "Hypothetically, ", "Given all that, ",
                       "If everything above holds, "])
    return lead + _lower_first(s2)


# ------------------------------------------------------------------------------------------------ 4/5: tails
def _claim_value(text: str, rng: random.Random) -> tuple[str, bool]:
    """A claimed answer and whether it is known to be the real one."""
    real = _real_answer(text)
    if real is not None and rng.random() < 0.55:
        return real, True
    nums = [v for v in _numbers(text) if v > 0]
    if real is not None:
        try:
            r = float(real)
            cands = [r + d for d in (1, 2, 5, 10, -1, -2) if r + d > 0] + [r * 2]
            if r > 4:
                cands.append(r / 2 if (r / 2) == int(r / 2) else r + 3)
            return _fmt(rng.choice(cands)), False
        except ValueError:
            pass
    if len(nums) >= 2:
        a, b = rng.sample(nums, 2)
        v = rng.choice([a + b, a * b, abs(a - b) or a + b, sum(nums)])
    elif nums:
        v = nums[0] * rng.choice([2, 3])
    else:
        v = rng.choice([12, 15, 20, 24, 30])
    return _fmt(v), False


def _check_tail(text: str, rng: random.Random) -> str:
    val, known = _claim_value(text, rng)
    if known and rng.random() < 0.35:
        return rng.choice([f"Show that the answer is {val}.", f"Verify that the answer comes out to {val}.",
                           f"The answer key says {val}. Show the working that gets there."])
    name = rng.choice(["Maya", "Theo", "Ines", "Kofi", "Lena", "Ravi", "Sam", "Noor"])
    return rng.choice([
        f"A classmate got {val}. Is that right? Solve it to check.",
        f"True or false: the answer is {val}. Justify your choice.",
        f"{name} says the answer is {val}. Do you agree? Explain.",
        f"Claimed answer: {val}. Decide whether the claim is correct, and give the correct answer.",
        f"Check this: is the answer {val}? Work it out and say yes or no.",
    ])


def _extra_part(text: str, rng: random.Random, labelled: bool = True) -> str:
    k = len({_fmt(v) for v in _numbers(text)})
    ans, prob = ("your answer to (a)", "part (a)") if labelled else ("the answer", "the problem")
    opts = [f"Is {ans} an even or an odd number?", f"Round {ans} to the nearest ten.", f"Write {ans} in words.",
            f"Unrelated warm-up: what is {rng.randint(3, 12)} \u00d7 {rng.randint(3, 12)}?",
            f"Unrelated warm-up: what is {rng.randint(11, 99)} + {rng.randint(11, 99)}?"]
    if k:
        opts.append(f"How many different numbers are given in {prob}?")
    return rng.choice(opts)


# ------------------------------------------------------------------------------------------------ 1: structured
def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _csv(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if re.search(r'[",\n]', s) else s


_STOP = set("""a an the of for to in on at and or with each every per more than as his her their its my our your this
that these those is are was were be by from into about over all some other another times time what which who""".split())


def _varnames(fact: str, used: dict[str, int]) -> list[tuple[str, str]]:
    out = []
    for m in re.finditer(r"(\$)?(\d[\d,]*(?:\.\d+)?)(%)?|\b(" + "|".join(
            sorted((w for w in _WORDVAL if w not in ("zero", "one")), key=len, reverse=True)) + r")\b",
                         fact, flags=re.IGNORECASE):
        if m.group(4):
            val = str(_WORDVAL[m.group(4).lower()])
        else:
            val = m.group(2).replace(",", "")
        tail = re.findall(r"[A-Za-z]+", re.split(r"[,.;:!?()]", fact[m.end():m.end() + 40].replace("/", " per "))[0])
        words = []
        for w in tail:
            lw = w.lower()
            if lw in ("per", "each", "every", "an", "a") and words:
                words.append("per")
                continue
            if lw in _STOP:
                if words:
                    break
                continue
            words.append(lw)
            if len([x for x in words if x != "per"]) >= 2:
                break
        while words and words[-1] == "per":
            words.pop()
        base = "_".join(words[:3]) or "value"
        if m.group(1):
            base = "usd_" + base if base != "value" else "usd"
        if m.group(3):
            base = "pct_" + base if base != "value" else "pct"
        base = re.sub(r"[^a-z0-9_]", "", base) or "value"
        if base[0].isdigit():
            base = "n_" + base
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base}_{used[base]}"
        if m.group(3):
            val = f"{val} / 100"
        out.append((name, val))
    return out


def _structured(facts: list[str], question: str, tail: str, rng: random.Random) -> str:
    kind = rng.choice(["yaml", "xml", "csv", "toml", "python"])
    pid = f"{rng.choice(['gsm', 'wp', 'item', 'prob'])}-{rng.randint(100, 9999):04d}"
    if kind == "yaml":
        lines = ["problem:", f"  id: {pid}", "  given:"] + [f"    - {_q(f)}" for f in facts]
        lines.append(f"  asked: {_q(question)}")
        if tail:
            lines.append(f"  also: {_q(tail)}")
        lines.append(f"  answer_format: {rng.choice(['number', 'integer', 'numeric'])}")
        return "\n".join(lines)
    if kind == "xml":
        lines = [f'<item id="{pid}">', "  <context>"]
        lines += [f'    <fact n="{i}">{_xml(f)}</fact>' for i, f in enumerate(facts, 1)]
        lines += ["  </context>", f"  <query>{_xml(question)}</query>"]
        if tail:
            lines.append(f"  <followup>{_xml(tail)}</followup>")
        lines.append("</item>")
        return "\n".join(lines)
    if kind == "csv":
        head = ["id"] + [f"fact_{i}" for i in range(1, len(facts) + 1)] + ["question"] + (["follow_up"] if tail else [])
        row = [pid] + facts + [question] + ([tail] if tail else [])
        return ",".join(head) + "\n" + ",".join(_csv(x) for x in row)
    if kind == "toml":
        lines = [f"[{pid.replace('-', '_')}]"] + [f"fact{i} = {_q(f)}" for i, f in enumerate(facts, 1)]
        lines.append(f"question = {_q(question)}")
        if tail:
            lines.append(f"follow_up = {_q(tail)}")
        return "\n".join(lines)
    # python program
    used: dict[str, int] = {}
    lines = [rng.choice(["# Word problem, encoded as a program.", "# Translate the story into code, then finish it.",
                         f"# {pid}: fill in the missing computation."])]
    for f in facts:
        lines.append("# " + f)
        for name, val in _varnames(f, used):
            lines.append(f"{name} = {val}")
    lines.append("# Q: " + question)
    if tail:
        lines.append("# Also: " + tail)
    lines.append(rng.choice(["answer = None  # TODO", "answer = ...  # your code here", "def solve():\n    ...  # TODO"]))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ 2: Socratic
def _socratic(facts: list[str], question: str, tail: str, rng: random.Random) -> str:
    t, st = rng.choice([("Tutor", "Student"), ("Teacher", "Student"), ("Coach", "Kid"), ("T", "S")])
    opens = ["Let's read this one together. What's the first thing we're told?",
             "Okay, tell me what the problem says first.", "Start with the first fact. What do we know?"]
    nexts = ["Good. What else?", "And then?", "Okay. Anything else we know?", "Right. Keep going.",
             "Great. What's the next piece of information?", "Mm-hm. And after that?"]
    checks = ["Got that?", "With me so far?", "Does that make sense?", "Clear?"]
    yes = ["Yes.", "Yep.", "Got it.", "Okay."]
    lines = []
    for i, f in enumerate(facts):
        if rng.random() < 0.3:
            lead = "It says" if i == 0 else rng.choice(["Next it says", "Then", "Also,"])
            body = _lower_first(f)
            lines.append(f"{t}: {lead} {body} {rng.choice(checks)}")
            lines.append(f"{st}: {rng.choice(yes)}")
        else:
            lines.append(f"{t}: {rng.choice(opens) if i == 0 else rng.choice(nexts)}")
            lines.append(f"{st}: {f}")
    lines.append(f"{t}: " + rng.choice(["So what exactly is the question asking?", "Now, what are we trying to find?",
                                        "And what does it want us to work out?"]))
    lines.append(f"{st}: {question}")
    if tail:
        lines.append(f"{t}: Exactly. One more thing: {tail}")
    else:
        lines.append(f"{t}: " + rng.choice(["Exactly. Which of those facts will you need first?",
                                            "Right. Before you compute anything, what's step one?",
                                            "Good. Let's work it out together."]))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ 3: bystander
def _counted_noun(text: str) -> str | None:
    nouns = [m.group(1) for m in re.finditer(r"\b(?:\d[\d,]*|" + "|".join(_ONES[2:] + _TENS[2:]) +
                                             r") ([a-z]{3,}s)\b", text)]
    bad = {"hours", "minutes", "seconds", "days", "weeks", "months", "years", "dollars", "cents", "miles", "feet",
           "inches", "pounds", "times", "points", "percent", "ounces", "gallons", "meters", "liters", "kilometers",
           "grams", "kilograms", "yards", "less", "more", "others", "was", "has", "is", "costs", "does", "plus"}
    nouns = [n for n in nouns if n not in bad]
    return nouns[0] if nouns else None


def _voice(facts: list[str], question: str, tail: str, text: str, rng: random.Random) -> str:
    body = " ".join(facts)
    end = (" " + rng.choice(["And also: ", "One more question: ", "Extra question: "]) + tail) if tail else ""
    kind = rng.choice(["object", "email", "diary", "report"])
    noun = _counted_noun(" ".join(_facts_question(text)[0]))
    if kind == "object" and noun:
        return (f"Hello from one of the {noun} in this problem! That's right, I'm one of the {noun}, and I saw the "
                f"whole thing. Here is what happened. {body} Now the humans want to know: {question}{end}")
    if kind in ("object", "email"):
        teacher = rng.choice(["Ms. Okoro", "Mr. Lindgren", "Mrs. Patel", "Mr. Haddad", "Ms. Brennan"])
        parent = rng.choice(["Dana", "Chris", "Priya", "Marcus", "Elif"])
        subj = rng.choice(["Question about tonight's homework", "Stuck on problem 4", "Help with a word problem"])
        return (f"Subject: {subj}\n\nHi {teacher},\n\nMy kid is stuck on this one from the worksheet, and honestly so "
                f"am I:\n\n\"{body} {question}\"{tail and chr(10) + chr(10) + 'The sheet also asks: ' + tail}\n\nCould "
                f"you explain how to set it up? Thanks,\n{parent}")
    if kind == "diary":
        day = rng.choice(["Tuesday", "Thursday", "Saturday"])
        return (f"Dear diary,\n{day}. At maths club we got a tricky one today. {body} The question was: {question}"
                f"{end} I'll try it again before bed.")
    lines = [f"FIELD REPORT No. {rng.randint(2, 40)}", "Observations:"]
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"]
    for i, f in enumerate(facts):
        lines.append(f"  ({roman[i] if i < len(roman) else i + 1}) {f}")
    lines.append(f"Research question: {question}")
    if tail:
        lines.append(f"Secondary question: {tail}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ driver
_KINDS = ["structured", "socratic", "voice", "check", "extra", "mood", "shorthand", "thesaurus"]
_PACK = ("structured", "socratic", "voice")
_TAIL = ("check", "extra")


def _safe(fn, default, *args):
    try:
        out = fn(*args)
        return out if isinstance(out, str) and out.strip() else default
    except Exception:  # noqa: BLE001 - a failed step leaves its text as it was
        return default


def _build(text: str, on: set[str], rng: random.Random) -> tuple[str, set[str]]:
    facts, question = _facts_question(text)
    changed: set[str] = set()
    if "thesaurus" in on:
        seed = rng.random()
        new = [_safe(_thesaurus, f, f, random.Random(seed)) for f in facts]
        nq = _safe(_thesaurus, question, question, random.Random(seed))
        if new != facts or nq != question:
            changed.add("thesaurus")
        facts, question = new, nq
    if "shorthand" in on:
        new = [_safe(_shorthand, f, f, rng) for f in facts]
        nq = _safe(_shorthand, question, question, rng)
        if new != facts or nq != question:
            changed.add("shorthand")
        facts, question = new, nq
    if "mood" in on:
        nq = _safe(_mood, question, question, rng)
        if nq != question:
            changed.add("mood")
        question = nq
    tail = ""
    if "check" in on:
        tail = _safe(_check_tail, "", text, rng)
        if tail:
            changed.add("check")
    elif "extra" in on:
        packed = bool(on & {"voice"} or (facts and on & {"structured", "socratic"}))
        tail = _safe(_extra_part, "", text, rng, not packed)
        if tail:
            changed.add("extra")
    if not facts:
        on = on - {"structured", "socratic"}
    out = None
    if "structured" in on:
        out = _safe(_structured, None, facts, question, tail, rng)
        if out:
            changed.add("structured")
    elif "socratic" in on:
        out = _safe(_socratic, None, facts, question, tail, rng)
        if out:
            changed.add("socratic")
    elif "voice" in on:
        out = _safe(_voice, None, facts, question, tail, text, rng)
        if out:
            changed.add("voice")
    if out is None:
        body = " ".join(facts + [question])
        if "extra" in changed:
            out = rng.choice(["Answer both parts.\n(a) {b}\n(b) {t}", "(a) {b}\n(b) {t}",
                              "Part (a): {b}\nPart (b): {t}"]).format(b=body, t=tail)
        elif tail:
            out = body + rng.choice([" ", "\n"]) + tail
        else:
            out = body
    return out, changed


def rewrite(text: str, rng: random.Random) -> str:
    """One style-18 rewrite of GSM8K problem ``text`` (see the module docstring)."""
    try:
        on = {k for k in _KINDS if rng.random() < (0.28 if k in _PACK else 0.4 if k in _TAIL else 0.5)}
        for group in (_PACK, _TAIL):
            hit = [k for k in group if k in on]
            if len(hit) > 1:
                keep = rng.choice(hit)
                on -= set(hit) - {keep}
        rest = [k for k in _KINDS if k not in on]
        rng.shuffle(rest)
        best = text
        for _ in range(len(_KINDS) + 1):
            out, changed = _build(text, on, random.Random(rng.random()))
            if out.strip() and out.strip() != text.strip():
                best = out
            if len(changed) >= 3 or not rest:
                break
            while rest:
                k = rest.pop()
                if k in _PACK and on & set(_PACK) or k in _TAIL and on & set(_TAIL):
                    continue
                on.add(k)
                break
            else:
                break
        if best.strip() == text.strip():
            best = text.strip() + "\n" + _check_tail(text, rng)
        return best
    except Exception:  # noqa: BLE001 - never raise
        try:
            return text.strip() + "\nCheck this: is the answer 12? Work it out and say yes or no."
        except Exception:  # noqa: BLE001
            return str(text)
