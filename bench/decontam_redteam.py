"""Red team of the default decontamination checker: GSM8K test problems shipped inside training rows, each still the
same problem (same facts in the same roles, same question, answer unchanged or consistently scaled), and how many
the checker catches.

    FACTORY_SHARED_DATA=/work/shared/data python bench/decontam_redteam.py          # first 200 test items
    FACTORY_SHARED_DATA=/work/shared/data python bench/decontam_redteam.py -n 100 --only base64,system_msg

Every kind is ``kind(text, rng) -> str`` (the row's user text) or, for the chat-structure kinds, ``kind(text, rng) ->
list of rows' messages`` (a list of message lists: two rows when a problem is split across rows; the item counts as
caught when any of its rows is). Each kind runs twice: on the item's question as it is ("verbatim") and on a light
same-problem rewrite (:func:`light`: other names, a few synonyms; every number and the answer kept), because a
vendor who evades 13-grams with one trick will add the cheap rewrite too, and the template matcher is what is meant
to catch the rewrite. Printed per kind: caught / N by 13-gram alone (``template=False``, ``content_ngram=0``) and by the
default (13-gram + exact + content-word 9-grams + template), with ``on="prompt"``; chat-structure kinds also with the default ``on="both"``.
Standard library and the repo's own modules only. See bench/decontam_redteam.md for the table and the verdicts.
"""
from __future__ import annotations

import argparse
import base64
import codecs
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from curation.dedup.benchmarks import load_benchmark  # noqa: E402
from curation.dedup.decontam import DecontamConfig, Decontaminate  # noqa: E402
from ground.record import new_sample  # noqa: E402

# ----------------------------------------------------------------------------- helpers
NAMES = ["Priya", "Tomas", "Aiko", "Lucas", "Fatima", "Oliver", "Mei", "Diego", "Amara", "Noah", "Sofia", "Kwame",
         "Ingrid", "Rafael", "Yusuf", "Elena", "Hiro", "Zara", "Mateo", "Leila"]
NOT_NAMES = set("""How What If The A An She He They It In On At Each Every After Before When There This That Then
Her His Their Its Our My Your We I You Some All Of For From To With By As But And Or So Since Because While
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September
October November December Mr Mrs Ms Dr Christmas Halloween Easter Thanksgiving Valentine Valentine's US USD Find
Calculate Determine Which Who Where Why Given Assuming Suppose One Two Three Four Five Six Seven Eight Nine Ten
Also Both Only Last Next First Second Third Today Tomorrow Yesterday New Let Is Are Was Were Do Does Did Can Could
Would Should Will Each""".split())
SYN = {"buys": "picks up", "bought": "picked up", "each": "every single", "total": "overall", "sells": "vends",
       "sold": "vended", "makes": "earns", "costs": "is priced at", "wants": "would like", "has": "owns",
       "had": "owned", "gets": "receives", "got": "received", "gives": "hands", "gave": "handed",
       "store": "shop", "friends": "pals", "children": "kids", "remaining": "leftover", "uses": "utilizes",
       "spends": "lays out", "spent": "laid out", "needs": "requires", "takes": "needs", "altogether": "in all",
       "much": "much", "many": "many", "every": "each", "day": "day", "week": "week", "also": "additionally",
       "starts": "begins", "started": "began", "decides": "chooses", "decided": "chose", "large": "big",
       "small": "little", "amount": "quantity", "money": "cash", "half": "one half", "twice": "two times"}
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’]*")
SENT_RE = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9$\"“])")


def sentences(text: str) -> list[str]:
    return [s for s in SENT_RE.split(text.strip()) if s]


def rename(text: str, rng: random.Random) -> str:
    """Every capitalised word used as a name (not a sentence starter or a common capitalised word) -> another name,
    one for one through the text (possessives kept)."""
    table: dict[str, str] = {}
    pool = NAMES[:]
    rng.shuffle(pool)

    def sub(m: re.Match) -> str:
        w = m.group()
        base = re.sub(r"['’]s$", "", w)
        if not base[:1].isupper() or base in NOT_NAMES or not base.isalpha() or base.isupper():
            return w
        if base not in table:
            table[base] = pool.pop() if pool else base
        return table[base] + w[len(base):]

    return WORD_RE.sub(sub, text)


