"""A ninth rewrite style for GSM8K problems, written on 2026-12-04 (round 8) before any matcher change of that
round was measured on it, and never used for calibration, for choosing features, or for reading misses: a
held-out check.

It models what an LLM asked to "rewrite this problem so it looks different but is the same problem" tends to
produce. What it does that styles 1-8 do not (or do differently):

1. markdown/LaTeX dressing: a header ("**Problem.**", "### Task", "**Scenario**"), the facts as a "- " or "* "
   bullet list, a final "**Question:**" line; in half the problems every quantity is in math mode ("$12$",
   "$25\\%$", money as "\\$5");
2. number forms: in 4 problems of 5 new values for the numbers (one per old value; years, 0, 1 and clock times
   kept), thousands separators ("1,200"), money as "$1,200.00" or "USD 40", ordinals written out ("3rd" ->
   "third"), rates restated with an equal unit ("per hour" -> "per 60 minutes", "3 times a week" -> "3 times
   every 7 days");
3. an LLM's verb synonyms ("has 3" -> "possesses 3" / "is in possession of 3", "buys" -> "acquires" / "obtains",
   "gives" -> "hands" / "donates", "spends" -> "uses up"), and the question undone from its inverted form into
   an imperative ("Determine how many apples Aiko has.", "Compute the total number of ...") or a variable
   ("Let x be the number of apples Aiko has. Find x.");
4. people: names from another culture set (Aiko, Oluwaseun, Mateo, Priya, Siobhan, ...) or a role with "the"
   ("the baker"), consistently, possessives too;
5. sentence order and joins: the question first and the facts after, a fact moved into a parenthetical in
   the sentence before it, two facts joined with "; " or " — ";
6. simple "X has/bought N things." sentences become "There are N things that X has." or the passive, and an
   irrelevant sentence with a number of its own is put among the facts (GSM-IC style).

    >>> import random
    >>> from bench.rewrite_gsm8k_v9 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    ## Word problem
    - There are $11$ apples that Adaeze has.
    - Adaeze's cousin is $60$ years old.
    - $10$ more were acquired by her for \\$9.
    **Question:** Determine the quantity of apples Adaeze has.
"""
from __future__ import annotations

import random
import re

FEMALE = ["Aiko", "Priya", "Siobhan", "Chiamaka", "Anjali", "Niamh", "Adaeze", "Deepika", "Yuki", "Valentina", "Aoife"]
MALE = ["Oluwaseun", "Mateo", "Kenji", "Thiago", "Hiroshi", "Joaquin", "Ciaran", "Babajide", "Arjun", "Tariq"]
NAMES = FEMALE + MALE
ROLES = ["the baker", "the teacher", "the gardener", "the librarian", "the carpenter", "the nurse", "the farmer",
         "the cashier", "the tailor", "the pilot", "the coach", "the mechanic"]
STOP = set("""The A An If He She They It In On At After Before When Each Every How What There This That Then His Her
Their One Two Three Four Five Six Seven Eight Nine Ten For Of To But And So Since While Last Next During Some All Half
Its We I You My Our Your Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April June July August September October November December Christmas Halloween Thanksgiving Easter Find Calculate
Determine Also Meanwhile Today Yesterday Tomorrow Both Over Out From With Together Later First Second Third Finally
However Currently Given Assuming Suppose Let Which Who Where Why Is Are Was Were Does Do Did Will Can Could Would
Should Not No Yes Most Many Much Only Another Other Instead New Spanish French English American Italian Chinese
Mexican Canadian German Math Science Lego Ferris Valentine Mother Father Grandma Grandpa Uncle Aunt Santa""".split())
VERBISH = set("""has had is was buys bought wants and sells sold makes made goes went gets got needs decides decided
earns spends spent works runs ran can will would could takes took gives gave loves likes saves collects plants bakes
started starts owns pays paid uses used drives walks reads writes eats ate receives received finds found picks picked
wanted needed orders ordered hires hired invites invited baked scored scores did does delivers lives joins visits
brings keeps charges travels drinks jogs swims rides sleeps teaches wins sees""".split()) - {"is", "was"}
IRREG = dict(p.split(":") for p in """have:had make:made spend:spent buy:bought sell:sold get:got pay:paid take:took
eat:ate give:gave read:read run:ran win:won lose:lost leave:left go:went see:saw find:found bring:brought catch:caught
drive:drove write:wrote ride:rode feed:fed keep:kept grow:grew put:put cut:cut do:did think:thought throw:threw
swim:swam sleep:slept build:built cost:cost hit:hit sit:sat teach:taught sing:sang drink:drank fly:flew lend:lent
send:sent lay:laid hold:held stand:stood become:became begin:began break:broke choose:chose draw:drew fall:fell
forget:forgot hear:heard meet:met shoot:shot speak:spoke steal:stole wear:wore say:said tell:told feel:felt set:set
let:let quit:quit shut:shut dig:dug""".split())
VERBS = set(IRREG) | set("""need want earn save use collect bake pick plant charge receive owe weigh contain score
travel walk work produce fill pack remain end deliver donate serve ship paint cook complete finish order sew knit
pour water wash practice study jump play rent hire raise count visit cover mow watch lift climb gain return borrow
fix clean trade invest last stay prepare carry answer attend consume sell type skip exercise add""".split())
PRON = {"he", "she", "it", "they", "we", "you", "i", "there"}
DET = set("the his her their its each every this that these those my our your all".split())
ORD = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
       "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
