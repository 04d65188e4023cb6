"""A twentieth rewrite style for GSM8K problems, written on 2026-12-05 (session 23) without seeing the matcher (nothing
under curation/ or factory/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or
scoring script and no ``factory decontam`` run, no results, notes, README, git history, diffs or flag labels read), and
never used for calibration or for reading misses: a held-out check. Of styles 1-19 and the noise style only the module
docstrings (their first 60 lines) were read, to stay clear of them.

It models how a *teacher LLM's synthetic-data pipeline* re-emits a benchmark item when it is asked to produce training
data from it ("rewrite this as told by a pirate", "same problem, new setting", "first list the givens", ...). The
problem stays the same problem: every quantity-bearing fact keeps its role, the solution steps and the question are the
same; values keep their values (only their written form changes: "16" -> "sixteen (16)", "$2" -> "two dollars
($2.00)", "25%" -> "25% (0.25)"). Each kind is switched on at random per problem; a problem with fewer than three kinds
changing it is redone from the original with one more kind switched on at a time until three do (or all are on). The
kinds run in the order 2, 6, 3, 5, 1, 7, 4, 8:

1. persona voice: one of a pirate, a sports commentator, a Victorian novelist, a news anchor, a chef, a gamer or a
   lawyer tells the problem: an opening framing sentence in the persona's register, short interjections between the
   facts ("Arr!", "What a play!", "Developing story."), a few register words of its own table that leave every fact
   alone ("friends" -> "mateys", "the store" -> "the trading post"; "kids" -> "young ones"), and a closing line;
2. re-contextualisation ("same problem, a different world"): the story moves to a spaceship, a data centre, a
   medieval castle, a deep-sea research base or a wizard school; every person gets a name of that world (with a
   title), every place or role word of its table and every counted thing (a word right after a number, or a common
   GSM8K object of its table) becomes a thing of that world, one to one, singular and plural alike, "a"/"an" made to
   agree; money becomes the world's currency ("$5" -> "5 credits") when no coins, bills or cents appear; units of
   time, length, weight and volume are kept, so every dimension stays what it was;
3. problem decomposition: the prose is dropped and the teacher lists the givens as short bullet phrases with the
   values ("- number of eggs Janet's ducks lay per day: 16", "- amount he pays for the house: $80,000"), a fact it
   cannot turn into a noun phrase as a terse bullet with the value in brackets, then one "Goal:" line holding the
   question;
4. response-style wrappers: "Sure! Here's a problem for you:", "**Problem:**", "Great question! Let's restate it:",
   "Absolutely - here is the word problem:", and a trailing "Let me know if you'd like the solution!" or "Feel free
   to ask for a step-by-step explanation.";
5. numerical re-expression: some whole numbers as "sixteen (16)", number words as "three (3)", money as "two dollars
   ($2.00)" or "$2.50 (two dollars and fifty cents)", percentages with their decimal ("150% (1.5)"), simple fractions
   in words with the fraction ("one-quarter (1/4)");
6. sentence-level paraphrase by its own tables: verbs and nouns ("wants to" -> "would like to", "decides to" ->
   "chooses to", "every day" -> "each day", "kids" <-> "children", "costs" -> "comes to", "starts" -> "begins"), a
   leading "If ..., ..." made into "Suppose ... . Then ...", "There are N X in the Y." -> "The Y holds N X.", and the
   question undone from its inverted form ("How many eggs does she sell?" -> "Work out how many eggs she sells.");
7. (its own) dataset metadata header, as synthetic math corpora carry it: a line or block of tags in front of the
   item ("Topic: arithmetic | Skills: multiplication, money | Grade: 4 | Source: synthetic", or a
   ``difficulty: medium`` / ``tags: [...]`` block) whose skills are read off the problem's own words;
8. (its own) answer-format instruction: the reasoning-prompt tail that math SFT corpora append ("Please reason step by
   step, and put your final answer within \\boxed{}.", "Show your work and end with 'The answer is N'.").

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v20 import rewrite
    >>> out = rewrite("Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?", random.Random(3))
    >>> len(out) > 40 and out != "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    True
"""

from __future__ import annotations

import random
import re

# ---------------------------------------------------------------------------------------------------------------
# number words

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUE = {w: i for i, w in enumerate(_ONES) if i >= 2}
_WORD_VALUE.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100})