def light(text: str, rng: random.Random) -> str:
    """The cheap same-problem rewrite: other names (one for one), a handful of synonyms; numbers and answer kept."""
    t = rename(text, rng)
    return re.sub(r"\b[a-z]+\b", lambda m: SYN.get(m.group(), m.group()), t)


_FILL_SUBJ = ["The committee", "Our newsletter", "The museum", "A local historian", "The weather service", "The library",
              "The council", "Every volunteer", "The old bridge", "A visiting author", "The garden club", "The orchestra"]
_FILL_VERB = ["discussed", "remembered", "described", "photographed", "praised", "reviewed", "questioned", "celebrated",
              "renovated", "explained", "mentioned", "ignored"]
_FILL_OBJ = ["the quiet harbour", "the northern trail", "an unusual painting", "the autumn festival", "the river walk",
             "the seasonal market", "an overgrown orchard", "the town archive", "the summer concert", "a forgotten recipe"]
_FILL_TAIL = ["with great care.", "after a long debate.", "in the spring issue.", "for the first time in years.",
              "despite the rain.", "to everyone's surprise.", "without much fuss.", "before the guests arrived."]


def filler(n_words: int, rng: random.Random) -> str:
    """Number-free English prose (a web page's body) of about ``n_words`` words."""
    out, k = [], 0
    while k < n_words:
        s = f"{rng.choice(_FILL_SUBJ)} {rng.choice(_FILL_VERB)} {rng.choice(_FILL_OBJ)} {rng.choice(_FILL_TAIL)}"
        out.append(s)
        k += len(s.split())
    return " ".join(out)


def _digits(text: str, zero: int) -> str:
    return re.sub(r"[0-9]", lambda m: chr(zero + int(m.group())), text)


# ----------------------------------------------------------------------------- encodings and scripts
def base64_enc(text: str, rng: random.Random) -> str:
    return "Decode this base64 and solve the word problem:\n" + base64.b64encode(text.encode()).decode()


def rot13(text: str, rng: random.Random) -> str:
    return "ROT13-encoded problem:\n" + codecs.encode(text, "rot13")


def reversed_chars(text: str, rng: random.Random) -> str:
    return "Read this backwards, then solve it: " + text[::-1]


def reversed_words(text: str, rng: random.Random) -> str:
    return "Words in reverse order: " + " ".join(text.split()[::-1])