# (forms of one verb, its LLM synonyms in the same forms); one synonym is picked per problem for all the forms
WHO = r"\b([Hh]e|[Ss]he|[A-Z][a-z]+|%s) " % "|".join(ROLES + [_r.capitalize() for _r in ROLES])  # a person
SYN = [([WHO + r"has(?= \$?\d)", WHO + r"had(?= \$?\d)"],
        [["possesses", "possessed"], ["is in possession of", "was in possession of"], ["owns", "owned"]]),
       ([r"buys", r"bought", r"(?<=to )buy"], [["acquires", "acquired", "acquire"], ["obtains", "obtained", "obtain"]]),
       ([r"gives", r"gave", r"give"], [["hands", "handed", "hand"], ["donates", "donated", "donate"]]),
       ([r"spends(?! it| them)", r"spent(?! it| them)", r"spend(?! it| them)"], [["uses up", "used up", "use up"]]),
       ([r"wants to", r"decides to", r"gets(?= \$?\d)"], [["would like to", "chooses to", "receives"],
                                                         ["wishes to", "elects to", "obtains"]])]
RATE = {"hour": "60 minutes", "week": "7 days", "day": "24 hours", "year": "12 months", "minute": "60 seconds"}
NUM = re.compile(r"(?<![\w.:/\\])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%| percent|\$)?(?![\w/:]|\.\d|\s?[ap]\.?m\b|"
                 r" o'clock)")
