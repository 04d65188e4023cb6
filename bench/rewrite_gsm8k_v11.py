"""An eleventh rewrite style for GSM8K problems, written on 2026-12-04 (session 21) without seeing the matcher
(nothing under curation/ read or imported, no decontamination bench, calibration or judge script and no
``factory decontam`` run, no results or flag labels read), and never used for calibration or for reading misses: a
held-out check. Of styles 1-10 and the noise style only the module docstrings were read, to stay clear of them.

It models how a contaminated benchmark item actually turns up inside a synthetic or instruction-tuning corpus:
packed into a chat/instruction record, retold by a "teacher" model, or boiled down into notes. The problem stays
the same problem (the same quantities in the same roles, the same solution steps); each kind below is switched
on at random, and a problem left with fewer than three kinds changing it is redone with all of them on:

1. instruction-dataset packaging: Alpaca ("### Instruction: ... ### Response:"), ChatML, Llama-3 and Gemma
   turn markers, "<|user|> ... <|assistant|>", "Human: ... Assistant:", "[INST] ... [/INST]", a system line,
   a "Q:/A:" few-shot prompt with one unrelated solved example of its own before it, or one JSON line
   (``{"instruction": ...}``, ``{"prompt": ...}``, ShareGPT ``{"conversations": ...}``, OpenAI ``{"messages":
   ...}``) with the text escaped; sometimes followed by the start of a worked solution that restates the
   first facts ("Let's solve this step by step. First, ...") and stops before any arithmetic;
2. a "teacher" retelling: when exactly one person is named and the pronouns are unambiguous, that person
   becomes "you" (second person, sometimes "Suppose you ...") or "we" (first person plural), consistently:
   possessives ("Janet's" -> "your"/"our"), object and reflexive pronouns, inverted questions ("does she
   have" -> "do you have") and verb agreement ("She buys" -> "You buy", "... and bakes" -> "... and bake");
3. entities: other people get new names of the same gender (read off the pronouns that follow a name;
   gender-neutral names where that is unclear; "Mr./Mrs." surnames get new surnames), consistently; the
   counted objects move to another domain (apples -> widgets / tickets / folders / keychains), singular,
   plural and "a"/"an" alike, unless the story eats, bakes, grows or reads them or uses them in a compound;
4. numbers: money amounts are scaled by one factor (x2..x5) together, only when every money amount is
   written with "$"/"dollars" and no coins, bills or bare prices appear (so every relation holds: money is
   one dimension); all other values are kept (a bare number equal to a money amount is another quantity and
   stays); then one form profile per problem: small numbers as words or number words as digits, thousands
   as "2k"/"2.5k" or with/without separators, money as "USD 40" / "40 USD" / "$40.00", time as
   "hrs"/"mins"/"secs", "%" <-> "percent";
5. fact layout: the facts as one "Given: (1) ...; (2) ...; ..." line, or as a markdown table
   (``| # | fact |``), with the question after it;
6. compression: telegraphic "notes" that drop articles, "there is/are", "also/then/just" and a repeated
   subject pronoun, write "Tom: 5 apples", "&", "w/", "$2/egg", "16 eggs/day", "$16", "# of", but keep
   every fact;
7. question variants: "How many X does Y have?" -> "Number of X Y has = ?", "Find the number of X Y has.",
   "What's the total number of X ...?" (when it asked for a total), "# X Y has?" in notes; "What is the
   ...?" -> "The ... = ?"; "Calculate the ..." -> "What's the ...?"; a leading "If ..., " turned into
   "Assume ...."; or a multiple-choice framing with four options (A)-(D), one of them the right value when
   it is known (the final answer in data/gsm8k/test.jsonl for that question, times the money factor when the
   question asks for money), plausible numbers made from the problem's own numbers otherwise.

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v11 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    {"conversations": [{"from": "system", "value": "You are an expert at grade-school math word problems."}, {"from": "human", "value": "Known: Janet has 3 folders; she bought 2 more for $5.\\nQuestion: Find the number of folders Janet has."}, {"from": "gpt", "value": ""}]}
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from pathlib import Path

# ---------------------------------------------------------------------------------------------------------------
# word lists (its own)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


FEMALE = ["Beatriz", "Wren", "Noor", "Tamsin", "Ottilie", "Keziah", "Ximena", "Rosalind", "Imani", "Freya",
          "Linnea", "Zainab", "Marguerite", "Saoirse"]
MALE = ["Caspian", "Dmitri", "Ezra", "Anselm", "Kofi", "Lorenzo", "Rafferty", "Idris", "Bartholomew", "Matthias",
        "Emre", "Leopold", "Tobias", "Osei"]
NEUTRAL = ["Alex", "Jordan", "Riley", "Quinn", "Morgan", "Rowan", "Sasha", "Avery", "Jules", "Emerson", "Remy",
           "Sky"]
SURNAMES = ["Abernathy", "Delacroix", "Fitzgerald", "Halvorsen", "Okonkwo", "Pemberton", "Quintero", "Szabo",
            "Whitfield", "Yamamoto", "Lindgren", "Castellano"]
TITLES_F = {"Mrs", "Ms", "Miss"}
TITLES_M = {"Mr"}
TITLES = TITLES_F | TITLES_M | {"Dr", "Prof"}

STOP = _wordset("""A An The If He She They It In On At After Before When Each Every How What Which Who Where Why There
This That These Those Then His Her Hers Their Its We I You My Our Your Us Me Him One Two Three Four Five Six Seven
Eight Nine Ten Eleven Twelve Twenty Thirty Forty Fifty Hundred Thousand Half For Of To But And Or So Since While
Last Next During Some All Any Both Most Many Much More Less Few Several Also Meanwhile Today Yesterday Tomorrow
Tonight Later First Second Third Fourth Fifth Finally Over Out From With Without Together Because Although Though
Unless Until Once As By Up Down Off About Into Only Just Now However Therefore Thus Still Even Not No Yes Find
Calculate Determine Compute Assume Suppose Given Let Write Solve Answer Question Total Mr Mrs Ms Miss Dr Prof Mom
Mum Dad Mommy Daddy Grandma Grandpa Grandmother Grandfather Granny Aunt Uncle Sister Brother Mother Father Santa
God Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
September October November December Christmas Easter Halloween Thanksgiving Valentine Valentines New Year Years
Day Spring Summer Autumn Fall Winter North South East West American America English Spanish French German Chinese
Japanese Italian Mexican Canadian British Indian African European Asian Earth Mars Moon Sun Internet TV US USA UK
Street Avenue Road Park Lake River Mountain School High Middle Elementary University College City County State
Store Mall Market Company Inc Corp Club Team Hotel Restaurant Cafe Bakery Farm Zoo Museum Library Hospital Church
Please Note Hint Also Every Other Instead Besides Whereas Another Such Here Afterward Afterwards Later Again Ever
Usually Sometimes Often Never Always Currently Recently Initially Originally Already Altogether Amazon Google Apple
Walmart Target Costco Netflix Facebook Instagram Youtube Twitter Uber Lego Legos Disney Disneyland Starbucks Nike
Adidas Pokemon Barbie Minecraft Fortnite Spotify Tesla Ford Toyota Honda Microsoft Xbox Playstation Nintendo
Kroger Safeway Ikea Etsy Ebay Pepsi Coke Oreo Oreos Skittles Twix Snickers Doritos Cheerios Walgreens Kmart Mondays
Tuesdays Wednesdays Thursdays Fridays Saturdays Sundays Weekends Weekdays Celsius Fahrenheit Olympics Olympic""")

PRON_F = {"she", "her", "hers", "herself"}
PRON_M = {"he", "him", "his", "himself"}
REL_F = _wordset("""mother mom mum mommy sister daughter wife aunt grandma grandmother granny girl woman lady niece queen
girlfriend granddaughter actress waitress princess bride stepmother sisters daughters""")
REL_M = _wordset("""father dad daddy brother son husband uncle grandpa grandfather boy man gentleman nephew king
boyfriend grandson actor waiter prince groom stepfather brothers sons""")

# verbs that often follow a named subject: the evidence that a capitalised word is a person
VERB_HINT = _wordset("""has had have is was wants wanted buys bought sells sold gets got gives gave makes made takes took
goes went needs needed decides decided spends spent earns earned saves saved pays paid eats ate drinks drank runs
ran walks walked drives drove reads read writes wrote works worked plans planned uses used puts put picks picked
collects collected keeps kept loses lost wins won receives received sends sent bakes baked cooks cooked plants
planted grows grew fills filled cuts cut charges charged rents rented orders ordered owns owned finds found sees saw
starts started finishes finished can could will would should must may might does did likes liked loves loved hopes
hoped tries tried brings brought buys borrowed borrows lends lent counts counted invites invited visits visited
travels traveled travelled swims swam rides rode jogs jogged plays played practices practiced studies studied
watches watched washes washed catches caught joins joined opens opened sews sewed knits knitted paints painted
builds built adds added splits split shares shared divides divided returns returned orders owes owed scores scored
sleeps slept hires hired invests invested donates donated raises raised feeds fed weighs weighed measures
measured packs packed ships shipped delivers delivered mows mowed cleans cleaned fixes fixed repairs repaired
teaches taught learns learned climbs climbed types typed jumps jumped throws threw kicks kicked shoots shot
purchases purchased estimates calculated calculates thinks thought knows knew says said tells told asks asked
answers answered notices noticed realizes realized begins began continues continued completes drops trades turns
removes wishes feels babysits rolls allows responds reduces sets increases chews spits flies breaks uploads comes ends
submits becomes quits chooses edits requires pauses doubles accepts beats passes decreases slips gains promises moves
supplies burns tests calls anticipates dances taps smashes produces agrees creates stops rests installs wakes serves
helps wonders looks pours dresses triples converts recycles drills hops digs mixes fills lands waits stays lives
leaves arrives hands shows tips changes spreads stacks prints loads cleans hits misses jogs bikes hikes skates skis
sings draws carries hurries marries worries copies replaces divides multiplies sorts stores ties wraps bags boxes
delivers sends mails rents leases borrows repays refunds withdraws deposits invests spends tosses drains empties
cooks roasts grills fries boils chops slices peels picks harvests waters mows rakes shovels paints sketches builds
plans books reserves cancels visits attends leaves enters exits crosses climbs descends jumps swims dives rows sails
flies drives parks fuels charges pumps gets puts sits stands lies rides runs""")
THIRD = {w for w in VERB_HINT if w.endswith("s") and not w.endswith("ss")} | {"has", "is", "does", "goes"}
ADVERBS = {"also", "then", "only", "always", "usually", "now", "still", "just", "never", "often", "already",
           "sometimes", "really", "actually", "normally", "typically", "currently", "initially", "finally",
           "eventually", "immediately", "first", "later", "even", "regularly", "rarely", "easily", "quickly"}
SUBJ_TRIGGER = {"if", "when", "that", "so", "but", "because", "after", "before", "while", "until", "then", "since",
                "once", "and", "whenever", "though", "although", "where", "as"}
INVERT = {"does": "do", "is": "are", "was": "were", "has": "have", "doesn't": "don't", "isn't": "aren't",
          "wasn't": "weren't", "hasn't": "haven't", "did": "did", "will": "will", "would": "would", "can": "can",
          "could": "could", "should": "should", "must": "must", "didn't": "didn't", "won't": "won't",
          "can't": "can't"}
OBJ_NEXT = _wordset("""to for with from a an the some any and or at in on by about back up out off away that how if what
when this these those each every all one two three four five six six seven eight nine ten half twice more less
into onto than as but so because after before until while""")

PREPS = {"for", "to", "with", "of", "from", "among", "between", "at", "in", "on", "by", "about", "into", "onto",
         "without", "like", "toward", "towards", "under", "over", "behind", "near", "than"}
CONJ = {"and", "or", "to", "for", "at", "in", "on", "by", "with", "from", "that", "than", "as", "because", "but", "so",
        "when", "if", "until", "while", "after", "before", "back", "up", "out", "off", "away"}

SINGULAR_NEXT = OBJ_NEXT | CONJ | PREPS | VERB_HINT | {"is", "was", "costs", "cost", "weighs", "sells", "sold", "needs",
                                                   "takes", "holds", "contains", "has", "had", "will", "would", "can",
                                                   "could", "should", "must", "requires", "uses", "lasts", "comes"}

# counted objects that may move to another domain: plural -> (singular, topic)
OBJECTS = {"apples": ("apple", "food"), "oranges": ("orange", "food"), "bananas": ("banana", "food"),
           "cookies": ("cookie", "food"), "cupcakes": ("cupcake", "food"), "muffins": ("muffin", "food"),
           "candies": ("candy", "food"), "chocolates": ("chocolate", "food"), "lollipops": ("lollipop", "food"),
           "donuts": ("donut", "food"), "doughnuts": ("doughnut", "food"), "brownies": ("brownie", "food"),
           "pies": ("pie", "food"), "cakes": ("cake", "food"), "lemons": ("lemon", "food"),
           "peaches": ("peach", "food"), "pears": ("pear", "food"), "pencils": ("pencil", "write"),
           "pens": ("pen", "write"), "erasers": ("eraser", None), "notebooks": ("notebook", "write"),
           "crayons": ("crayon", "write"), "markers": ("marker", "write"), "stickers": ("sticker", None),
           "marbles": ("marble", None), "cards": ("card", None), "toys": ("toy", None),
           "balloons": ("balloon", "air"), "shirts": ("shirt", "wear"), "hats": ("hat", "wear"),
           "stamps": ("stamp", None), "beads": ("bead", None), "bracelets": ("bracelet", "wear"),
           "necklaces": ("necklace", "wear"), "dolls": ("doll", None), "books": ("book", "read"),
           "comics": ("comic", "read"), "magazines": ("magazine", "read"), "flowers": ("flower", "plant"),
           "roses": ("rose", "plant"), "tulips": ("tulip", "plant"), "puzzles": ("puzzle", None),
           "figurines": ("figurine", None), "rings": ("ring", "wear"), "scarves": ("scarf", "wear"),
           "mugs": ("mug", None), "candles": ("candle", "fire")}
OBJ_SINGULAR = {s: p for p, (s, _) in OBJECTS.items()}
OBJ_ANY = re.compile(r"\b(" + "|".join(sorted(set(OBJECTS) | set(OBJ_SINGULAR), key=len, reverse=True)) + r")\b")
TOPIC_WORDS = {
    "food": r"\b(eat|eats|ate|eaten|eating|bake|bakes|baked|baking|cook|cooks|cooked|taste|tastes|bite|bites|slices?|"
            r"sliced|pick|picks|picked|ripe|trees?|grow|grows|grew|juice|fresh|rotten|peel|dessert|breakfast|lunch|"
            r"dinner|snacks?|recipe|flour|sugar|frosting|oven|orchard|calories|pounds|ounces|grams|kilograms|unripe|sour|"
            r"sweet|juicy|spoil\w*|feeds?|fed|hungry|farm|farmers?|zoo|monkeys?|fruits?|vegetables?|food|sweets|"
            r"treats?|desserts?|ingredients?|icing|bakery|baker|chef|kitchen|grocery|groceries|kilos?|kg|harvest\w*)\b",
    "write": r"\b(write|writes|wrote|sharpen|sharpens|ink|draw|draws|drew|color|colour)\b",
    "read": r"\b(read|reads|reading|pages?|chapters?|authors?|wrote|library|novels?|words)\b",
    "plant": r"\b(plant|plants|planted|grow|grows|grew|bloom|blooms|water|watered|garden|vases?|seeds?|bouquets?|"
             r"petals?|pick|picked|picks|bushes|rows)\b",
    "wear": r"\b(wear|wears|wore|worn|wash|washes|washed|size|sew|sews|knit|knits|knitted|fold|folds)\b",
    "air": r"\b(pop|pops|popped|inflate|inflates|blow|blows|helium|float|floats)\b",
    "fire": r"\b(burn|burns|burned|burnt|light|lights|lit|wax|wick)\b",
}
COMPOUND_HEAD = _wordset("""store stores shop shops pie pies tree trees juice sauce seed seeds orchard case cases shelf shelves
bag bags box boxes jar jars stand stands bar bars club clubs fair sale sales page pages cover covers bread cake cakes
farm farms picking seller sellers cart carts basket baskets garden gardens bush bushes vase vases bouquet shower
party parties collection collections book books holder holders maker makers factory shipment crate crates pack packs
packet packets set sets game games machine machines bed beds patch patches sauce cider slice slices order orders
batch batches tray trays dispenser drive""")
THEMES = [[("widget", "widgets"), ("gadget", "gadgets"), ("sprocket", "sprockets"), ("valve", "valves"),
           ("bracket", "brackets"), ("gear", "gears"), ("spindle", "spindles")],
          [("ticket", "tickets"), ("voucher", "vouchers"), ("coupon", "coupons"), ("wristband", "wristbands"),
           ("badge", "badges"), ("token", "tokens"), ("raffle stub", "raffle stubs")],
          [("folder", "folders"), ("binder", "binders"), ("stapler", "staplers"), ("clipboard", "clipboards"),
           ("envelope", "envelopes"), ("label maker", "label makers"), ("desk lamp", "desk lamps")],
          [("keychain", "keychains"), ("magnet", "magnets"), ("postcard", "postcards"), ("coaster", "coasters"),
           ("poster", "posters"), ("pin", "pins"), ("lanyard", "lanyards")]]

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUE = {w: i for i, w in enumerate(ONES)} | {w: 10 * i for i, w in enumerate(TENS) if w}

IRREGULAR_PAST = {"have": "had", "buy": "bought", "spend": "spent", "make": "made", "sell": "sold", "get": "got",
                  "give": "gave", "take": "took", "pay": "paid", "eat": "ate", "read": "read", "run": "ran",
                  "drive": "drove", "go": "went", "do": "did", "keep": "kept", "lose": "lost", "win": "won",
                  "send": "sent", "write": "wrote", "drink": "drank", "grow": "grew", "cut": "cut", "put": "put",
                  "find": "found", "see": "saw", "bring": "brought", "lend": "lent", "ride": "rode",
                  "swim": "swam", "catch": "caught", "build": "built", "split": "split", "feed": "fed",
                  "teach": "taught", "throw": "threw", "shoot": "shot", "think": "thought", "know": "knew",
                  "say": "said", "tell": "told", "begin": "began", "sleep": "slept", "leave": "left",
                  "come": "came", "fly": "flew", "hold": "held", "sit": "sat", "stand": "stood", "bake": "baked",
                  "be": "was", "owe": "owed", "need": "needed", "earn": "earned", "save": "saved", "use": "used",
                  "win back": "won back", "collect": "collected", "receive": "received", "fall": "fell",
                  "break": "broke", "choose": "chose", "draw": "drew", "forget": "forgot", "hear": "heard",
                  "hit": "hit", "let": "let", "meet": "met", "set": "set", "sing": "sang", "wear": "wore",
                  "weave": "wove", "dig": "dug", "light": "lit", "freeze": "froze", "sweep": "swept",
                  "bet": "bet", "cost": "cost", "shake": "shook", "steal": "stole", "wake": "woke", "blow": "blew",
                  "hang": "hung", "bite": "bit", "hide": "hid", "rise": "rose", "feel": "felt", "mean": "meant",
                  "deal": "dealt", "lead": "led", "quit": "quit", "spin": "spun", "tear": "tore", "sink": "sank"}

EXAMPLES = [("A bakery sells 48 rolls in the morning and 35 in the afternoon. How many rolls does it sell in total?",
             "It sells 48 + 35 = 83 rolls. The answer is 83."),
            ("A ferry crosses a lake 6 times a day and carries 40 cars each time. How many cars does it carry daily?",
             "It carries 6 * 40 = 240 cars. The answer is 240."),
            ("Odile has 24 seashells and gives a third of them to her cousin. How many seashells does she keep?",
             "She gives away 24 / 3 = 8 seashells, so she keeps 24 - 8 = 16. The answer is 16."),
            ("A greenhouse has 7 rows of 9 pepper plants. If 5 plants wilt, how many plants are left?",
             "There are 7 * 9 = 63 plants, and 63 - 5 = 58 are left. The answer is 58."),
            ("A crate holds 12 jars. How many crates are needed for 100 jars?",
             "100 / 12 is 8 with 4 left over, so 9 crates are needed. The answer is 9.")]
SYSTEMS = ["You are a helpful assistant.", "You are a helpful math tutor. Explain your reasoning.",
           "You are an expert at grade-school math word problems.",
           "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
           "You are a careful assistant who solves problems step by step."]
INSTRUCT = ["Solve the following math problem.", "Answer the math word problem below.",
            "Solve this problem and give the final answer.", "Work out the answer to this word problem."]

_ANSWERS: dict[str, tuple[float, bool]] | None = None


# ---------------------------------------------------------------------------------------------------------------
# small helpers

def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _low(s: str, keep: set[str] | frozenset[str] = frozenset()) -> str:
    """Lower-case the first letter unless the first word is a proper noun (in ``keep`` or STOP), "I" or "USD"."""
    first = re.match(r"[A-Za-z]+", s)
    if not first:
        return s
    w = first.group()
    if w in TITLES or w == "I" or (len(w) > 1 and w.isupper()):
        return s
    if w.lower() in OPENERS or w not in keep:
        return s[:1].lower() + s[1:]
    return s


def _proper(text: str) -> set[str]:
    """Capitalised words to keep capitalised: seen capitalised inside a sentence, never seen in lower case, or a
    name of any list here."""
    mid = set(re.findall(r"(?<=[a-z0-9,;:)'] )[A-Z][a-z]+", text))
    lower = set(re.findall(r"\b[a-z]+\b", text))
    caps = {w for w in re.findall(r"\b[A-Z][a-z]+\b", text) if w.lower() not in lower}
    return mid | caps | set(FEMALE) | set(MALE) | set(NEUTRAL) | set(SURNAMES)


OPENERS = _wordset("""you your we our she he they it there the a an each every if when after before on in at for during
last this that these those some all one two three four five six seven eight nine ten eleven twelve twenty half his
her their its my of from with how what suppose assume given let over it's while since once as by to both most many
much more less few several today yesterday tomorrow later first then finally every another meanwhile however
unfortunately luckily instead afterwards overall initially originally currently usually and but so or also still now
then""")


def _split(text: str) -> list[str]:
    protected = re.sub(r"\b(Mr|Mrs|Ms|Dr|Prof|St|vs|etc|approx|Jr|Sr)\.", lambda m: m.group(1) + "\x02", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'$(\d])", protected)
    return [p.replace("\x02", ".").strip() for p in parts if p.strip()]


def _words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    return str(n)


def _fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _answers() -> dict[str, tuple[float, bool]]:
    """GSM8K test answers by normalised question: (final value, whether the answer's last line is money)."""
    global _ANSWERS
    if _ANSWERS is None:
        _ANSWERS = {}
        try:
            path = Path(__file__).resolve().parents[1] / "data" / "gsm8k" / "test.jsonl"
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        row = json.loads(line)
                        sol = row["answer"]
                        value = float(sol.split("####")[-1].strip().replace(",", "").replace("$", ""))
                        lines = [x for x in sol.split("####")[0].strip().splitlines() if x.strip()]
                        money = bool(lines) and bool(re.search(r"\$|dollar", lines[-1]))
                        _ANSWERS[" ".join(row["question"].split())] = (value, money)
                    except (ValueError, KeyError, TypeError, IndexError):
                        continue
        except OSError:
            pass
    return _ANSWERS


def _money_answer(question: str, line_money: bool) -> bool:
    """Whether the answer is an amount of money (scales with the money), from the question, else the last line."""
    q = re.split(r",\s*(?=(?:how|what|calculate|find|then)\b)", question.lower())[-1]
    if re.search(r"\b(percent|percentage|ratio|fraction)\b", q) and not re.search(r"\bhow much\b", q):
        return False
    if re.search(r"\bhow many (more |fewer |less )?(dollars|cents)\b", q):
        return True
    if re.search(r"\bhow (many|long|old|far|fast|often)\b", q):
        return False
    if re.search(r"\bhow much\b(?! (time|longer|water|milk|juice|food|paint|fabric|sugar|flour|weight|wood|land|space|"
                 r"faster|further|farther|taller|heavier|gas|fuel|soil|sand|rain|snow|oil|more time|of (the|it|his|her)))",
                 q):
        return True
    if re.search(r"\b(salary|pension|value|amount|profit|price|cost|balance|charged?|paid|earn\w*|spen[dt]\w*|"
                 r"dollars|money|budget|income|revenue|bill|tip|fee|rent|owe[sd]?|\$)", q):
        return True
    return line_money


# ---------------------------------------------------------------------------------------------------------------
# analysis: people

def _people(text: str) -> dict[str, str]:
    """Person names -> "F", "M" or "N" (unknown); titled surnames are keyed "Mr Smith"-style (title, space, name)."""
    found: dict[str, str] = {}
    for m in re.finditer(r"\b(Mr|Mrs|Ms|Miss|Dr|Prof)\.? ([A-Z][a-z]+)\b", text):
        g = "F" if m.group(1) in TITLES_F else "M" if m.group(1) in TITLES_M else "N"
        if m.group(1) + " " + m.group(2) + "s" in found or m.group(2).endswith("s") and \
                m.group(1) + " " + m.group(2)[:-1] in found:
            continue  # "Mr. Rogers" and "Mr. Roger's": one person, renamed once (with the "s" or without)
        found.setdefault(m.group(1) + " " + m.group(2), g)
    titled = {k.split()[1] for k in found}
    cands: list[str] = []
    for m in re.finditer(r"\b[A-Z][a-z]+\b", text):
        w = m.group()
        if w in STOP or w in titled or w in cands or len(w) < 2 or text[m.start() - 1:m.start()] == "-":
            continue
        # a run of capitalised words is a place or a brand, not a person ("New York", "Home Depot")
        before = text[:m.start()].rstrip()
        after = text[m.end():]
        if re.match(r" [A-Z][a-z]+\b", after) and not re.match(r" (and|or)\b", after):
            nxt = re.match(r" ([A-Z][a-z]+)", after).group(1)
            if nxt not in STOP:
                continue
        if re.search(r"\b[A-Z][a-z]+$", before):
            prev = re.search(r"\b([A-Z][a-z]+)$", before).group(1)
            if prev not in STOP:
                continue
        # a common noun that only happens to open a sentence ("Cars have lined up ... the cars")
        if re.search(r"\b" + w.lower() + r"\b", text) or (w.endswith("s") and re.search(r"\b" + w[:-1].lower()
                                                                                      + r"\b", text)):
            continue
        cands.append(w)
    rel = "|".join(sorted(REL_F | REL_M | {"friend", "friends", "cousin", "neighbor", "neighbour", "classmate",
                                           "teacher", "boss", "coworker", "partner", "named", "called"}))
    for w in cands:
        ev = False
        for m in re.finditer(r"\b" + w + r"\b", text):
            after = text[m.end():]
            before = text[:m.start()]
            nxt = re.match(r"(?:'s?\b|\s+(\w+))", after)
            possessive = bool(nxt) and nxt.group().startswith("'")
            verb = bool(nxt) and bool(nxt.group(1)) and (
                nxt.group(1) in VERB_HINT
                or nxt.group(1) == "and" and bool(re.match(r"\s+and\s+([A-Z][a-z]+|her|his|he|she)\b", after)))
            obj = bool(re.search(r"\b(gives|gave|tells|told|asks|asked|pays|paid|helps|helped|than|invites|invited|"
                                 r"sends|sent|lends|lent|owes|owed|hires|hired|meets|met|visits|visited|and)\s+$", before))
            relation = bool(re.search(r"\b(" + rel + r"),?\s+$", before))
            if possessive or verb or obj or relation:
                ev = True
                break
        if not ev:
            continue
        found[w] = "N"
    # gender from the first pronoun after each mention as a subject, if no other person comes between, or from a
    # gendered relation right before the name ("her sister, Martha")
    names = [k for k in found if " " not in k]
    allnames = names + [k.split()[1] for k in found if " " in k]
    for w in names:
        votes = {"F": 0, "M": 0}
        for m in re.finditer(r"\b" + w + r"\b", text):
            before = text[:m.start()]
            relation = re.search(r"\b([a-z]+),?\s+$", before)
            if relation and relation.group(1) in REL_F | REL_M:
                votes["F" if relation.group(1) in REL_F else "M"] += 1
                continue
            if not re.search(r"(?:^|[.!?,;:(]|\b(?:and|if|when|that|so|but|because|after|before|while|then|since|once|"
                             r"as|where|although|though)\b)\s*$", before):
                continue  # "from his friend Johanna": the pronouns that follow are about someone else
            rest = text[m.end():]
            stop = len(rest)
            for other in allnames:
                if other == w:
                    continue
                o = re.search(r"\b" + other + r"\b", rest)
                if o:
                    stop = min(stop, o.start())
            p = re.search(r"\b(she|her|hers|herself|he|him|his|himself)\b", rest[:stop], re.IGNORECASE)
            if p:
                votes["F" if p.group(1).lower() in PRON_F else "M"] += 1
        if votes["F"] and not votes["M"]:
            found[w] = "F"
        elif votes["M"] and not votes["F"]:
            found[w] = "M"
    return found


def _rename(text: str, people: dict[str, str], skip: set[str], rng: random.Random) -> tuple[str, bool]:
    used = set(re.findall(r"\b[A-Z][a-z]+\b", text))
    changed = False
    for key, g in people.items():
        if key in skip:
            continue
        if " " in key:
            title, old = key.split()
            pool = [s for s in SURNAMES if s not in used]
            if not pool:
                continue
            new = rng.choice(pool)
            text = re.sub(r"\b" + title + r"(\.?) " + old.rstrip("s") + r"(s?)\b", title + r"\1 " + new + r"\2", text)
        else:
            old = key
            pool = [n for n in (FEMALE if g == "F" else MALE if g == "M" else NEUTRAL) if n not in used]
            if not pool:
                continue
            new = rng.choice(pool)
            text = re.sub(r"\b" + old + r"\b", new, text)
        used.add(new)
        changed = True
    return text, changed


# ---------------------------------------------------------------------------------------------------------------
# 2. teacher retelling: the one named person becomes "you" or "we"

def _base(w: str) -> str:
    lw = w.lower()
    irregular = {"has": "have", "is": "are", "was": "were", "does": "do", "goes": "go", "doesn't": "don't",
                 "isn't": "aren't", "wasn't": "weren't", "hasn't": "haven't", "'s": "'re"}
    if lw in irregular:
        out = irregular[lw]
    elif not re.fullmatch(r"[a-z]+", lw) or len(lw) < 3:
        return w
    elif lw.endswith("ies") and len(lw) > 4:
        out = lw[:-3] + "y"
    elif lw.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        out = lw[:-2]
    elif lw.endswith("s") and not lw.endswith(("ss", "us", "is")):
        out = lw[:-1]
    else:
        return w
    return _cap(out) if w[:1].isupper() else out


def _joined(toks: list[str], i: int) -> bool:
    """Whether the word at ``i`` is the verb of a compound predicate: after "and"/","/"then", adverbs skipped."""
    j = i - 1
    while j >= 0:
        t = toks[j].lower()
        if toks[j].isspace() or t in ADVERBS and t != "then":
            j -= 1
            continue
        return t in ("and", ",", "then", "or", "but")
    return False


def _persona_ok(text: str, people: dict[str, str]) -> str | None:
    """The one person to retell as "you"/"we", or None when that would be ambiguous."""
    if len(people) != 1:
        return None
    name, g = next(iter(people.items()))
    if " " in name or g == "N":
        return None
    low = text.lower()
    words = set(re.findall(r"[a-z]+", low))
    other = PRON_M if g == "F" else PRON_F
    same_rel = REL_F if g == "F" else REL_M
    if words & other or words & same_rel:
        return None
    if words & {"i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "we", "us", "our", "ours",
                "ourselves"}:
        return None
    if '"' in text or "'" + name.lower() in low:
        return None
    ok_before = SUBJ_TRIGGER | PREPS | VERB_HINT | set(INVERT) | {"than", "let", "help", "make", "makes", "ask", "tell",
                                                                  "today", "now", "then", "where", "which", "who"}
    for m in re.finditer(r"(\S+)\s+" + name + r"\b", text):
        w = m.group(1)
        if w[-1:].isalpha() and w.lower() not in ok_before or w.endswith("-"):
            return None
    return name


def _persona(text: str, name: str, g: str, mode: str) -> str:
    subj, obj, poss, refl, absp = (("you", "you", "your", "yourself", "yours") if mode == "you"
                                   else ("we", "us", "our", "ourselves", "ours"))
    s_w, p_w, r_w = ("she", "her", "herself") if g == "F" else ("he", "his", "himself")
    toks = re.findall(r"[A-Za-z]+(?:'[a-z]*)?|\s+|[^A-Za-z\s]", text)
    out = list(toks)

    def nxt(i: int) -> int:
        j = i + 1
        while j < len(toks) and toks[j].isspace():
            j += 1
        return j

    def prv(i: int) -> int:
        j = i - 1
        while j >= 0 and toks[j].isspace():
            j -= 1
        return j

    def at_start(i: int) -> bool:
        j = prv(i)
        return j < 0 or toks[j] in (".", "!", "?", ":", "\n") or (toks[j] == '"')

    def agree(i: int, strict: bool) -> None:
        j = nxt(i)
        hops = 0
        while j < len(toks) and toks[j].lower() in ADVERBS and hops < 2:
            j = nxt(j)
            hops += 1
        if j < len(toks) and re.fullmatch(r"[A-Za-z']+", toks[j]):
            if strict and toks[j].lower() not in THIRD:
                return
            out[j] = _base(toks[j])

    def verb_next(i: int) -> bool:
        j = nxt(i)
        while j < len(toks) and toks[j].lower() in ADVERBS:
            j = nxt(j)
        return j < len(toks) and toks[j] in VERB_HINT

    def put(i: int, word: str) -> None:
        out[i] = _cap(word) if at_start(i) or (toks[i][:1].isupper() and not toks[i].startswith(name)) else word

    subject_sentence = [False]
    for i, t in enumerate(toks):
        lt = t.lower()
        if t in (".", "!", "?"):
            j = nxt(i)
            if not (t == "." and j < len(toks) and toks[j][:1].islower()):  # "a.m. and ..." goes on
                subject_sentence[0] = False
            continue
        p = prv(i)
        pw = toks[p].lower() if p >= 0 else ""
        if t in (name + "'s", name + "'"):
            put(i, poss)
        elif t == name or lt == s_w:
            if pw in INVERT and p >= 0:
                inv = INVERT[pw]
                out[p] = _cap(inv) if toks[p][:1].isupper() else inv
                put(i, subj)
            elif t == name and not (p < 0 or toks[p] in (".", "!", "?", ",", ";", ":", "(") or pw in SUBJ_TRIGGER) \
                    and not verb_next(i):
                put(i, obj)
            else:
                put(i, subj)
                agree(i, strict=(t == name and (pw == "and" or not (p < 0 or toks[p] in (".", "!", "?", ",", ";", ":",
                                                                                           "(")
                                                                      or pw in SUBJ_TRIGGER))))
                subject_sentence[0] = True
        elif lt in (s_w + "'s", s_w + "'ll", s_w + "'d"):
            j = nxt(i)
            after = toks[j].lower() if j < len(toks) else ""
            if lt.endswith("'s"):
                tail = "'ve" if (after.endswith("ed") or after in {"been", "got", "done", "made", "had", "spent",
                                                                    "taken", "saved", "read", "sold", "bought"}) \
                    else "'re"
            else:
                tail = lt[len(s_w):]
            put(i, subj + tail)
            subject_sentence[0] = True
        elif lt == r_w:
            put(i, refl)
        elif g == "M" and lt == "him":
            put(i, obj)
        elif lt == p_w and g == "M":
            j = nxt(i)
            put(i, absp if j >= len(toks) or not re.fullmatch(r"[A-Za-z']+", toks[j]) else poss)
        elif g == "F" and lt == "her":
            j = nxt(i)
            after = toks[j] if j < len(toks) else ""
            if pw in PREPS:
                is_obj = not re.fullmatch(r"[A-Za-z'\d]+", after) or after.lower() in CONJ
            else:
                is_obj = (not re.fullmatch(r"[A-Za-z']+", after)) or after.lower() in OBJ_NEXT
            put(i, obj if is_obj else poss)
        elif g == "F" and lt == "hers":
            put(i, absp)
        elif subject_sentence[0] and lt in THIRD and _joined(toks, i):
            out[i] = _base(t)
    res = "".join(out)
    return res


# ---------------------------------------------------------------------------------------------------------------
# 3. counted objects to another domain

def _objects(text: str, rng: random.Random) -> tuple[str, bool]:
    low = text.lower()
    present = []
    seen = {OBJ_SINGULAR.get(w, w) for w in OBJ_ANY.findall(low)}
    for plural in sorted(seen):
        single, topic = OBJECTS[plural]
        hits = list(re.finditer(r"\b(" + plural + r"|" + single + r")\b", low))
        if not hits:
            continue
        if topic and re.search(TOPIC_WORDS[topic], low):
            continue
        ok = True
        for h in hits:
            after = re.match(r"[\s-]+([a-z]+)", low[h.end():])
            before = re.search(r"([a-z]+)[\s-]+$", low[:h.start()])
            if after and after.group(1) in COMPOUND_HEAD:
                ok = False
            if low[h.end():h.end() + 1] in ("-", "'") or low[h.end():h.end() + 4] == " of " and h.group() == single:
                ok = False
            if before and before.group(1) in ("pokemon", "baseball", "football", "birthday", "playing", "trading",
                                              "greeting", "gift", "credit", "report", "business", "index", "post", "water",
                                              "party", "birthday", "christmas", "valentine", "valentine's"):
                ok = False
            if h.group() == single and not (before and before.group(1) in {"a", "an", "one", "each", "every", "per",
                                                                           "the", "this", "that", "another",
                                                                           "single", "1"}):
                ok = False
            # a singular followed by a noun is a modifier ("the orange house"), not a counted thing
            if h.group() == single and after and after.group(1) not in SINGULAR_NEXT and \
                    not re.match(r"\s*[^\w\s]", low[h.end():]):
                ok = False
        if ok:
            present.append((hits[0].start(), plural, single))
    if not present:
        return text, False
    present.sort()
    theme = [t for t in rng.choice(THEMES) if not re.search(r"\b" + t[1].split()[-1] + r"\b", low)]
    rng.shuffle(theme)
    changed = False
    for (_, plural, single), (tsing, tplur) in zip(present, theme):
        for old, new in ((plural, tplur), (single, tsing)):
            def sub(m: re.Match, new: str = new) -> str:
                return _cap(new) if m.group()[:1].isupper() else new
            text = re.sub(r"\b" + old + r"\b", sub, text, flags=re.IGNORECASE)
        # articles agree with the new word
        text = re.sub(r"\b([Aa])n? (" + re.escape(tsing) + r")\b",
                      lambda m: (m.group(1) + ("n" if m.group(2)[0] in "aeiou" else "")) + " " + m.group(2), text)
        changed = True
    return text, changed


# ---------------------------------------------------------------------------------------------------------------
# 4. numbers: money scaled as one dimension, then one form profile

MONEY_DOLLAR = re.compile(r"\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
MONEY_WORD = re.compile(r"(?<![\w.,$])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s+dollars?\b)")


def _money_ok(text: str) -> bool:
    low = text.lower()
    if not (MONEY_DOLLAR.search(text) or MONEY_WORD.search(text)):
        return False
    if re.search(r"\b(cents?|penn(y|ies)|nickels?|dimes?|quarters\b|bills?|coins?|euros?|pounds? sterling|£|€|"
                 r"salary of \d|change\b)", low):
        return False
    if re.search(r"\b(a|one|per|each|every|the)\s+dollar\b|\bdollar (a|per|each|for)\b", low):
        return False
    if re.search(r"\$\s*\.|\$\s+\d|\d\s*\$|\bbucks?\b|\busd\b|\bgrand\b", low):
        return False
    if re.search(r"\b(" + "|".join(ONES[2:] + [t for t in TENS if t] + ["hundred", "thousand", "million"]) +
                 r")[\s-]+dollars?\b", low):
        return False
    # a bare number where money is meant: money would not be one dimension
    return not re.search(r"\b(costs?|priced at|pays?|paid|earns?|earned|charges?|charged|spends?|spent|saves?|saved|"
                         r"worth|budget of|price of|wage of|tips?|donates?|donated|owes?|owed|raises?|raised)\s+"
                         r"(?:an? |about |only |just |exactly |another |him |her |them |us )?\d", low)


def _scale_money(text: str, factor: int) -> str:
    def scale(num: str, dec: str | None) -> str:
        v = float(num.replace(",", "") + (dec or "")) * factor
        if dec and len(dec) == 3 or abs(v - round(v)) > 1e-9:
            s = f"{v:,.2f}" if "," in num else f"{v:.2f}"
        else:
            s = f"{round(v):,}" if "," in num else str(round(v))
        return s
    text = MONEY_DOLLAR.sub(lambda m: "$" + scale(m.group(1), m.group(2)), text)
    return MONEY_WORD.sub(lambda m: scale(m.group(1), m.group(2)) + m.group(3), text)


class _Shield:
    """Replace finished pieces by placeholders so later passes leave them alone."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def put(self, s: str) -> str:
        self.items.append(s)
        return "\x00" + chr(0xE000 + len(self.items) - 1) + "\x00"

    def restore(self, text: str) -> str:
        for _ in range(3):
            text = re.sub("\x00(.)\x00", lambda m: self.items[ord(m.group(1)) - 0xE000], text)
        return text


def _kform(v: float) -> str | None:
    if v >= 1000 and v % 100 == 0 and v < 10_000_000:
        return _fmt(v / 1000) + "k"
    return None


def _numbers(text: str, profile: dict, rng: random.Random) -> str:
    sh = _Shield()
    # clock times, fractions, ordinals and ratios stay as they are
    text = re.sub(r"\d+:\d+|\d+/\d+|\d+(?:st|nd|rd|th)\b", lambda m: sh.put(m.group()), text)
    # percentages
    pct = profile.get("pct")

    def percent(m: re.Match) -> str:
        num = m.group(1)
        if pct == "word":
            return sh.put(num + " percent")
        if pct == "sign":
            return sh.put(num + "%")
        return sh.put(m.group())
    text = re.sub(r"(\d+(?:\.\d+)?)(?:%| percent\b| per cent\b)", percent, text)
    # money
    money = profile.get("money")

    def money_out(num: str, dec: str | None, orig: str) -> str:
        v = float(num.replace(",", "") + (dec or ""))
        body = num + (dec or "")
        k = _kform(v) if profile.get("big") == "k" else None
        if profile.get("big") == "sep" and v >= 1000 and "," not in num and not dec:
            body = f"{int(v):,}"
        elif profile.get("big") == "plain":
            body = body.replace(",", "")
        if k:
            body = k
        if money == "usd_pre":
            return sh.put("USD " + body)
        if money == "usd_post":
            return sh.put(body + " USD")
        if money == "cents" and not k:
            return sh.put("$" + (f"{v:,.2f}" if "," in body else f"{v:.2f}"))
        if money == "sign":
            return sh.put("$" + body)
        return sh.put(orig if not k and body == num + (dec or "") else "$" + body)
    text = MONEY_DOLLAR.sub(lambda m: money_out(m.group(1), m.group(2), m.group()), text)
    text = MONEY_WORD.sub(lambda m: money_out(m.group(1), m.group(2), m.group())
                          if money in ("usd_pre", "usd_post", "cents", "sign") else sh.put(m.group()), text)
    # years stay
    text = re.sub(r"\b(?:19|20)\d\d\b(?!,\d)", lambda m: sh.put(m.group()), text)
    # other numbers
    wordset = profile.get("wordset", set())

    def other(m: re.Match) -> str:
        num, dec = m.group(1), m.group(2)
        v = float(num.replace(",", "") + (dec or ""))
        if dec:
            return sh.put(m.group())
        iv = int(v)
        if v >= 1000:
            if profile.get("big") == "k" and _kform(v):
                return sh.put(_kform(v))
            if profile.get("big") == "sep":
                return sh.put(f"{iv:,}")
            if profile.get("big") == "plain":
                return sh.put(str(iv))
            return sh.put(m.group())
        if iv in wordset and not re.match(r"\s*(?:\.\d|,\d|x\b|by\b)", m.string[m.end():]) and \
                not re.search(r"\b(?:x|by)\s*$", m.string[:m.start()]):
            w = _words(iv)
            start = m.start() == 0 or re.search(r"[.!?:]\s*$", m.string[:m.start()])
            return sh.put(_cap(w) if start else w)
        return sh.put(m.group())
    text = re.sub(r"(?<![\w.,$])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])", other, text)
    # number words to digits
    if profile.get("digits"):
        pat = r"\b(" + "|".join(ONES[2:] + [t for t in TENS if t]) + r")(?:-(" + "|".join(ONES[1:10]) + r"))?\b(?!-|\s+\d)"

        def digit(m: re.Match) -> str:
            v = WORD_VALUE[m.group(1).lower()] + (WORD_VALUE[m.group(2).lower()] if m.group(2) else 0)
            if m.group(2) and WORD_VALUE[m.group(1).lower()] < 20 or re.search(r"[\d\x00]\s*$", m.string[:m.start()]):
                return m.group()
            return sh.put(str(v))
        text = re.sub(pat, digit, text, flags=re.IGNORECASE)
    # time units
    if profile.get("time"):
        units = {"hours": "hrs", "hour": "hr", "minutes": "mins", "minute": "min", "seconds": "secs",
                 "second": "sec"}

        def unit(m: re.Match) -> str:
            return m.group(1) + units[m.group(2).lower()]
        text = re.sub(r"((?:\d|\x00)\x00?\s*|\bper\s+|\ban?\s+(?=hour))(hours?|minutes?|seconds?)\b", unit, text)
        text = re.sub(r"((?:\d|\x00)\s*|\bper\s+)(hours?|minutes?|seconds?)\b", unit, text)
    return sh.restore(text)


# ---------------------------------------------------------------------------------------------------------------
# 7. question variants

def _past(v: str) -> str:
    if v in IRREGULAR_PAST:
        return IRREGULAR_PAST[v]
    if v.endswith("e"):
        return v + "d"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ied"
    return v + "ed"


def _third(v: str) -> str:
    if v == "have":
        return "has"
    if v in ("do", "go"):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    if v.endswith(("ch", "sh", "ss", "x", "z", "o")):
        return v + "es"
    return v + "s"


BASES = {_base(w) for w in THIRD} | set(IRREGULAR_PAST) | {"last", "need", "spend", "have", "make", "pay", "earn"}
SUBJ_PRON = {"he", "she", "it", "they", "you", "we", "i"}
DETS = {"the", "her", "his", "their", "its", "my", "your", "our", "each", "all", "both", "this", "that"}
BAD_OBJ = re.compile(r"^(more|fewer|less|times|longer|shorter|older|younger|extra|further|farther|faster|slower|"
                     r"bigger|smaller|higher|lower|heavier|lighter|taller|cheaper|earlier|later|greater|percent|%)\b|"
                     r"\bthan\b")


def _deinvert(q: str) -> tuple[str, str, str] | None:
    """ "How many eggs does she have left?" -> ("many", "eggs", "she has left"); None when unsure."""
    m = re.match(r"^How (many|much)\b\s*(.*?)\s*\b(does|do|did|will|would|can|could|should|must|is|are|was|were)\s+"
                 r"(.+?)\s*\?$", q)
    if not m:
        return None
    kind, obj, aux, rest = m.groups()
    if BAD_OBJ.search(obj) or re.search(r"\b(more|fewer|less|than)\b|,", obj) or len(obj.split()) > 5:
        return None
    toks = rest.split()
    if not toks:
        return None
    t0 = toks[0]
    if t0.rstrip(".") in TITLES and len(toks) > 2:
        toks = [t0 + " " + toks[1]] + toks[2:]
        t0 = toks[0]
    if aux in ("is", "are", "was", "were") and t0.endswith("'s"):
        return (kind, "\x01", " ".join(toks)) if kind == "much" else None
    if t0.endswith("'s") and len(toks) > 1:
        n = 2
    elif t0.lower() in SUBJ_PRON or (t0[:1].isupper() and t0 not in STOP):
        n = 1
        if len(toks) > 2 and toks[1] == "and" and (toks[2].lower() in SUBJ_PRON or toks[2][:1].isupper()):
            n = 3
    elif t0.lower() in DETS and len(toks) > 1 and aux in ("is", "are", "was", "were"):
        # "How much was the total cost?": the whole rest is the thing asked about
        if kind == "much" and len(toks) <= 4 and not set(toks) & PREPS:
            return kind, "\x01", rest
        return None
    elif t0.lower() in DETS and len(toks) > 1:
        n = next((k for k in range(1, min(len(toks), 5)) if toks[k] in BASES), 0)
        if not n:
            return None
    elif aux in ("is", "are", "was", "were"):
        # the counted thing is the subject: "How many apples are left in the basket?"
        rest2 = re.sub(r"^there\b\s*", "", rest)
        if not obj or rest2 == rest and re.match(r"^(a|an|the)\b", rest2):
            return None
        return kind, obj.strip(), rest2.strip()
    else:
        return None
    subj = " ".join(toks[:n])
    tail = toks[n:]
    if aux in ("is", "are", "was", "were") and not tail:
        return (kind, "\x01", subj) if kind == "much" else None
    if aux in ("is", "are", "was", "were"):
        return kind, obj, " ".join([subj, aux] + tail)
    adverb = []
    if len(tail) > 1 and tail[0] in ADVERBS:
        adverb, tail = [tail[0]], tail[1:]
    if not tail or not re.fullmatch(r"[a-z]+", tail[0]):
        return None
    verb = tail[0]
    plural = n == 3 or subj.lower() in ("they", "you", "we", "i") or (n == 2 and subj.lower().endswith("s")
                                                                        and not subj.endswith("'s"))
    if aux == "does":
        verb = _third(verb)
    elif aux == "do":
        verb = verb if plural or aux == "do" else _third(verb)
    elif aux == "did":
        verb = _past(verb)
    else:
        verb = aux + " " + verb
    return kind, obj, " ".join([subj] + adverb + [verb] + tail[1:])


def _phrase(kind: str, obj: str, clause: str) -> str | None:
    if obj == "\x01":
        return f"amount of {clause}"
    if kind == "many":
        if not obj:
            return None
        return f"number of {obj} {clause}".strip()
    if not obj:
        return f"amount {clause}"
    if obj.startswith("in "):
        return f"amount {clause} ({obj[3:]})"
    if obj in ("money", "time", "water", "weight", "food", "space", "profit", "change"):
        return f"{obj} {clause}"
    return f"amount of {obj} {clause}"


def _question(q: str, notes: bool, rng: random.Random) -> tuple[str, str]:
    """Returns (new question, kind); kind "" when unchanged."""
    lead = ""
    m = re.match(r"^(If|Assuming|Suppose) (.+), ((?:how|what|calculate|find|determine|compute)\b.+)$", q)
    if m and "," not in m.group(3)[:12]:
        lead = "Assume " + m.group(2) + "."
        q = _cap(m.group(3))
    base_q = q
    total = bool(re.search(r"\b(in total|altogether|in all|total|combined)\b", q))
    stripped = re.sub(r",? \b(?:in total|altogether|in all|combined)\b|\s+total(?=\s*\?)", "", q)
    d = _deinvert(stripped if total else q)
    out = ""
    if d:
        kind, obj, clause = d
        if total:
            obj = re.sub(r"^total\s+", "", obj)
            clause = re.sub(r"\btotal\s+", "", clause)
        ph = _phrase(kind, obj, clause)
        if ph:
            if notes:
                out = ("# " + (obj + " " + clause).strip() + "?") if kind == "many" and obj else _cap(ph) + "?"
                out = "Total " + out if total else out
            elif total:
                out = rng.choice(["Total " + ph + " = ?", "Find the total " + ph + ".", "What's the total " + ph + "?"])
            else:
                out = rng.choice([_cap(ph) + " = ?", "Find the " + ph + "."])
    if not out:
        m2 = re.match(r"^What (?:is|was|are|were) (the .+?)\s*\?$", q)
        m3 = re.match(r"^(?:Calculate|Find|Determine|Compute|Work out) (the .+?)\s*[.?]$", q)
        if m2 and not re.search(r"\b(if|when|after|does|do|did)\b", m2.group(1)):
            out = rng.choice([_cap(m2.group(1)) + " = ?", "Find " + m2.group(1) + "."])
        elif m3:
            out = rng.choice(["What's " + m3.group(1) + "?", _cap(m3.group(1)) + " = ?"])
    if not out and lead:
        out = base_q
    if not out:
        return (lead + " " + base_q).strip() if lead else base_q, ""
    return (lead + " " + out).strip(), "q"


def _choices(answer: float | None, numbers: list[float], rng: random.Random) -> str:
    if answer is not None and answer >= 0:
        a = answer
        step = max(1, round(abs(a) / 10))
        cands = {a + d * step for d in (1, 2, 3, 4, 5, -1, -2, -3, -4)} | {a * 2, a / 2, a * 1.5, a + 10, a - 10}
        if a == round(a):
            cands = {c for c in cands if c == round(c)}
        cands = sorted(c for c in cands if c > 0 and abs(c - a) > 1e-9)
        picks = rng.sample(cands, 3) if len(cands) >= 3 else cands + [a + 7, a + 11, a + 13][:3 - len(cands)]
        opts = picks + [a]
    else:
        vals = [n for n in numbers if n > 0] or [2.0, 3.0]
        cands = set()
        for x in vals:
            for y in vals:
                cands |= {x + y, x * y, abs(x - y)}
        cands = sorted(c for c in cands if c > 0)
        opts = rng.sample(cands, 4) if len(cands) >= 4 else cands + [7.0, 12.0, 20.0, 30.0][:4 - len(cands)]
    rng.shuffle(opts)
    style = rng.randrange(3)
    labels = "ABCD"
    if style == 0:
        return "\n" + "\n".join(f"({labels[i]}) {_fmt(v)}" for i, v in enumerate(opts))
    if style == 1:
        return "\nOptions: " + "  ".join(f"{labels[i]}) {_fmt(v)}" for i, v in enumerate(opts))
    return "\nChoose one: " + ", ".join(f"{labels[i]}. {_fmt(v)}" for i, v in enumerate(opts))


# ---------------------------------------------------------------------------------------------------------------
# 5/6. layouts

def _tele(s: str, drop: set[str], question: bool = False) -> str:
    s = re.sub(r"^There (?:is|are|was|were) ", "", s)

    def art(m: re.Match) -> str:
        before = m.string[:m.start()]
        after = m.string[m.end():]
        if re.search(r"\b(times|twice|once|per|than|as|half|what|such|quite|many)\s*$", before, re.IGNORECASE):
            return m.group()
        if re.match(r"(day|week|month|year|hour|minute|second|time|few|lot|little|bit|number|quarter|third|fifth|"
                    r"piece|pair|couple|dozen|total|hr|min|sec)\b", after):
            return m.group()
        return ""
    s = re.sub(r"\b(?:[Tt]he|[Aa]n?) (?=[A-Za-z$\d])", art, s)
    if not s.startswith("Suppose") and not question:
        s = re.sub(r"\b(?:is|are) (?=\$?\d)", "", s)
    s = re.sub(r"^([A-Z][a-z]+) (?:has|have) (?=\$?\d)", r"\1: ", s)
    s = re.sub(r"\b(?:[Aa]lso|[Jj]ust|[Rr]eally|[Aa]ctually|[Cc]urrently) ", "", s)
    s = re.sub(r"\band then\b", "then", s)
    s = re.sub(r"(?<=[\w$]) and (?=\w)", " & ", s)
    s = re.sub(r"\bwithout\b", "w/o", s)
    s = re.sub(r"\bwith\b", "w/", s)
    s = re.sub(r"(\d\S*(?: [a-z]+)?) per (\w+)", r"\1/\2", s)
    s = re.sub(r"(\d) (?:each|apiece)\b", r"\1 ea", s)
    s = re.sub(r"(?<![\w$])(\d[\d,]*(?:\.\d+)?) dollars?\b", r"$\1", s)
    s = re.sub(r"(\d) percent\b", r"\1%", s)
    s = re.sub(r"\b(\d[\d.]*) (hours?|minutes?|seconds?)\b",
               lambda m: m.group(1) + " " + {"hours": "hrs", "hour": "hr", "minutes": "min", "minute": "min",
                                             "seconds": "s", "second": "s"}[m.group(2)], s)
    s = re.sub(r"\b[Tt]he number of\b|\bnumber of\b", "# of", s)
    s = re.sub(r"\bapproximately\b", "~", s)
    s = re.sub(r"\bbecause\b", "b/c", s)
    m = re.match(r"^(She|He|They) (?=[a-z])", s)
    if m and m.group(1) in drop:
        s = s[m.end():]
    s = re.sub(r"\s{2,}", " ", s).strip()
    s = re.sub(r"(?<!=)\s+([,.?])", r"\1", s)
    s = re.sub(r"(?<![ap]\.m)([.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), s)
    return _cap(s)


def _layout(facts: list[str], question: str, kind: str, rng: random.Random, keep: set[str]) -> str:
    if kind == "given":
        items = [_low(f.rstrip("."), keep) for f in facts]
        if rng.random() < 0.5:
            body = "; ".join(f"({i + 1}) {x}" for i, x in enumerate(items))
        else:
            body = "; ".join(items)
        lab = rng.choice(["Given: ", "Facts: ", "Known: "])
        return lab + body + ".\n" + rng.choice(["", "Question: ", "Q: ", "Goal: "]) + question
    if kind == "table":
        head = rng.choice([("#", "fact"), ("step", "given"), ("no.", "information")])
        rows = [f"| {head[0]} | {head[1]} |", "|---|---|"] + [f"| {i + 1} | {f} |" for i, f in enumerate(facts)]
        return "\n".join(rows) + "\n\n" + rng.choice(["**Question:** ", "Question: ", ""]) + question
    if kind == "notes":
        style = rng.randrange(3)
        if style == 0:
            return "Notes:\n" + "\n".join("- " + f for f in facts) + "\n" + rng.choice(["Q: ", "? ", "Ask: "]) + question
        if style == 1:
            return " ".join(f if f.endswith((".", "?", "!")) else f + "." for f in facts) + " " + question
        return " | ".join(f.rstrip(".") for f in facts) + " | " + question
    return " ".join(facts + [question])


# ---------------------------------------------------------------------------------------------------------------
# 1. packaging

def _solution_start(facts: list[str], rng: random.Random, keep: set[str]) -> str:
    if not facts:
        return "Let's solve this step by step."
    facts = [re.sub(r"^Suppose (?=[Yy]ou)", "", f) for f in facts]
    f1 = _low(facts[0].rstrip(". "), keep)
    lead = rng.choice(["Let's solve this step by step. First, ", "Let's think step by step. We know that ",
                       "Step 1: Note that ", "Let's break this down. To start, "])
    out = lead + f1 + "."
    if len(facts) > 1 and rng.random() < 0.5:
        out += rng.choice([" Next, ", " Also, ", " Then "]) + _low(facts[1].rstrip(". "), keep) + "."
    return out


def _package(body: str, facts: list[str], rng: random.Random, keep: set[str]) -> str:
    start = _solution_start(facts, rng, keep) if rng.random() < 0.4 else ""
    kind = rng.randrange(12)
    system = rng.choice(SYSTEMS)
    instr = rng.choice(INSTRUCT)
    if kind == 0:
        return ("Below is an instruction that describes a task. Write a response that appropriately completes the "
                f"request.\n\n### Instruction:\n{body}\n\n### Response:\n{start}")
    if kind == 1:
        return f"### Instruction:\n{instr}\n\n### Input:\n{body}\n\n### Response:\n{start}"
    if kind == 2:
        return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{body}<|im_end|>\n"
                f"<|im_start|>assistant\n{start}")
    if kind == 3:
        return f"<|system|>\n{system}</s>\n<|user|>\n{body}</s>\n<|assistant|>\n{start}"
    if kind == 4:
        return f"Human: {body}\n\nAssistant: {start}"
    if kind == 5:
        return f"<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{body} [/INST] {start}"
    if kind == 6:
        return (f"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
                f"<|start_header_id|>user<|end_header_id|>\n\n{body}<|eot_id|>"
                f"<|start_header_id|>assistant<|end_header_id|>\n\n{start}")
    if kind == 7:
        return f"<start_of_turn>user\n{body}<end_of_turn>\n<start_of_turn>model\n{start}"
    if kind == 8:
        ex_q, ex_a = rng.choice(EXAMPLES)
        return f"Q: {ex_q}\nA: {ex_a}\n\nQ: {body}\nA: {start}"
    ascii_only = rng.random() < 0.5
    if kind == 9:
        rec = rng.choice([{"instruction": body, "input": "", "output": start},
                          {"prompt": body, "completion": start},
                          {"instruction": instr, "input": body, "output": start}])
    elif kind == 10:
        rec = {"conversations": [{"from": "system", "value": system}, {"from": "human", "value": body},
                                 {"from": "gpt", "value": start}]}
    else:
        rec = {"messages": [{"role": "user", "content": body}, {"role": "assistant", "content": start}]}
    return json.dumps(rec, ensure_ascii=ascii_only)


# ---------------------------------------------------------------------------------------------------------------

def _attempt(question: str, rng: random.Random, force: bool) -> tuple[str, int]:
    kinds = 0
    q = " ".join(question.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
                 .replace("\u201d", '"').split())
    answer = _answers().get(" ".join(question.split()))
    hi = 0.9 if force else None

    def roll(p: float) -> bool:
        return rng.random() < (hi or p)

    people: dict[str, str] = {}
    try:
        people = _people(q)
    except Exception:  # noqa: BLE001 - a failed step leaves the text as it was
        people = {}
    single = _persona_ok(q, people)
    text = q

    # 2. persona
    persona = ""
    if single and roll(0.45):
        with contextlib.suppress(Exception):  # a failed step leaves the text as it was
            mode = "we" if (rng.random() < 0.35 and not re.search(r"\b(years? old|age|older|younger|born|birthday|"
                                                                      r"weigh\w*|tall|height|sick|unwell|hair|"
                                                                      r"sleeps?|slept)\b|\b(?:is|was) an? ", q)) else "you"
            new = _persona(text, single, people[single], mode)
            if new != text and single not in re.sub(r"\b" + single + r"'s\b", "", new):
                text, persona = new, mode
                if mode == "you" and rng.random() < 0.4:
                    first = _split(text)
                    if first and re.match(r"^You(r)? ", first[0]) and not first[0].endswith("?"):
                        text = "Suppose " + _low(first[0], set()) + text[len(first[0]):]
                kinds += 1
    # 3. names and objects
    if people and roll(0.7):
        with contextlib.suppress(Exception):  # a failed step leaves the text as it was
            text, ch = _rename(text, people, {single} if persona else set(), rng)
            kinds += ch
    if roll(0.5):
        with contextlib.suppress(Exception):  # a failed step leaves the text as it was
            text, ch = _objects(text, rng)
            kinds += ch
    # 4. numbers
    factor = 1
    if _money_ok(text) and roll(0.5):
        try:
            factor = rng.choice([2, 3, 4, 5])
            text = _scale_money(text, factor)
            kinds += 1
        except Exception:  # noqa: BLE001
            factor = 1
    if roll(0.75):
        with contextlib.suppress(Exception):  # a failed step leaves the text as it was
            vals = sorted({int(x) for x in re.findall(r"(?<![\w.,$/:])(\d+)(?![\w.,/:%])", text) if 2 <= int(x) < 100})
            profile = {"big": rng.choice(["k", "sep", "plain", "keep"]),
                       "money": rng.choice(["usd_pre", "usd_post", "cents", "keep"]),
                       "pct": rng.choice(["word", "sign", "keep"]), "time": rng.random() < 0.6}
            if rng.random() < 0.5:
                profile["wordset"] = {v for v in vals if rng.random() < 0.6}
            else:
                profile["digits"] = True
            new = _numbers(text, profile, rng)
            kinds += new != text
            text = new

    sents = _split(text) or [text]
    qi = max((i for i, s in enumerate(sents) if s.endswith("?")), default=len(sents) - 1)
    question_s = sents[qi]
    facts = sents[:qi] + sents[qi + 1:]
    layout = rng.choices(["prose", "given", "table", "notes"], [0.4, 0.2, 0.15, 0.25])[0]
    if force and layout == "prose":
        layout = rng.choice(["given", "table", "notes"])
    if not facts:
        layout = "notes" if layout != "prose" else "prose"

    # 7. question
    mc = ""
    if roll(0.75):
        with contextlib.suppress(Exception):  # a failed step leaves the text as it was
            if rng.random() < 0.3:
                value = None
                if answer is not None:
                    value = answer[0] * (factor if _money_answer(question_s, answer[1]) else 1)
                nums = [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", q)][:6]
                mc = _choices(value, nums, rng)
                kinds += 1
            else:
                new, k = _question(question_s, layout == "notes", rng)
                if k:
                    question_s = new
                    kinds += 1

    # 5/6. layout
    try:
        if layout == "notes":
            drop = {"She"} if single and people.get(single) == "F" and not persona else \
                {"He"} if single and not persona else set()
            facts = [_tele(f, drop) for f in facts]
            question_s = _tele(question_s, set(), True) if not question_s.startswith("#") else question_s
        keep = _proper(text) | set(people)
        body = _layout(facts, question_s + mc, layout, rng, keep) if facts else question_s + mc
        kinds += layout != "prose"
    except Exception:  # noqa: BLE001
        body = " ".join(facts + [question_s]) + mc

    # 1. packaging
    if roll(0.85):
        try:
            out = _package(body, _split(text)[:qi] if qi else [], rng, _proper(text) | set(people))
            kinds += 1
        except Exception:  # noqa: BLE001
            out = body
    else:
        out = body
    out = "\n".join(line.rstrip() for line in out.strip().splitlines())
    return out, kinds


def rewrite(question: str, rng: random.Random) -> str:
    """The problem packed, retold and reformatted as it might appear in a synthetic or instruction-tuning corpus."""
    try:
        out, kinds = _attempt(question, rng, force=False)
        if kinds < 3:
            out, _ = _attempt(question, rng, force=True)
        return out
    except Exception:  # noqa: BLE001 - never raise: fall back to a plain instruction record
        try:
            return "### Instruction:\n" + " ".join(str(question).split()) + "\n\n### Response:"
        except Exception:  # noqa: BLE001
            return str(question)