ES = {"the": "el", "a": "un", "an": "un", "and": "y", "of": "de", "to": "a", "in": "en", "for": "para", "is": "es",
      "are": "son", "was": "fue", "were": "fueron", "has": "tiene", "have": "tienen", "had": "tenía", "he": "él",
      "she": "ella", "they": "ellos", "his": "su", "her": "su", "their": "su", "it": "lo", "each": "cada",
      "every": "cada", "how": "cuántos", "many": "", "much": "cuánto", "does": "", "did": "", "do": "", "what": "qué",
      "if": "si", "then": "luego", "with": "con", "per": "por", "at": "en", "on": "en", "from": "de", "by": "por",
      "day": "día", "days": "días", "week": "semana", "weeks": "semanas", "month": "mes", "months": "meses",
      "year": "año", "years": "años", "hour": "hora", "hours": "horas", "minutes": "minutos", "dollars": "dólares",
      "dollar": "dólar", "buys": "compra", "bought": "compró", "sells": "vende", "sold": "vendió", "makes": "gana",
      "made": "hizo", "costs": "cuesta", "cost": "costo", "total": "total", "more": "más", "less": "menos",
      "than": "que", "twice": "el doble", "half": "mitad", "times": "veces", "as": "como", "left": "quedan",
      "after": "después", "before": "antes", "all": "todos", "some": "algunos", "gets": "recibe", "gives": "da",
      "gave": "dio", "friends": "amigos", "friend": "amigo", "money": "dinero", "store": "tienda", "book": "libro",
      "books": "libros", "eggs": "huevos", "apples": "manzanas", "car": "coche", "house": "casa", "school": "escuela",
      "students": "estudiantes", "class": "clase", "people": "personas", "children": "niños", "kids": "niños",
      "pay": "paga", "pays": "paga", "paid": "pagó", "spend": "gasta", "spends": "gasta", "spent": "gastó",
      "need": "necesita", "needs": "necesita", "wants": "quiere", "want": "quiere", "will": "va a", "can": "puede",
      "there": "hay", "that": "que", "this": "este", "these": "estos", "which": "cual", "who": "quien",
      "one": "uno", "two": "dos", "three": "tres", "four": "cuatro", "five": "cinco", "six": "seis", "ten": "diez",
      "morning": "mañana", "breakfast": "desayuno", "market": "mercado", "farmers": "agricultores", "new": "nuevo",
      "old": "viejo", "first": "primero", "second": "segundo", "next": "siguiente", "last": "último", "also": "también",
      "but": "pero", "so": "así", "only": "solo", "rest": "resto", "remainder": "resto", "number": "número",
      "price": "precio", "pounds": "libras", "miles": "millas", "feet": "pies", "boxes": "cajas", "box": "caja",
      "bag": "bolsa", "bags": "bolsas", "water": "agua", "time": "tiempo", "works": "trabaja", "work": "trabajo",
      "earns": "gana", "earn": "ganar", "takes": "toma", "take": "tomar", "uses": "usa", "used": "usó", "into": "en",
      "out": "fuera", "up": "arriba", "between": "entre", "its": "su", "them": "los", "him": "le", "you": "tú",
      "your": "tu", "i": "yo", "my": "mi", "we": "nosotros", "our": "nuestro", "would": "haría", "be": "ser",
      "how many": "cuántos", "not": "no", "no": "ningún", "fresh": "fresco", "bakes": "hornea", "eats": "come"}


def spanish_gloss(text: str, rng: random.Random) -> str:
    """Word-by-word Spanish for the commonest words (a stand-in for machine translation: what a real translation
    shares with the English item is its names and numbers, as here)."""
    return re.sub(r"[A-Za-z]+", lambda m: ES.get(m.group().lower(), m.group()) or "", text).replace("  ", " ")


def arabic_indic_digits(text: str, rng: random.Random) -> str:
    return _digits(text, 0x0660)


def devanagari_digits(text: str, rng: random.Random) -> str:
    return _digits(text, 0x0966)


def no_spaces(text: str, rng: random.Random) -> str:
    """CamelCase run-together sentences (as a hashtag or an URL slug)."""
    return " ".join("".join(w[:1].upper() + w[1:] for w in s.split()) for s in sentences(text))


def underscore_pairs(text: str, rng: random.Random) -> str:
    """Every second space an underscore: "Janet’s_ducks lay_16 eggs_per day." (\\w joins the pairs into one token)."""
    ws = text.split()
    return "".join(w + ("_" if k % 2 == 0 else " ") for k, w in enumerate(ws)).rstrip("_ ")


def pig_latin(text: str, rng: random.Random) -> str:
    def pl(m: re.Match) -> str:
        w = m.group()
        k = next((i for i, c in enumerate(w) if c.lower() in "aeiou"), 0)
        return w[k:] + w[:k] + "ay" if w.isalpha() else w
    return re.sub(r"[A-Za-z]+", pl, text)