SIMPLE = re.compile(r"^(?P<s>[A-Z][a-z]+|He|She|They|The \w+) (?P<v>has|had|bought|sold|baked|picked|collected|made|"
                    r"ate|caught|found|planted|wrote|painted) (?P<o>\d[\d,]* [a-z]+(?: [a-z]+)?)(?P<r>(?: (?:for|from|"
                    r"at|in|on|to|each|every|last|this|yesterday|today)\b[^.]*)?)\.$")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _low(s: str, keep: set[str]) -> str:
    w = s.split(" ", 1)[0]
    return s if re.sub(r"['’]s$", "", w) in keep or w == "I" else s[:1].lower() + s[1:]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for p in re.split(r"(?<=[.!?])\s+(?=[A-Z$\d\"'(])", " ".join(text.split())):
        if out and re.search(r"\b(Mr|Mrs|Ms|Dr|St|vs|e\.g)\.$", out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return [s for s in out if s.strip()]


def _people(sents: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    found: list[str] = []
    text, new = " ".join(sents), {}
    for s in sents:
        toks = re.findall(r"[A-Za-z]+(?:['’]s)?", s)
        for i, t in enumerate(toks):
            w = re.sub(r"['’]s$", "", t)
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            prev = toks[i - 1] if i > 0 else ""
            if not re.fullmatch(r"[A-Z][a-z]+", w) or w in STOP or w.rstrip("s") in STOP or re.search(
                    r"\b%s( [A-Z]\b| \d|s\b)" % w, text) or (w[-1] == "s" and re.search(r"\b%s\b" % w[:-1], text)):
                continue  # "District A", "Room 4", "Pomeranians": a label or a kind, not a person
            if (prev[:1].isupper() and i > 1 and prev not in ("Mr", "Mrs", "Ms", "Dr", "Miss")) or nxt[:1].isupper() \
                    or prev.lower() in ("the", "a", "an") or re.search(r"\b%s-|-%s\b" % (w, w), s):
                continue  # part of a longer proper name ("Beverly Hills Bakery")
            if w not in found and (i > 0 or w != t or nxt in VERBISH or (
                    re.fullmatch(r"[a-z]{2,}(s|ed)", nxt) and len(re.findall(r"\b%s\b" % w, text)) > 1)):
                found.append(w)
    roles = rng.random() < 0.3
    for w in found:  # a name of the gender of the first pronoun after it (people keep their pronouns)
        pro = re.search(r"\b(he|his|him|she|her|hers)\b", text[text.index(w):], re.I)
        title = re.search(r"\b(Mrs|Ms|Miss|Mr)\.? %s\b" % w, text)
        female = title.group(1) != "Mr" if title else pro.group(1).lower() in ("she", "her", "hers") if pro else None
        pool = ROLES if roles else NAMES if female is None else FEMALE if female else MALE
        new[w] = rng.choice([n for n in pool if n not in found and n not in new.values()] or ["the neighbor"])
    pat = r"\b((?:Mr|Mrs|Ms|Dr)\.? )?(%s)\b" % "|".join(new)
    sents = [_cap(re.sub(pat, lambda m: ("" if roles else m.group(1) or "") + new[m.group(2)], s)) if new else s
             for s in sents]
    return sents, list(new.values())


def _new_value(m: re.Match, rng: random.Random, seen: dict) -> str:
    money, whole, frac, pct = m.group(1), m.group(2), m.group(3) or "", m.group(4) or ""
    key = (whole + frac, pct in ("%", " percent"))
    if key not in seen:  # one new value per old value, two old values never get the same new one
        n = int(whole.replace(",", ""))
        if frac:
            f = float(whole.replace(",", "") + frac)
            vals = [f"{f * x:.{len(frac) - 1}f}" for x in (0.5, 1.5, 2, 3)]
        elif n <= 1 or (not money and "," not in whole and 1900 <= n <= 2100):
            vals = [whole]
        elif key[1] and n <= 100:
            vals = [str(v) for v in range(5, 100, 5) if v != n]
        elif n <= 12:
            vals = [str(v) for v in range(2, 13) if v != n]
        else:
            unit = 10 ** (len(str(n)) - len(str(n).rstrip("0")))
            vals = [str(round(n * f / unit) * unit) for f in (0.5, 0.75, 1.25, 1.5, 2, 3)]
            vals = [v for v in vals if v not in (str(n), "0")] or [str(n + unit)]
        seen[key] = rng.choice([v for v in vals if v not in seen.values()] or vals)
    return money + seen[key] + pct


def _format(m: re.Match, money_style: str, latex: bool) -> str:
    money, whole, frac, pct = m.group(1), m.group(2).replace(",", ""), m.group(3) or "", m.group(4) or ""
    money, pct = (money or "$", "") if pct == "$" else (money, pct)  # "4000$" is money too
    n = int(whole)
    num = f"{n:,}" if n >= 1000 and (money or "," in m.group(2) or not 1900 <= n <= 2100) else whole
    num += frac
    if money:
        return {"cents": "$" + num + ("" if frac else ".00"), "usd": "USD " + num, "tex": "\\$" + num}.get(
            money_style, "$" + num)
    if latex:
        return "$" + num + ("\\%" if pct == "%" else "") + "$" + (pct if pct == " percent" else "")
    return num + pct


def _third(v: str) -> str:
    if v in ("have", "do", "go"):
        return {"have": "has", "do": "does", "go": "goes"}[v]
    if re.search(r"(s|sh|ch|x|z|o)$", v):
        return v + "es"
    return v[:-1] + "ies" if re.search(r"[^aeiou]y$", v) else v + "s"


def _past(v: str) -> str:
    if v in IRREG:
        return IRREG[v]
    if v.endswith("e"):
        return v + "d"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", v):
        return v + v[-1] + "ed"
    return v[:-1] + "ied" if re.search(r"[^aeiou]y$", v) else v + "ed"


def _subject_end(words: list[str], do: bool) -> int | None:
    w0 = words[0]
    if w0 in ("Mr.", "Mrs.", "Ms.", "Dr.") and len(words) > 1:
        return 2
    if w0.lower() in PRON or (re.fullmatch(r"[A-Z][a-z]+", w0) and w0.lower() not in DET):
        if len(words) > 2 and words[1] == "and" and words[2][:1].isupper():
            return 3
        return 1
    if w0.lower() in DET or re.fullmatch(r"[A-Z][a-z]+['’]s", w0):
        for j in range(1, min(len(words), 5)):
            w = words[j].lower()
            if words[j - 1].endswith(","):
                return j
            if w in VERBS or not do and (re.search(r"\w{3,}(ing|ed|en)$", w) or w in ("left", "in", "at", "on")):
                return j
        return 2 if do else len(words)
    return 1 if do else None


def _question(q: str) -> list[str]:
    """Restatements of the question q (no other text); [] when its form is not understood."""
    q = re.sub(r"\b([Ww]hat)'s\b", r"\1 is", q)
    i = max((m.start(m.lastindex) for m in re.finditer(r"\b([Hh]ow|[Ww]hat)\b|(?:^|, )([Cc]alculate|[Ff]ind)\b", q)),
            default=0)
    pre, body = q[:i], _cap(q[i:])
    if pre and not pre.rstrip().endswith((",", " then", " so")):  # "If A[,] how many ...": the condition stays first
        if not re.match(r"(If|When|After|Assuming|Given|Since) ", pre):
            return []
        pre = pre.rstrip() + ", "
    ind = noun = None
    c = re.match(r"(?:Calculate|Find) (?P<rest>.+?)[.?]?$", body)
    m = re.match(r"(?P<wh>How \w+,?(?: [\w'-]+,?){0,4}?) (?P<aux>does|do|did|is|are|was|were|will|would|can|could|"
                 r"should|has|have|had) (?P<rest>.+?)\s*\?$", body)
    w = re.match(r"What (?:is|was|will be|would be) (?P<np>(?:the|his|her|their|its|a|an) [^?]+)\?$", body)
    if m:
        wh, aux, words = "h" + m.group("wh")[1:], m.group("aux"), m.group("rest").split()
        j = _subject_end(words, aux in ("do", "does", "did"))
        if j is None and aux in ("will", "would", "can", "could", "should") and words[0] not in VERBS | {"be"}:
            return []  # an inverted subject it cannot find
        if aux in ("do", "does", "did"):
            if j is None or j >= len(words):
                return []
            v = words[j].lower()
            v = {"does": _third(v), "did": _past(v)}.get(aux, v)
            clause = " ".join(words[:j] + [v] + words[j + 1:])
        elif j is None:
            clause = aux + " " + " ".join(words)
        else:
            comma = "," if words[j - 1].endswith(",") else ""
            clause = " ".join(words[:j - 1] + [words[j - 1].rstrip(","), aux + comma] + words[j:])
        ind = f"{wh} {clause}"
        thing = re.match(r"how (many|much) ([A-Za-z].*)", wh)
        if thing and not thing.group(2).startswith(("fewer", "less", "more than", "in ", "of ")):
            head = "the amount of " if thing.group(1) == "much" else "the number of "
            what = re.sub(r"^more ", "additional ", thing.group(2))
            noun = head + what + (" that " if j is None else " ") + clause
    elif w:
        noun = w.group("np")
    elif c:
        ind = c.group("rest")
        noun = ind if re.match(r"the \w+ (number|amount|cost|time|value|price|distance|sum)", ind) else None
    elif re.match(r"[Hh]ow (many|much) (?!of |in |more |less |fewer )[a-z]+ [a-z]+ .*\?$", body) and not re.search(
            r"\b(does|do|did)\b", body):  # the thing asked about is the subject
        wh, thing, rest = body.rstrip(" ?").split(" ", 3)[1:]
        ind = f"how {wh} {thing} {rest}"
        noun = ("the amount of " if wh == "much" else "the number of ") + f"{thing} that {rest}"
    else:
        return []
    forms = [f"Determine {ind}.", f"Work out {ind}."] + ([f"Compute {ind}."] if not c else []) if ind else []
    if noun:
        alt = noun.replace("the number of ", "the {} of ".format("count" if i % 2 else "quantity"), 1)
        forms += [f"Let x be {noun}. Find x.", f"What is {alt}?", f"Determine {alt}.",
                  f"Compute {noun.replace('the number of ', 'the total number of ', 1)}."]
    return [pre + (_low(f, set()) if pre else f) for f in forms]


def _simple(s: str, rng: random.Random) -> str:
    m = SIMPLE.match(s)
    if not m or rng.random() < 0.4:
        return s
    subj, v, obj, rest = m.group("s"), m.group("v"), m.group("o"), m.group("r")
    low = subj.lower() if subj in ("He", "She", "They") or subj.startswith("The ") else subj
    if v in ("has", "had"):
        return f"There {'are' if v == 'has' else 'were'} {obj} that {low} {v}{rest}."
    by = {"He": "him", "She": "her", "They": "them"}.get(subj, low)
    be = "was" if obj.startswith("1 ") else "were"
    return f"{obj} {be} {dict(ate='eaten', wrote='written').get(v, v)} by {by}{rest}."


def _distractor(people: list[str], rng: random.Random) -> str:
    who = (people[0] + "'s") if people else "A neighbor's"
    return rng.choice([f"{who} cousin is {rng.randint(6, 60)} years old.",
                       f"{who} favorite number is {rng.randint(3, 99)}.",
                       f"It was {rng.randint(40, 95)} degrees outside that day.",
                       f"The shop down the street opened {rng.randint(2, 30)} years ago."])


def rewrite(q: str, rng: random.Random) -> str:
    sents, people = _people(_sentences(q), rng)
    if not sents:
        return "**Problem.** " + q.strip()
    if rng.random() < 0.8:
        seen: dict = {}
        sents = [NUM.sub(lambda m: _new_value(m, rng, seen), s) for s in sents]
    qi = max((k for k, s in enumerate(sents) if "?" in s), default=len(sents) - 1)
    ques = sents[qi]
    facts = [s if s[-1:] in ".!?" else s + "." for k, s in enumerate(sents) if k != qi]
    facts = [_simple(s, rng) for s in facts]
    for forms, choices in SYN:
        if rng.random() < 0.75:
            pick = rng.choice(choices)
            for f, new in zip(forms, pick):
                facts = [re.sub(r"\b%s\b" % f, lambda m: (m.group(1) + " " if m.lastindex else "") + new, s)
                         for s in facts]
    if rng.random() < 0.5:
        rate = r"(?<=[\d%] )(\w+ )?an? (hour|week|day|year|minute)\b"
        facts = [re.sub(rate, lambda m: (m.group(1) or "") + "every " + RATE[m.group(2)], s) for s in facts]
        facts = [re.sub(r"\bper (hour|week|day|year|minute)\b", lambda m: "per " + RATE[m.group(1)], s) for s in facts]
    if rng.random() < 0.8:
        facts = [re.sub(r"\b([1-9]|1\d|20)(st|nd|rd|th)\b", lambda m: ORD[int(m.group(1)) - 1], s) for s in facts]
    forms = _question(ques)
    qtext = rng.choice(forms) if forms else ques
    layout = rng.choice(["bullets", "bullets", "prose", "plain"]) if facts else "plain"
    keep = set(people) | set(NAMES)
    if layout != "bullets" and len(facts) >= 2 and rng.random() < 0.7:
        k = rng.randrange(len(facts) - 1)
        a, b = facts[k], facts[k + 1]
        facts[k:k + 2] = [rng.choice([a[:-1] + "; " + _low(b, keep), a[:-1] + " \u2014 " + _low(b, keep),
                                      a[:-1] + " (" + _low(b[:-1], keep) + ")" + a[-1]])]
    if facts and rng.random() < 0.6:
        facts.insert(rng.randint(1, len(facts)), _distractor(people, rng))
    money_style, latex = rng.choice(["plain", "cents", "usd"]), rng.random() < 0.5
    if latex:
        money_style = "tex"
    fmt = lambda s: NUM.sub(lambda m: _format(m, money_style, latex), s)  # noqa: E731
    facts, qtext = [fmt(_cap(s)) for s in facts], fmt(qtext)
    first = rng.random() < 0.4 and bool(facts)
    if layout == "bullets":
        b = rng.choice(["- ", "* "])
        head = rng.choice(["### Task", "**Problem.**", "**Scenario**", "## Word problem"])
        lines = [b + s for s in facts]
        if first:
            out = [head, qtext, rng.choice(["Here is what we know:", "Given:", "**Facts:**"])] + lines
        else:
            out = [head] + lines + ["**Question:** " + qtext]
    elif layout == "prose":
        body = " ".join(facts)
        out = ([rng.choice(["**Problem.**", "### Task"]), qtext, "Details: " + body] if first
               else ["**Problem.** " + body, "**Question:** " + qtext])
    else:
        out = [" ".join(facts + [qtext])]
    text = "\n".join(x for x in out if x.strip())
    return text if text.strip() != " ".join(q.split()) else "**Problem.** " + text