def _say(n: int) -> str:
    """English words for 0 <= n < 10**9."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("-" + _ONES[o] if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + (" " + _say(r) if r else "")
    for size, name in ((10 ** 6, "million"), (1000, "thousand")):
        if n >= size:
            q, r = divmod(n, size)
            return _say(q) + " " + name + (" " + _say(r) if r else "")
    return str(n)


_FRACTION_WORDS = {"1/2": "one-half", "1/3": "one-third", "2/3": "two-thirds", "1/4": "one-quarter",
                   "3/4": "three-quarters", "1/5": "one-fifth", "2/5": "two-fifths", "3/5": "three-fifths",
                   "4/5": "four-fifths", "1/6": "one-sixth", "1/8": "one-eighth", "3/8": "three-eighths",
                   "1/10": "one-tenth"}

# ---------------------------------------------------------------------------------------------------------------
# kind 1: personas

PERSONAS = {
    "pirate": {
        "open": ["Ahoy, ye landlubbers! Gather 'round for a tale o' numbers.", "Arr, listen close, crew, for here be a puzzle."],
        "inter": ["Arr!", "Yo ho!", "Shiver me timbers!", "Mark me words, matey."],
        "close": ["Now answer me this, or walk the plank!", "Reckon it true, ye scallywag."],
        "words": {"friends": "mateys", "friend": "matey", "the store": "the trading post", "Yes": "Aye",
                  "children": "young swabs", "kids": "young swabs", "my": "me"},
    },
    "sports": {
        "open": ["Welcome back, folks, and what a matchup we have for you today!",
                 "And we're live from the arena with a real nail-biter of a problem!"],
        "inter": ["What a play!", "Unbelievable scenes here!", "The crowd is on its feet!", "Can you believe it, folks?"],
        "close": ["It all comes down to this final question, folks!", "The clock is ticking, and it's on you now!"],
        "words": {"friends": "teammates", "friend": "teammate", "decides to": "makes the call to"},
    },
    "victorian": {
        "open": ["It was a bright and temperate morning when the following particulars came to pass.",
                 "Permit me, dear reader, to set before you a most curious account."],
        "inter": ["Indeed, it was so.", "How remarkable, the reader may think.", "I dare say this is quite true."],
        "close": ["And thus, dear reader, the question presents itself:", "Pray, consider it with care."],
        "words": {"kids": "children", "mom": "mother", "dad": "father", "wants to": "wishes to",
                  "friends": "acquaintances", "friend": "acquaintance", "a lot of": "a great many"},
    },
    "news": {
        "open": ["Good evening, and welcome to tonight's broadcast. Our top story:",
                 "This just in from our local desk."],
        "inter": ["Developing story.", "Our reporters have confirmed the following.", "Sources say this is accurate."],
        "close": ["We'll have the answer after the break. Back to you in the studio.",
                  "Stay tuned as we work it out together."],
        "words": {"kids": "local children", "decides to": "has announced plans to"},
    },
    "chef": {
        "open": ["Bonjour, mes amis! Today in my kitchen we are cooking up a little problem.",
                 "Aprons on, everyone, today's recipe is a word problem!"],
        "inter": ["Magnifique!", "A pinch of patience here.", "Keep stirring, keep thinking."],
        "close": ["Season to taste, and serve the answer hot!", "Bon appetit, and happy calculating!"],
        "words": {"friends": "dinner guests", "friend": "dinner guest"},
    },
    "gamer": {
        "open": ["Yo chat, new side quest just dropped.", "Quest unlocked! Okay gamers, lock in."],
        "inter": ["No cap.", "GG.", "Big brain time.", "Lowkey easy, trust."],
        "close": ["Drop your answer in the chat!", "Speedrun this one, let's go!"],
        "words": {"friends": "squad", "friend": "teammate", "really": "lowkey"},
    },
    "lawyer": {
        "open": ["Let the record reflect the following undisputed facts.",
                 "WHEREAS the parties have stipulated to the facts below:"],
        "inter": ["This fact is not in dispute.", "So stipulated.", "Let the record so reflect."],
        "close": ["The court now poses the following question.", "Counsel is directed to answer the question above."],
        "words": {"buys": "acquires", "bought": "acquired", "wants to": "intends to", "gives": "conveys",
                  "gave": "conveyed", "kids": "minor children"},
    },
}

# ---------------------------------------------------------------------------------------------------------------
# kind 2: worlds

WORLDS = {
    "spaceship": {
        "names": ["Vexa", "Orlin", "Tamsin", "Kael", "Juno", "Rhett", "Nova", "Idris", "Sable", "Corin"],
        "titles": ["Captain", "Ensign", "Lieutenant", "Engineer", "Pilot"],
        "money": "credits",
        "places": {"farm": "hydroponics bay", "store": "supply depot", "shop": "supply depot", "bakery": "galley",
                   "school": "training deck", "market": "trade hub", "house": "crew cabin", "restaurant": "mess hall",
                   "park": "observation dome", "garden": "grow pod", "class": "cadet squad", "classroom": "briefing room",
                   "teacher": "flight officer", "students": "cadets", "student": "cadet", "office": "bridge",
                   "library": "archive bay", "zoo": "specimen hold", "city": "colony", "town": "outpost",
                   "mall": "trade ring", "company": "fleet", "party": "crew gathering", "trip": "voyage"},
        "things": [("fuel cell", "fuel cells"), ("ration pack", "ration packs"), ("repair drone", "repair drones"),
                   ("oxygen canister", "oxygen canisters"), ("star chart", "star charts"), ("data crystal", "data crystals"),
                   ("hull panel", "hull panels"), ("signal beacon", "signal beacons"), ("seed capsule", "seed capsules"),
                   ("shuttle", "shuttles"), ("thruster coil", "thruster coils"), ("probe", "probes"),
                   ("med kit", "med kits"), ("plasma tube", "plasma tubes"), ("nav module", "nav modules"),
                   ("space suit", "space suits"), ("sensor", "sensors"), ("cargo crate", "cargo crates")],
    },
    "datacentre": {
        "names": ["Priyanka", "Magnus", "Ada", "Linus", "Grace", "Dennis", "Radia", "Ken", "Barbara", "Tim"],
        "titles": ["Admin", "Engineer", "Operator", "Architect"],
        "money": "cloud credits",
        "places": {"farm": "server farm", "store": "hardware depot", "shop": "hardware depot", "bakery": "build server",
                   "school": "training cluster", "market": "marketplace API", "house": "server room",
                   "restaurant": "cafeteria node", "park": "staging area", "garden": "sandbox", "class": "team",
                   "classroom": "war room", "teacher": "team lead", "students": "interns", "student": "intern",
                   "office": "control room", "library": "code repository", "zoo": "test lab", "city": "region",
                   "town": "zone", "mall": "colocation hall", "company": "cloud provider", "party": "launch event",
                   "trip": "migration"},
        "things": [("server", "servers"), ("hard drive", "hard drives"), ("network cable", "network cables"),
                   ("rack", "racks"), ("backup tape", "backup tapes"), ("router", "routers"), ("GPU", "GPUs"),
                   ("log file", "log files"), ("container", "containers"), ("cooling fan", "cooling fans"),
                   ("power supply", "power supplies"), ("ticket", "tickets"), ("patch", "patches"),
                   ("switch", "switches"), ("memory stick", "memory sticks"), ("keyboard", "keyboards"),
                   ("firewall rule", "firewall rules"), ("virtual machine", "virtual machines")],
    },
    "castle": {
        "names": ["Aldric", "Isolde", "Gawain", "Rowena", "Cedric", "Elowen", "Bertrand", "Maude", "Osric", "Brynja"],
        "titles": ["Knight", "Steward", "Herald", "Warden"],
        "money": "gold crowns",
        "places": {"farm": "manor fields", "store": "village market stall", "shop": "armoury", "bakery": "castle kitchen",
                   "school": "squires' hall", "market": "town fair", "house": "keep", "restaurant": "great hall",
                   "park": "courtyard", "garden": "herb garden", "class": "band of squires", "classroom": "training yard",
                   "teacher": "master-at-arms", "students": "squires", "student": "squire", "office": "treasury",
                   "library": "scriptorium", "zoo": "royal menagerie", "city": "kingdom", "town": "village",
                   "mall": "bazaar", "company": "guild", "party": "feast", "trip": "pilgrimage"},
        "things": [("shield", "shields"), ("arrow", "arrows"), ("candle", "candles"), ("scroll", "scrolls"),
                   ("horseshoe", "horseshoes"), ("goblet", "goblets"), ("banner", "banners"), ("loaf", "loaves"),
                   ("lantern", "lanterns"), ("helmet", "helmets"), ("barrel", "barrels"), ("tapestry", "tapestries"),
                   ("spear", "spears"), ("saddle", "saddles"), ("torch", "torches"), ("chalice", "chalices"),
                   ("gauntlet", "gauntlets"), ("quill", "quills")],
    },
    "seabase": {
        "names": ["Marina", "Caspian", "Coralie", "Finn", "Nerissa", "Morgan", "Delphine", "Kai", "Pearl", "Triton"],
        "titles": ["Doctor", "Diver", "Chief", "Technician"],
        "money": "sea shells",
        "places": {"farm": "kelp farm", "store": "supply locker", "shop": "supply locker", "bakery": "base galley",
                   "school": "dive school", "market": "dock exchange", "house": "pressure pod", "restaurant": "canteen",
                   "park": "viewing gallery", "garden": "coral nursery", "class": "dive team", "classroom": "briefing pod",
                   "teacher": "dive instructor", "students": "trainee divers", "student": "trainee diver",
                   "office": "command module", "library": "sample archive", "zoo": "aquarium wing", "city": "habitat",
                   "town": "station", "mall": "central hub", "company": "expedition", "party": "surface party",
                   "trip": "dive"},
        "things": [("air tank", "air tanks"), ("sample jar", "sample jars"), ("flipper", "flippers"),
                   ("buoy", "buoys"), ("sonar pinger", "sonar pingers"), ("dive light", "dive lights"),
                   ("net", "nets"), ("specimen tray", "specimen trays"), ("wetsuit", "wetsuits"), ("submersible", "submersibles"),
                   ("anchor", "anchors"), ("coral cutting", "coral cuttings"), ("rope coil", "rope coils"),
                   ("sea cucumber", "sea cucumbers"), ("valve", "valves"), ("camera", "cameras"),
                   ("oyster", "oysters"), ("depth gauge", "depth gauges")],
    },
    "wizard": {
        "names": ["Elspeth", "Thaddeus", "Morwen", "Alaric", "Seraphina", "Ignatius", "Luna", "Percival", "Wren", "Osgood"],
        "titles": ["Professor", "Apprentice", "Archmage", "Warlock"],
        "money": "silver sickles",
        "places": {"farm": "mandrake fields", "store": "potion shop", "shop": "wand shop", "bakery": "enchanted kitchen",
                   "school": "academy of magic", "market": "goblin market", "house": "tower", "restaurant": "tavern",
                   "park": "enchanted grove", "garden": "herbology garden", "class": "coven", "classroom": "spell chamber",
                   "teacher": "professor of charms", "students": "apprentices", "student": "apprentice",
                   "office": "headmaster's study", "library": "grimoire vault", "zoo": "bestiary", "city": "realm",
                   "town": "hamlet", "mall": "arcane bazaar", "company": "order of mages", "party": "midsummer revel",
                   "trip": "quest"},
        "things": [("potion", "potions"), ("spellbook", "spellbooks"), ("wand", "wands"), ("crystal ball", "crystal balls"),
                   ("owl feather", "owl feathers"), ("rune stone", "rune stones"), ("cauldron", "cauldrons"),
                   ("broomstick", "broomsticks"), ("charm", "charms"), ("phoenix egg", "phoenix eggs"),
                   ("moonstone", "moonstones"), ("enchanted cloak", "enchanted cloaks"), ("toadstool", "toadstools"),
                   ("dragon scale", "dragon scales"), ("scroll of fire", "scrolls of fire"), ("amulet", "amulets"),
                   ("pixie lantern", "pixie lanterns"), ("familiar", "familiars")],
    },
}

#: common GSM8K things that a world swaps even when no number stands before them (singular, plural)
COMMON_THINGS = [("egg", "eggs"), ("duck", "ducks"), ("chicken", "chickens"), ("cow", "cows"), ("apple", "apples"),
                 ("orange", "oranges"), ("cookie", "cookies"), ("cupcake", "cupcakes"), ("muffin", "muffins"),
                 ("cake", "cakes"), ("pizza", "pizzas"), ("book", "books"), ("pencil", "pencils"), ("pen", "pens"),
                 ("marble", "marbles"), ("sticker", "stickers"), ("toy", "toys"), ("shirt", "shirts"), ("car", "cars"),
                 ("ticket", "tickets"), ("flower", "flowers"), ("candy", "candies"), ("card", "cards"), ("balloon", "balloons"), ("sandwich", "sandwiches")]

#: words right after a number that are units, measures or abstractions: never swapped by a world
NOT_THINGS = set("""
tubs tub packets packet jars jar bottles bottle cans can bowls bowl boxes box baskets basket buckets bucket
crates crate sacks sack bags bag trays tray cartons jugs jug glasses glass packs pack packages package sets cases case cartons carton bundles bundle rolls roll dollars dollar cents cent percent times time hours hour minutes minute seconds second days day weeks week months month
years year decades decade miles mile feet foot inches inch yards yard meters meter metres metre kilometers kilometer
centimeters centimeter km cm mm kg pounds pound ounces ounce grams gram kilograms kilogram gallons gallon liters liter
litres litre quarts quart cups cup tablespoons teaspoons pints pint tons ton more less fewer of than and or to in on at
for per each a an the as more other others out off people person men man women woman boys boy girls girl kids kid
children child dozen dozens hundred hundreds thousand thousands million millions half halves third thirds quarter
quarters fourth fifths fifth sixth tenth am pm o'clock mph degrees degree points point games game legs leg wheels wheel
sides side pages page laps lap steps step rows row floors floor levels level friends friend members member students
student times, is are was were has have had will would can could rounds round shifts shift grades grade calories
calorie members, teams team family families episodes episode hits hit goals goal servings serving slices slice pieces
piece items item units unit sets set pairs pair stories story times. words word questions question problems problem
""".split())

# ---------------------------------------------------------------------------------------------------------------
# kinds 4, 7, 8

OPENERS = ["Sure! Here's a problem for you:", "**Problem:**", "Great question! Let's restate it:",
           "Absolutely - here is the word problem:", "Of course! Here's a math word problem:",
           "Here's a practice problem based on your request:", "Certainly! Consider the following problem."]
CLOSERS = ["Let me know if you'd like the solution!", "Feel free to ask for a step-by-step explanation.",
           "Would you like me to walk through the solution?", "I hope this helps - let me know if you need hints!",
           "Happy solving!"]
ANSWER_FORMATS = ["Please reason step by step, and put your final answer within \\boxed{}.",
                  "Show your work and end with 'The answer is N'.",
                  "Think step by step. Give the final answer as a single number on the last line.",
                  "Let's think step by step and output the final answer after \"####\"."]
SKILL_CUES = [("money", r"\$|dollars?|cents?|price|cost|pay|earn|profit"), ("percentages", r"%|percent"),
              ("fractions", r"\b\d+/\d+\b|half|third|quarter"), ("time", r"\bhours?\b|\bminutes?\b|\bdays?\b|\bweeks?\b"),
              ("multiplication", r"\beach\b|\bper\b|\btimes\b|\bevery\b"), ("rates", r"\bper (hour|minute|day|week)\b|mph"),
              ("subtraction", r"\bleft\b|\bremain|\bfewer\b|\bless\b|\bspend"), ("addition", r"\btotal\b|\baltogether\b|\bcombined\b|\bmore\b"),
              ("measurement", r"\bmiles?\b|\bfeet\b|\binches\b|\bpounds?\b|\bgallons?\b|\bmeters?\b")]

# ---------------------------------------------------------------------------------------------------------------
# kind 6: paraphrase table (regex, choices); one choice per problem

PARAPHRASES = [
    (r"\bwants to\b", ["would like to", "is hoping to"]), (r"\bwant to\b", ["would like to", "hope to"]),
    (r"\bdecides to\b", ["chooses to", "opts to", "makes the decision to"]),
    (r"\bdecided to\b", ["chose to", "opted to"]), (r"\bevery day\b", ["each day", "on each day"]),
    (r"\bkids\b(?!['’])", ["children"]), (r"\bchildren\b(?!['’])", ["kids"]), (r"\bmom\b", ["mother"]), (r"\bdad\b", ["father"]),
    (r"\bcosts\b", ["comes to", "is priced at"]), (r"\bstarts\b", ["begins"]), (r"\bstarted\b", ["began"]),
    (r"\bfinishes\b", ["completes"]), (r"\bfinished\b", ["completed"]), (r"\bneeds\b", ["requires"]),
    (r"\bthe store\b", ["the shop"]), (r"\bquickly\b", ["rapidly"]), (r"\bIn total\b", ["Altogether"]),
    (r"\bin total\b", ["altogether", "combined"]), (r"\bHowever\b", ["That said"]), (r"\bthen\b", ["after that"]),
    (r"\bgets (?=\$?\d|a |an |the |some |her |his |their )", ["receives "]), (r"\bearns\b", ["brings in"]), (r"\bspends\b", ["shells out"]),
    (r"\bpicks\b", ["gathers"]), (r"\bwalks\b", ["goes on foot"]), (r"\bhelps\b", ["assists"]),
    (r"\bbig\b", ["large"]), (r"\blarge\b", ["big"]), (r"\bsmall\b", ["little"]), (r"\bbegins\b", ["starts"]),
    (r"\bevery week\b", ["each week"]), (r"\bevery month\b", ["each month"]), (r"\bafter that\b", ["next"]),
]

COMPARE = set("more less fewer of times percent and to for in at a an per extra additional than or as each "
              "longer shorter older younger bigger smaller taller cheaper faster slower higher lower".split())
_NUMW = r"(?:\d[\d,]*(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty)"

STOP_CAPS = set("""
The A An And But Or If When While After Before Since Because So Then There This That These Those It Its He She They We
You I His Her Their Our Your My How What Which Who Whom Whose Why Where Each Every All Some Any No Not One Two Three Four
Five Six Seven Eight Nine Ten Eleven Twelve Twenty Thirty Forty Fifty Hundred First Second Third Last Next In On At For
Of To From With By As Also Only Just After Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
March April May June July August September October November December Christmas Easter Halloween Thanksgiving Valentine
Mr Mrs Ms Dr Mr. Mrs. Ms. Dr. Miss Sir Lady If, Calculate Find Determine Compute Given Suppose Assume Let Including
During Until Unless Although Though However Meanwhile Together Both Half Twice Everyone Everybody Someone Nobody None
Most Many Much More Less Fewer Total Altogether Today Yesterday Tomorrow Tonight Now Later Once Usually Every Mom Dad
Grandma Grandpa Mother Father Uncle Aunt New Old US USA America American English French Spanish Math Science History
""".split())


# ---------------------------------------------------------------------------------------------------------------
# helpers

def _sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|a\.m|p\.m)\.(?= )", lambda m: m.group(1) + "\x00", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"$\d])", text)
    return [p.replace("\x00", ".") for p in parts if p]


def _split_question(sents: list[str]) -> tuple[list[str], str]:
    for i in range(len(sents) - 1, -1, -1):
        if sents[i].endswith("?"):
            return sents[:i] + sents[i + 1:], sents[i]
    if sents and re.match(r"(Calculate|Find|Determine|Compute|What|How|Work out)\b", sents[-1]):
        return sents[:-1], sents[-1]
    return sents[:-1], sents[-1] if sents else ""


def _third(verb: str) -> str:
    if verb in ("have",):
        return "has"
    if verb in ("do", "go"):
        return verb + "es"
    if verb == "be":
        return "is"
    if re.search(r"(s|sh|ch|x|z)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


def _article_fix(text: str) -> str:
    def fix(m: re.Match) -> str:
        art, word = m.group(1), m.group(2)
        vowel = word[0].lower() in "aeiou" and not word.lower().startswith(("uni", "use", "one", "eu"))
        new = "an" if vowel else "a"
        if art[0].isupper():
            new = new.capitalize()
        return new + " " + word
    return re.sub(r"\b([Aa]n?) ([A-Za-z][\w-]*)", fix, text)


# ---------------------------------------------------------------------------------------------------------------
# kinds


def _names(text: str) -> list[str]:
    found = []
    sents = _sentences(text)
    lower_words = set(re.findall(r"\b[a-z]+\b", text))
    for s in sents:
        toks = list(re.finditer(r"\b[A-Z][a-z]+\b", s))
        for m in toks:
            w = m.group(0)
            if w in STOP_CAPS or w.lower() in lower_words or w in found:
                continue
            if re.search(r"\b(a|an|the|each|every|this|that)( [a-z]+)? " + w + r"\b", text):
                continue
            if w.endswith(("ese", "ians", "ans", "ing", "ly", "ish")) or re.search(r"\d " + w + r"\b", text):
                continue
            if w.rstrip("s") in STOP_CAPS or (w.endswith("s") and w[:-1].lower() in lower_words):
                continue
            if m.start() == 0 and not (re.search(r"[^.!?] " + w + r"\b", text) or re.match(
                    r"(['’]s?| and [A-Z]| (is|was|has|had|can|will|wants|[a-z]+s|[a-z]+ed)\b)", s[m.end():])):
                continue
            found.append(w)
    return found


FOLLOW = ("of|for|in|and|or|to|each|per|at|that|with|from|on|every|a|an|the|she|he|they|it|but|than|if|so|while|"
          "which|who|are|is|were|was|left|this|last|next|cost|costs|will|can|does|did|do|has|have|had|into|total")
PRECEDE = set("the a an of her his their its my your our many more some each per every those these fewer all with dozen "
              "which no any other own new few several both".split())


def _plural(w: str) -> str:
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ies"
    if w.endswith(("ch", "sh", "x", "s")):
        return w + "es"
    return w + "s"


def _free(text: str, sing: str, plur: str, strict: bool = False) -> bool:
    """True when every use of the word stands alone: after a number, a determiner or a possessive, and not in a
    compound with the next word."""
    for m in re.finditer(r"\b(" + re.escape(sing) + "|" + re.escape(plur) + r")\b", text, re.I):
        before = text[:m.start()].rstrip()
        prev = re.search(r"([\w'’$.,]+)$", before)
        if prev:
            pw = prev.group(1)
            if not (re.match(r"^\$?\d", pw) or pw.lower() in PRECEDE or pw.endswith(("'s", "’s", "s'"))
                    or pw.lower() in _WORD_VALUE or pw.endswith(",")):
                return False
        nxt = re.match(r" ([a-z]+)", text[m.end():])
        if nxt and nxt.group(1) not in FOLLOW.split("|") and (strict or not re.match(r"[a-z]+(s|ed)$", nxt.group(1))):
            return False
        if nxt and nxt.group(1) in ("food", "shop", "store", "house", "farm", "pen", "box", "bag", "card", "cream"):
            return False
    return True


def world_swap(text: str, rng: random.Random) -> str:
    world = WORLDS[rng.choice(sorted(WORLDS))]
    out = text
    # money
    if not re.search(r"\b(cents?|bills?|coins?|quarters?|dimes?|nickels?|pennies|penny)\b", out, re.I):
        cur = world["money"]
        out = re.sub(r"\$(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s+dollars?\b)?", lambda m: m.group(1) + " " + cur, out)
        out = re.sub(r"\bdollars\b", cur, out)
        out = re.sub(r"\bin dollars\b", "in " + cur, out)
    # places and roles
    for w, new in world["places"].items():
        if not _free(text, w, _plural(w), strict=True):
            continue
        out = re.sub(r"\b" + w + r"\b", new, out)
        cap = w.capitalize()
        out = re.sub(r"\b" + cap + r"\b", new[0].upper() + new[1:], out)
    # counted things
    pool = [p for p in world["things"] if p[0] not in out and p[1] not in out]
    rng.shuffle(pool)
    mapping: dict[str, tuple[str, str]] = {}
    num = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + "|".join(_WORD_VALUE) + r")"
    for m in re.finditer(r"\b" + num + r" ([a-z]+)\b(?=[.,;:?!)]| (?:" + FOLLOW + r")\b)", text):
        w = m.group(1)
        if w in NOT_THINGS or len(w) < 3 or w.endswith(("ly", "ing")):
            continue
        if w.endswith("s"):
            sing, plur = (w[:-3] + "y" if w.endswith("ies") else w[:-2] if w.endswith(("ches", "shes", "xes")) else w[:-1]), w
        else:
            sing, plur = w, (w[:-1] + "ies" if re.search(r"[^aeiou]y$", w) else w + "es" if w.endswith(("ch", "sh", "x")) else w + "s")
        uses = len(re.findall(r"\b(" + re.escape(sing) + "|" + re.escape(plur) + r")\b", text, re.I))
        if sing in mapping or uses < 2 or not _free(text, sing, plur):
            continue
        mapping[sing] = (sing, plur)
    for sing, plur in COMMON_THINGS:
        if re.search(r"\b(" + sing + "|" + plur + r")\b", text) and sing not in mapping and _free(text, sing, plur):
            mapping[sing] = (sing, plur)
    for sing, (s, p) in list(mapping.items())[:len(pool)]:
        ns, np_ = pool.pop()
        out = re.sub(r"\b" + re.escape(p) + r"\b", np_, out)
        out = re.sub(r"\b" + re.escape(s) + r"\b", ns, out)
    # people
    names = _names(text)
    pnames = world["names"][:]
    rng.shuffle(pnames)
    for n in names:
        if not pnames:
            break
        bare = pnames.pop()
        new = rng.choice(world["titles"]) + " " + bare
        out = re.sub(r"\b((?:Mr|Mrs|Ms|Dr|Miss|Grandma|Grandpa|Aunt|Uncle|Coach|Professor)\.? )" + n + r"\b",
                     lambda m: m.group(1) + bare, out)
        out = re.sub(r"(?<![\w.])(?<!" + re.escape(bare) + " )" + n + r"\b", new, out)
    out = re.sub(r"\b(Mr|Mrs|Ms|Dr)\.? (Knight|Steward|Herald|Warden|Captain|Ensign|Lieutenant|Engineer|Pilot|Admin|Operator|"
                 r"Architect|Doctor|Diver|Chief|Technician|Professor|Apprentice|Archmage|Warlock) ", r"\2 ", out)
    return _article_fix(out)


def paraphrase(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    facts, q = _split_question(sents)
    new_facts = []
    for s in facts:
        m = re.match(r"^If ([^,]{8,}), ([a-z].*)$", s)
        if m and rng.random() < 0.7 and "?" not in s:
            s = "Suppose " + m.group(1) + ". Then " + m.group(2)
        m = re.match(r"^There (?:are|were) (\S+ [a-z]+) in (the|her|his|their|a) ([a-z]+)\.$", s)
        if m and rng.random() < 0.8:
            det = m.group(2)
            s = det.capitalize() + " " + m.group(3) + " holds " + m.group(1) + "."
        new_facts.append(s)
    out = " ".join(new_facts)
    for pat, choices in PARAPHRASES:
        if rng.random() < 0.75:
            out = re.sub(pat, rng.choice(choices), out)
    # question undone from its inverted form
    qm = re.match(r"^(How many|How much) (.*?)\b(does|do) (she|he|it|they|I|we|you|[A-Z][\w.' ]*?) ([a-z]+)\b(.*)\?$", q)
    if qm and (qm.group(3) == "does" or qm.group(4) in ("they", "we", "you", "I")):
        head, mid, aux, subj, verb, tail = qm.groups()
        v = _third(verb) if aux == "does" else verb
        lead = rng.choice(["Work out", "Figure out", "Determine", "Find"])
        q = f"{lead} {head.lower()} {mid}{subj} {v}{tail}."
        q = re.sub(r"\s+", " ", q).replace(" .", ".")
    elif q.startswith("How many "):
        q = "Can you tell me how many " + q[9:] if rng.random() < 0.6 else q
    out = (out + " " + q).strip()
    return out


def _fact_bullet(clause: str) -> str:
    c = clause.strip().rstrip(".!").strip()
    c = re.sub(r"^(And|Then|Also|So|But) ", "", c)
    # SUBJ VERB NUM NOUN REST
    m = re.match(r"^((?:[A-Z][\w’']*|[Tt]he [a-z]+|[Hh]is [a-z]+|[Hh]er [a-z]+|[Tt]heir [a-z]+|She|He|They|It|I|We)"
                 r"(?: [A-Z][\w’']*| [a-z]+'s| [a-z]+’s)?(?: [a-z]+)?) ([a-z]+(?:s|ed)) (" + _NUMW + ") "
                 r"([a-z]+)(.*)$", c)
    if m and m.group(4) not in COMPARE and not m.group(1).split()[0].endswith("ing"):
        subj, verb, num, noun, rest = m.groups()
        if not re.search(r"\d|\$", rest) and not re.search(_NUMW, rest):
            subj_l = subj if subj.split()[0] not in ("She", "He", "They", "It", "We", "A", "An", "The") else \
                subj[0].lower() + subj[1:]
            label = f"number of {noun}" if noun not in NOT_THINGS or noun in ("people", "students", "friends") else noun
            return f"- {label} {subj_l} {verb}{rest}: {num}"
    m = re.match(r"^((?:[A-Z][\w’']*|She|He|They|It|I|We)(?: [a-z]+)?) (pays|paid|spends|spent|earns|earned|makes|made|"
                 r"saves|saved|gets|got|charges|charged) (\$\d[\d,]*(?:\.\d+)?)(.*)$", c)
    if m and not re.search(r"\d|\$", m.group(4)):
        subj, verb, num, rest = m.groups()
        subj_l = subj if subj not in ("She", "He", "They", "It", "We") else subj.lower()
        return f"- amount {subj_l} {verb}{rest}: {num}"
    # fallback: terse clause, values bracketed
    c = re.sub(r"(?<![\d:])(\$?\.?\d[\d,]*(?:\.\d+)?%?(?:/\d+)?)(?!:\d|\d)", r"[\1]", c)
    c = re.sub(r"\b(" + "|".join(w for w in _WORD_VALUE if w != "hundred") + r"|twice|half)\b", r"[\1]", c)
    return "- " + c


def decompose(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    facts, q = _split_question(sents)
    if not facts:
        return text
    bullets = []
    for s in facts:
        if s.endswith("?"):
            bullets.append("- " + s)
            continue
        parts = re.split(r",? and then |, and (?=(?:she|he|they|it|we|I|the|his|her|their|[A-Z]\w+|[a-z]+(?:s|ed))\b)|; ", s)
        if len(parts) > 1 and all(len(p.split()) >= 3 for p in parts):
            # keep the subject on clauses that lost it
            subj = re.match(r"^(She|He|They|We|I|[A-Z][a-z]+(?! [a-z]+ing)) [a-z]+(s|ed)\b", parts[0])
            if subj and (subj.group(1) in STOP_CAPS or subj.group(1).endswith("ing")):
                subj = None
            fixed = [parts[0]]
            for p in parts[1:]:
                w = p.split()
                if (subj and re.match(r"[a-z]+(s|ed)\b", p) and len(w) > 1 and not re.match(
                        r"(is|are|was|were|cost|costs|has|have|had|can|will|do|does|did|each|of|and|to|for)$", w[1])
                        and w[0] not in ("she", "he", "they", "it", "the", "his", "her", "its")):
                    p = subj.group(1) + " " + p
                fixed.append(p)
            parts = fixed
        else:
            parts = [s]
        for p in parts:
            bullets.append(_fact_bullet(p))
    head = rng.choice(["Given:", "Givens:", "What we know:", "Known quantities:"])
    goal = rng.choice(["Goal:", "Find:", "Unknown:"])
    if re.match(r"(Find|Determine|Calculate|Compute|Work out|Figure out)\b", q):
        goal = "Goal:"
    qtxt = q
    return head + "\n" + "\n".join(bullets) + "\n" + goal + " " + qtxt


def numbers(text: str, rng: random.Random) -> str:
    done = [0]

    def money(m: re.Match) -> str:
        if rng.random() < 0.45 or m.end() < len(text) and text[m.end():m.end() + 2] == " (":
            return m.group(0)
        whole, cents = m.group(1).replace(",", ""), m.group(2)
        try:
            w = int(whole)
        except ValueError:
            return m.group(0)
        if w >= 10 ** 9:
            return m.group(0)
        done[0] += 1
        if cents and len(cents) == 3 and cents != ".00":
            c = int(cents[1:])
            return f"${m.group(1)}{cents} ({_say(w)} dollar{'s' if w != 1 else ''} and {_say(c)} cent{'s' if c != 1 else ''})"
        if cents:
            return m.group(0)
        return f"{_say(w)} dollar{'s' if w != 1 else ''} (${m.group(1)}.00)"

    def word(m: re.Match) -> str:
        if rng.random() < 0.5:
            return m.group(0)
        done[0] += 1
        return f"{m.group(0)} ({_WORD_VALUE[m.group(0).lower()]})"
    wl = "|".join(w for w in _WORD_VALUE if w != "hundred")
    text = re.sub(r"(?<![\w-])(" + wl + r")(?![\w-]| \(| hundred| thousand| million|-)", word, text)
    out = re.sub(r"(?<![\w.])\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d,]\d)", money, text)

    def pct(m: re.Match) -> str:
        if rng.random() < 0.4:
            return m.group(0)
        v = float(m.group(1))
        dec = ("%.4f" % (v / 100)).rstrip("0").rstrip(".")
        done[0] += 1
        return f"{m.group(1)}% ({dec})"
    out = re.sub(r"(?<![\w.$])(\d+(?:\.\d+)?)%(?! \()", pct, out)

    def frac(m: re.Match) -> str:
        f = m.group(0)
        if f not in _FRACTION_WORDS or rng.random() < 0.4:
            return f
        done[0] += 1
        return f"{_FRACTION_WORDS[f]} ({f})"
    out = re.sub(r"(?<![\w./$])\d+/\d+(?![\w/])", frac, out)

    def plain(m: re.Match) -> str:
        s = m.group(0)
        if rng.random() < 0.5:
            return s
        n = int(s.replace(",", ""))
        if n > 10 ** 6 or (1900 <= n <= 2100 and "," not in s):
            return s
        done[0] += 1
        return f"{_say(n)} ({s})"
    out = re.sub(r"(?<![\w.,:/$(\[-])(\d{1,3}(?:,\d{3})+|\d+)(?![\w.,:/%)\]-]|[.,]\d| \(|\.\d)", plain, out)

    return out if done[0] else text


def persona(text: str, rng: random.Random) -> str:
    p = PERSONAS[rng.choice(sorted(PERSONAS))]
    out = text
    for w, new in p["words"].items():
        if rng.random() < 0.8:
            out = re.sub(r"\b" + w + r"\b", new, out)
    if "\n" not in out:
        sents = _sentences(out)
        if len(sents) >= 3:
            k = rng.randrange(1, len(sents) - 1)
            sents.insert(k, rng.choice(p["inter"]))
        facts, q = _split_question(sents)
        body = " ".join(facts)
        out = rng.choice(p["open"]) + " " + body + " " + rng.choice(p["close"]) + " " + q
    else:
        out = rng.choice(p["open"]) + "\n" + out + "\n" + rng.choice(p["close"])
    return out


def wrapper(text: str, rng: random.Random) -> str:
    sep = "\n\n" if rng.random() < 0.6 or "\n" in text else " "
    out = rng.choice(OPENERS) + sep + text
    if rng.random() < 0.75:
        out += sep + rng.choice(CLOSERS)
    return out


def metadata(text: str, rng: random.Random) -> str:
    skills = [name for name, pat in SKILL_CUES if re.search(pat, text, re.I)] or ["arithmetic"]
    skills = skills[:3]
    nums = len(re.findall(r"\d+", text))
    diff = "easy" if nums <= 3 else "medium" if nums <= 6 else "hard"
    grade = 3 + min(5, nums // 2)
    if rng.random() < 0.5:
        head = (f"Topic: arithmetic word problems | Skills: {', '.join(skills)} | Grade: {grade} | "
                f"Difficulty: {diff} | Source: synthetic")
    else:
        head = (f"---\ndifficulty: {diff}\ntags: [{', '.join(skills)}]\ngrade_level: {grade}\n"
                f"generator: teacher-v2\n---")
    return head + "\n" + text


def answer_format(text: str, rng: random.Random) -> str:
    return text + ("\n" if rng.random() < 0.7 else " ") + rng.choice(ANSWER_FORMATS)


# order of application: 2, 6, 3, 5, 1, 7, 4, 8
KINDS = [("world", world_swap), ("paraphrase", paraphrase), ("decompose", decompose), ("numbers", numbers),
         ("persona", persona), ("metadata", metadata), ("wrapper", wrapper), ("format", answer_format)]


def _apply(text: str, on: set[str], rng: random.Random) -> tuple[str, int]:
    out, changed = text, 0
    for name, fn in KINDS:
        if name not in on:
            continue
        try:
            new = fn(out, rng)
        except Exception:  # a failed step leaves its text as it was
            new = out
        if isinstance(new, str) and new.strip() and new != out:
            out, changed = new, changed + 1
    return out, changed


def rewrite(text: str, rng: random.Random) -> str:
    """Return a disguised copy of one GSM8K question (the same problem), as a teacher LLM would re-emit it."""
    try:
        src = text.strip() if isinstance(text, str) else str(text)
        names = [n for n, _ in KINDS]
        on = {n for n in names if rng.random() < 0.45}
        if "decompose" in on and "persona" in on and rng.random() < 0.5:
            on.discard("persona")
        best = src
        for _ in range(len(names) + 1):
            out, changed = _apply(src, on, rng)
            best = out
            if changed >= 3 and out != src:
                return out
            off = [n for n in names if n not in on]
            if not off:
                break
            on.add(rng.choice(off))
        if best == src:
            best = rng.choice(OPENERS) + "\n\n" + src
        return best
    except Exception:
        return "**Problem:**\n\n" + (text if isinstance(text, str) else str(text))