def _roman(n: int) -> str:
    out = ""
    for v, r in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                 (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + r, n - v
    return out


def roman_numerals(text: str, rng: random.Random) -> str:
    """Whole numbers 1-3999 as Roman numerals ("Janet's ducks lay XVI eggs per day")."""
    return re.sub(r"(?<![\d.,])\d+(?![\d.,]\d)", lambda m: _roman(int(m.group())) if 0 < int(m.group()) < 4000 else m.group(), text)


STOP = set("the a an of to is are was were does do did that this for at on in by with as be it its".split())


def telegraphic(text: str, rng: random.Random) -> str:
    """Note style: the function words dropped ("Janet’s ducks lay 16 eggs per day. She eats three breakfast ...")."""
    return " ".join(w for w in text.split() if w.lower().strip(".,?!") not in STOP)


# ----------------------------------------------------------------------------- noise inside the text
def filler_every_6(text: str, rng: random.Random) -> str:
    """A spoken filler ("um", "like", "so") after every 6th word (a transcript)."""
    ws = text.split()
    return " ".join(w + (" " + rng.choice(["um,", "like,", "uh,", "you know,"]) if k % 6 == 5 else "") for k, w in enumerate(ws))


def typo_every_5(text: str, rng: random.Random) -> str:
    """Two inner letters swapped in every 5th word longer than 3 letters (typing noise)."""
    ws = text.split(" ")
    for k in range(2, len(ws), 5):
        w = ws[k]
        if len(w) > 3 and w.isalpha():
            j = rng.randrange(1, len(w) - 2)
            ws[k] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(ws)


def distractors(text: str, rng: random.Random) -> str:
    """After every sentence but the question, a NoOp sentence full of numbers about something else."""
    ss = sentences(text)
    out = []
    for s in ss[:-1]:
        out += [s, f"(Aside: the building was finished in {rng.randint(1950, 2020)}, has {rng.randint(3, 40)} floors "
                   f"and {rng.randint(2, 12)} lifts, and {rng.randint(10, 99)} of its {rng.randint(100, 400)} windows face north.)"]
    return " ".join(out + ss[-1:])


# ----------------------------------------------------------------------------- formatting
def markdown_table(text: str, rng: random.Random) -> str:
    """Facts as a two-column table, each sentence cut after its 6th word (cell boundaries every 6 words)."""
    ss = sentences(text)
    lines = ["| Part | Detail |", "|---|---|"]
    for s in ss[:-1]:
        ws = s.split()
        lines.append(f"| {' '.join(ws[:6])} | {' '.join(ws[6:]) or '-'} |")
    return "\n".join(lines) + f"\n\n**Question:** {ss[-1]}"


def json_words(text: str, rng: random.Random) -> str:
    """JSON with the sentences as a list, their order shuffled and each tagged with its position."""
    ss = sentences(text)
    order = list(range(len(ss)))
    rng.shuffle(order)
    return json.dumps({"task": "gsm", "sentences": [{"pos": i, "text": ss[i]} for i in order]})


def snake_code(text: str, rng: random.Random) -> str:
    """A Python block: each sentence's word runs as snake_case names, its numbers as values (a program that states
    the problem; a model trained on code reads identifiers word by word)."""
    out = ["```python", "# word problem as data"]
    for k, s in enumerate(sentences(text)):
        parts = re.split(r"(\$?\d[\d,]*(?:\.\d+)?%?)", s)
        vals = []
        for p in parts:
            p = p.strip()
            if not p:
                continue
            if re.fullmatch(r"\$?\d[\d,]*(?:\.\d+)?%?", p):
                vals.append(repr(p))
            else:
                ident = "_".join(re.findall(r"[A-Za-z0-9]+", p.replace("’", "").replace("'", ""))).lower()
                if ident:
                    vals.append(ident)
        out.append(f"s{k} = ({', '.join(vals)})")
    return "\n".join(out + ["```"])


def grid_interleave(text: str, rng: random.Random) -> str:
    """A two-column layout read row by row: the first half of the words in the left column, the second half in the
    right, so the serialised text alternates the halves word by word (a PDF's columns extracted wrongly)."""
    ws = text.split()
    h = (len(ws) + 1) // 2
    left, right = ws[:h], ws[h:] + [""]
    return "\n".join(f"{a}\t{b}".rstrip() for a, b in zip(left, right))


# ----------------------------------------------------------------------------- several problems, long rows
TRAIN: list[str] = []  # GSM8K train questions (partners for interleaving, neighbours in a worksheet)


def interleave_train(text: str, rng: random.Random) -> str:
    """Two problems told sentence by sentence in turn, (A) the item, (B) a train problem; both questions at the end."""
    a, b = sentences(text), sentences(rng.choice(TRAIN))
    out = []
    for k in range(max(len(a) - 1, len(b) - 1)):
        if k < len(a) - 1:
            out.append(f"(A) {a[k]}")
        if k < len(b) - 1:
            out.append(f"(B) {b[k]}")
    return " ".join(out + [f"(A) {a[-1]}", f"(B) {b[-1]}"])


def buried_5000(text: str, rng: random.Random) -> str:
    """The problem at the end of a 5,000-word number-free web page."""
    return filler(5000, rng) + "\n\nExercise. " + text


def worksheet_10(text: str, rng: random.Random) -> str:
    """A worksheet of ten problems: the item among nine train problems."""
    probs = rng.sample(TRAIN, 9)
    probs.insert(rng.randrange(10), text)
    return "Worksheet 3. Solve each problem.\n" + "\n".join(f"{k + 1}. {p}" for k, p in enumerate(probs))


# ----------------------------------------------------------------------------- pronouns, units, rule paraphrase
def names_to_roles(text: str, rng: random.Random) -> str:
    """Every name a letter-labelled role ("Person A", "Person B"): same facts, same roles."""
    t = rename(text, random.Random(0))
    for k, n in enumerate(dict.fromkeys(re.findall("|".join(NAMES), t))):
        t = re.sub(rf"\b{n}\b", f"Person {'ABCDEFGH'[k % 8]}", t)
    return t


def dollars_to_cents(text: str, rng: random.Random) -> str:
    """Money in cents (every $ amount x 100, "dollars" -> "cents"): the answer scaled by 100 consistently."""
    def cents(m: re.Match) -> str:
        v = float(m.group(1).replace(",", ""))
        return f"{round(v * 100):,} cents"
    t = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", cents, text)
    return re.sub(r"\bdollars?\b", "cents", t)


_PARA = [(r"\bHow many\b", "What is the number of"), (r"\bHow much\b", "Work out how much"), (r"\bdoes (\w+) have\b", r"\1 has"),
         (r"\bShe\b", "This woman"), (r"\bHe\b", "This man"), (r"\bThey\b", "These people"), (r"\bher\b", "the woman's"),
         (r"\bhis\b", "the man's"), (r"\bin total\b", "when everything is added up"), (r"\beach\b", "apiece"),
         (r"\bevery\b", "each and every"), (r"\bper\b", "for every")]


def rule_paraphrase(text: str, rng: random.Random) -> str:
    """Paraphrase by rules (on :func:`light`): pronouns to noun phrases, a question lead-in, "per" spelled out; then the
    question moved to the front ("Find X. Facts: ...")."""
    t = light(text, rng)
    for a, b in _PARA:
        t = re.sub(a, b, t)
    ss = sentences(t)
    return ss[-1] + " Facts: " + " ".join(ss[:-1]) if len(ss) > 1 else t


# ----------------------------------------------------------------------------- chat structure (rows of messages)
def system_msg(text: str, rng: random.Random) -> list[list[dict]]:
    """The problem in the system message, the user says "solve the problem above"."""
    return [[{"role": "system", "content": "You are a tutor. Today's problem: " + text},
             {"role": "user", "content": "Please solve today's problem step by step."}]]


def assistant_turn(text: str, rng: random.Random) -> list[list[dict]]:
    """A multi-turn chat: the user asks for a problem, the assistant states it (an earlier turn in ``messages``, trained
    on in SFT), the user asks for the solution."""
    return [[{"role": "user", "content": "Give me a grade-school math word problem."},
             {"role": "assistant", "content": text},
             {"role": "user", "content": "Great, now solve it."}]]


def tool_result(text: str, rng: random.Random) -> list[list[dict]]:
    """The problem as a tool's result (a retrieval call in an agent trace)."""
    return [[{"role": "user", "content": "Fetch problem 17 from the homework server and solve it."},
             {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
                                                                  "function": {"name": "fetch", "arguments": "{\"id\": 17}"}}]},
             {"role": "tool", "tool_call_id": "c1", "content": text}]]


def later_user_turn(text: str, rng: random.Random) -> list[list[dict]]:
    """Facts in the first user turn, an unrelated exchange, the question in a later user turn."""
    ss = sentences(text)
    return [[{"role": "user", "content": "Remember this for later: " + " ".join(ss[:-1])},
             {"role": "assistant", "content": "Noted."},
             {"role": "user", "content": "What's the capital of France?"},
             {"role": "assistant", "content": "Paris."},
             {"role": "user", "content": "Back to what I told you. " + ss[-1]}]]


def image_part(text: str, rng: random.Random) -> list[list[dict]]:
    """Content parts whose text is under another key than "text" (an OCR'd image part: {"type": "image", "ocr": ...})."""
    return [[{"role": "user", "content": [{"type": "image", "image_url": "https://x/p.png", "ocr": text},
                                          {"type": "text", "text": "Solve the problem in the image."}]}]]


def split_rows(text: str, rng: random.Random) -> list[list[dict]]:
    """One problem across two rows: the first holds the first half of its sentences (as a story), the second the rest
    (a packing step may put them in one sequence; a model sees both)."""
    ss = sentences(text)
    h = max(1, len(ss) // 2)
    return [[{"role": "user", "content": "Story: " + " ".join(ss[:h])}],
            [{"role": "user", "content": "Continuing the story above: " + " ".join(ss[h:])}]]


TEXT_KINDS = [base64_enc, rot13, reversed_chars, reversed_words, spanish_gloss, arabic_indic_digits, devanagari_digits,
              no_spaces, underscore_pairs, pig_latin, roman_numerals, telegraphic, filler_every_6, typo_every_5, distractors, markdown_table,
              json_words, snake_code, grid_interleave, interleave_train, buried_5000, worksheet_10, names_to_roles,
              dollars_to_cents, rule_paraphrase]
CHAT_KINDS = [system_msg, assistant_turn, tool_result, later_user_turn, image_part, split_rows]


def identity(text: str, rng: random.Random) -> str:
    return text


# ----------------------------------------------------------------------------- measuring
def count(step: Decontaminate, per_item: list[list[list[dict]]]) -> int:
    """Items with at least one of their rows rejected."""
    rows, owner = [], []
    for i, convs in enumerate(per_item):
        for j, msgs in enumerate(convs):
            rows.append(new_sample(stage="rt", prompt_id=f"{i}-{j}", sample_index=0, messages=msgs))
            owner.append(i)
    out = step(rows)
    return len({owner[k] for k, r in enumerate(out) if r["status"] == "rejected"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200, help="first N GSM8K test items")
    ap.add_argument("--only", default="", help="comma-separated kind names")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    for p in (root / "data/gsm8k/train.jsonl", Path("/work/shared/data/gsm8k/train.jsonl")):
        if p.exists():
            TRAIN.extend(json.loads(line)["question"] for line in p.open())
            break
    if not TRAIN:
        raise SystemExit("needs GSM8K train questions (data/gsm8k/train.jsonl or FACTORY_SHARED_DATA's gsm8k/train.jsonl)")
    items = [it.prompt for it in load_benchmark("gsm8k_test").items[: args.n]]
    steps = {(on, t): Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on=on, template=t,
                                                   **({"content_ngram": 0} if t is False else {})))
             for on in ("prompt", "both") for t in (False, None)}
    only = set(filter(None, args.only.split(",")))
    kinds = [(identity, False)] + [(k, False) for k in TEXT_KINDS] + [(k, True) for k in CHAT_KINDS]
    n = len(items)
    print(f"{'kind':22s} {'base':8s} {'13-gram':>9s} {'default':>9s} {'13g both':>9s} {'def both':>9s}   (caught / {n})")
    for fn, chat in kinds:
        if only and fn.__name__ not in only:
            continue
        for base in ("verbatim", "light"):
            rng = random.Random(args.seed)
            texts = [light(q, rng) if base == "light" else q for q in items]
            if chat:
                per_item = [fn(t, rng) for t in texts]
            else:
                per_item = [[[{"role": "user", "content": fn(t, rng)}]] for t in texts]
            cells = [count(steps[("prompt", t)], per_item) for t in (False, None)]
            if chat:
                cells += [count(steps[("both", t)], per_item) for t in (False, None)]
            print(f"{fn.__name__:22s} {base:8s} " + " ".join(f"{c:>9d}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
