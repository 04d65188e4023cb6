"""Rewritten contamination by template matching (curation/dedup/template_match.py): a copy with other values,
names and wording is caught and named; a different problem built on the same template is not."""

from __future__ import annotations

import pickle

import pytest

from curation.dedup.benchmarks import load_benchmark, shared_data_file
from curation.dedup.decontam import REASON_RE, DecontamConfig, Decontaminate, contamination_report
from curation.dedup.template_mask import quantities, template
from curation.dedup.template_match import FEATURES, MODEL, THRESHOLD, TemplateIndex
from ground.record import new_sample
from tests.conftest import ROOT

ITEMS = load_benchmark("gsm8k_test").items
# hand-written rewrites (not bench/rewrite_gsm8k.py): every value, the names and some wording changed
REWRITE_7 = ("Maria is downloading a 350 GB file. Usually she can download 5 GB/minute, but 60% of the way through the "
             "download, her computer forces a restart to install updates, which takes 15 minutes. Then Maria must restart "
             "the download from the start. How long does it take to download the file?")
REWRITE_6 = ("Lyon has three times as many sheep as Nantes. Nantes has 5 times as many sheep as Brest. If Brest has 30 "
             "sheep, how many sheep do Lyon, Nantes, and Brest have altogether?")
# the same opening template as items 6 and 7, but other problems (other facts, another question)
SAME_TEMPLATE_6 = ("Lyon has three times as many sheep as Nantes. Nantes sells 5 of its sheep to Brest every month. "
                   "After a year, how many sheep has Brest bought?")
SAME_TEMPLATE_7 = "Carla is downloading a 200 GB file. She pays $5 per GB to her internet provider. How much does the download cost her?"


def row(pid: str, prompt: str) -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, messages=[{"role": "user", "content": prompt}])


def test_items_are_what_the_rewrites_copy():
    assert ITEMS[7].prompt.startswith("Carla is downloading a 200 GB file. Normally she can download 2 GB/minute")
    assert ITEMS[6].prompt.startswith("Toulouse has twice as many sheep as Charleston. Charleston has 4 times")


def test_rewrites_caught_by_default_and_same_template_problems_kept():
    texts = [REWRITE_7, REWRITE_6, SAME_TEMPLATE_6, SAME_TEMPLATE_7]
    plain = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template=False))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["status"] for r in plain] == ["accepted"] * 4  # 13-grams see none of them
    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))  # template: on for gsm8k_test
    rows = step([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["status"] for r in rows] == ["rejected", "rejected", "accepted", "accepted"]
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#7 template score=")
    assert rows[1]["reject_reason"].startswith("contaminated: gsm8k_test#6 template score=")
    assert "maria is downloading a 350 gb file" in rows[0]["reject_reason"]
    m = REASON_RE.match(rows[0]["reject_reason"])
    assert m and m["bench"] == "gsm8k_test" and m["item"] == "7" and float(m["method"].split("=")[1]) >= THRESHOLD
    assert contamination_report(rows)["per_benchmark"]["gsm8k_test"]["methods"] == {"template": 2}
    # the kept ones are near misses of those very items, scored below the threshold
    near = step._template.best([SAME_TEMPLATE_6, SAME_TEMPLATE_7])
    assert [near[k][0] for k in (0, 1)] == [("gsm8k_test", "6"), ("gsm8k_test", "7")]
    assert all(near[k][1] < THRESHOLD for k in (0, 1)) and len(near[0][2]) == len(FEATURES)


def test_template_is_off_for_custom_benchmarks_unless_asked(tmp_path):
    # another set of problems (the 48 GSM8K train and 40 test questions of data/gsm8k_sample, test item 7 last: 46% of
    # them test items): not calibrated for it, off by default
    import json

    sample = [json.loads(x)["question"] for f in ("train", "test") for x in (ROOT / f"data/gsm8k_sample/{f}.jsonl").read_text().splitlines()]
    (tmp_path / "other.jsonl").write_text("".join(json.dumps({"question": q}) + "\n" for q in [*sample, ITEMS[7].prompt]))
    mine = {"name": "mine", "path": str(tmp_path / "other.jsonl"), "field": "question"}
    rows = Decontaminate(DecontamConfig(benchmarks=[mine], on="prompt"))([row("a", REWRITE_7)])
    assert rows[0]["status"] == "accepted"  # not calibrated for an arbitrary benchmark: off by default
    step = Decontaminate(DecontamConfig(benchmarks=[mine], on="prompt", template=True))
    rows = step([row("a", REWRITE_7)])
    assert rows[0]["reject_reason"].startswith("contaminated: mine#88 template score=")
    # the step pickles without its index (Ray ships it to workers) and rebuilds it there
    again = pickle.loads(pickle.dumps(step))
    assert again._template is None
    assert again([row("b", REWRITE_7)])[0]["reject_reason"].startswith("contaminated: mine#88 template score=")


def test_a_custom_copy_of_the_gsm8k_test_set_gets_its_template_matching(tmp_path, caplog):
    """The GSM8K test set from the user's own file under another name (how issue #14 measured 75% of rewrites caught):
    template matching was off (only the name gsm8k_test turned it on), so rewrites met n-grams alone. Now a custom
    benchmark whose problems are >= 90% a calibrated built-in's inherits it, whole or in part; template: false still
    turns it off, and a copy with too few of the built-in's problems does not inherit."""
    import json
    import logging

    test = shared_data_file("gsm8k/test.jsonl").read_text().splitlines()
    (tmp_path / "part.jsonl").write_text("\n".join(test[:200]) + "\n")  # 200 items: 0-199, item 7 among them
    full = {"name": "gsm8k_full", "path": str(shared_data_file("gsm8k/test.jsonl")), "field": "question"}
    part = {"name": "gsm8k_part", "path": str(tmp_path / "part.jsonl"), "field": "question"}
    texts = [REWRITE_7, REWRITE_6, SAME_TEMPLATE_6, SAME_TEMPLATE_7]
    with caplog.at_level(logging.INFO, logger="curation.dedup.benchmarks"):
        for spec, name in ((full, "gsm8k_full"), (part, "gsm8k_part")):
            rows = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
            assert [r["reject_reason"][: len(name) + 25] for r in rows[:2]] == [f"contaminated: {name}#7 template", f"contaminated: {name}#6 template"]
            assert [r["status"] for r in rows[2:]] == ["accepted", "accepted"]  # the same-template problems are kept
    assert "benchmark gsm8k_part: 200 of its 200 distinct problem statements are gsm8k_test's: template matching on" in caplog.text
    off = Decontaminate(DecontamConfig(benchmarks=[full], on="prompt", template=False))([row("a", REWRITE_7)])
    assert off[0]["status"] == "accepted"
    # 85% of the problems from the test set, 15% other ones: another benchmark, not inherited
    train = [json.loads(x)["question"] for x in (ROOT / "data/gsm8k_sample/train.jsonl").read_text().splitlines()[:30]]
    mixed = [json.loads(x)["question"] for x in test[:170]] + train
    (tmp_path / "mixed.jsonl").write_text("".join(json.dumps({"question": q}) + "\n" for q in mixed))
    spec = {"name": "mixed", "path": str(tmp_path / "mixed.jsonl"), "field": "question"}
    assert Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt"))([row("a", REWRITE_7)])[0]["status"] == "accepted"


def test_a_stricter_threshold_lets_the_rewrite_through():
    score = TemplateIndex([("gsm8k_test", it) for it in ITEMS]).best([REWRITE_6])[0][1]
    cfg = DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template_threshold=round(score + 0.5, 2))
    assert Decontaminate(cfg)([row("a", REWRITE_6)])[0]["status"] == "accepted"
    with pytest.raises(ValueError, match="template_threshold"):
        DecontamConfig(template_threshold=1000.0)


def test_too_few_items_for_a_null_turns_template_off(tmp_path, caplog):
    small = tmp_path / "small.jsonl"
    small.write_text("".join(shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:10]))
    step = Decontaminate(DecontamConfig(benchmarks=[{"name": "small", "path": str(small), "field": "question"}], on="prompt", template=True))
    assert step([row("a", REWRITE_7)])[0]["status"] == "accepted" and step._template is None
    assert "template matching needs >= 50 benchmark items, got 10: off" in caplog.text


# round 2 (2026-12-02): what rewrites change that the first masking did not survive, and problems that share
# a numbers shape but ask something else
HARSH_7 = ("Q: Mr Okafor is downloading a three hundred and fifty GB file. Usually he can download five GB/minute, but 60 per "
           "cent of the way through the download, his laptop forces a restart to install updates, which takes fifteen "
           "minutes. The café was busy that day, with 12 customers. After that Mr Okafor has to restart the download from "
           "the start. Compute how long it takes to download the file.")  # title, number words, per cent, a distractor
ROLES_3 = ("I need to know: the farmer decides to run four sprints, three times a week, and he runs 50 metres each sprint. "
           "Tell me how many total metres does he run in a week? Please explain briefly.")  # a role, a chatty frame
OTHER_7 = ("Carla is downloading a 200 GB file at 2 GB/minute. Her brother downloads 3 files of 40 GB each at half her speed. "
           "How many minutes does her brother need in all?")
OTHER_1162 = "Geb is 10 more than twice the age of Haley. If Geb is 26 years old, how old is Haley?"  # item 1162: "10 less than half", asks Geb


def test_template_masks_number_words_people_frames_and_keeps_operations():
    from curation.dedup.template_mask import quantities

    assert template("Tom has two hundred and sixty-five apples.") == template("Tom has 265 apples.") == ["@", "have", "#", "~fruit", "|"]
    # half and twice are operations, not just quantities: they stay apart ("twice" is "# times", as "3 times" is)
    assert template("Geb is 10 less than half the age of Haley.") == ["@", "is", "#", "less", "than", "#/", "@", "s", "age", "|"]
    assert template("Geb is twice as old.") == template("Geb is 3 times as old.") == ["@", "is", "#", "times", "as", "old", "|"]
    for who in ("Janet", "The baker", "My neighbour", "Ms Okafor", "Mr. Okafor", "Coach Reid", "Her cousin"):
        assert template(f"{who} sells 68 cakes.")[:2] == ["@", "sell"], who
    assert template("It costs $68 per dozen.") == template("It costs 68 bucks per dozen.") == ["@p", "cost", "#", "|"]
    # a percent, a fraction of 100, a decimal below one and a fraction word are one kind of quantity: a part
    assert template("It is 60%.") == template("It is sixty per cent.") == template("It is 60/100.") \
        == template("It is 0.6.") == template("It is three fifths.") == ["@p", "is", "#/", "|"]
    assert template("It is 1.5.") == ["@p", "is", "#", "|"]
    # a price below one is an amount of money, not a part: "$0.75" is "75 cents"
    assert template("A pen costs $0.75.") == template("A pen costs $.75.") == template("A pen costs 75 cents.") \
        == ["~writing", "cost", "#", "|"]
    # sentences joined with ", and" or split cut into the same segments; a question ends with "|?"
    assert template("Tom buys 3 pens, and he sells 2. How many are left?") == template("Tom bought 3 pens. He sells 2. How many are remaining?")
    assert template("Think step by step: how much is left?")[-1] == "|?"
    # a lone "one" may be a pronoun: it counts in the most quantities only
    assert quantities(template("Here is one from my homework. Tom has 5 apples and 3 pears.")) == (2, 3)


def test_harsher_rewrites_caught_and_same_shape_problems_kept():
    # two GSM8K train questions (lines 5055 and 535 of the train split; MIT, data/gsm8k/LICENSE) the first matcher
    # flagged (false positives: same opening, another question); inlined, so the test needs no shared data
    jaymee = "Jaymee is 2 years older than twice the age of Shara. If Shara is 10 years old, how old is Jaymee?"
    jessica = "Jessica is six years older than Claire. In two years, Claire will be 20 years old. How old is Jessica now?"
    texts = [HARSH_7, ROLES_3, OTHER_7, OTHER_1162, jaymee, jessica]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["status"] for r in rows] == ["rejected", "rejected"] + ["accepted"] * 4
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#7 template score=")
    assert rows[1]["reject_reason"].startswith("contaminated: gsm8k_test#3 template score=")
    best = TemplateIndex([("gsm8k_test", it) for it in ITEMS]).best(texts)
    assert best[2][0] == ("gsm8k_test", "7") and best[2][1] < THRESHOLD  # its nearest item, far below
    assert all(best[k][1] < THRESHOLD for k in (3, 4, 5) if k in best)


# item 240 ("James has 6 more candies than Robert. John has twice as many candies as Robert. ...") with the
# candies swapped for other sweets (sweets, lollipops), other names and numbers, and a Q:/A: frame
REWRITE_240 = ("Q: Priya has 9 more sweets than Omar. Lena has twice as many lollipops as Omar. If Lena has 40 sweets, "
               "how many more lollipops does Lena have than Priya? A:")
# the same opening and the same sweets, but another problem (a gift and a remainder, another unknown)
OTHER_240 = ("Priya has 9 more sweets than Omar. Omar gives 3 sweets to each of his 4 friends and has 2 left. "
             "How many sweets does Priya have?")


def test_objects_swapped_within_their_class_are_one_token():
    def words(text: str) -> list[str]:
        return [t for t in template(text) if t not in ("#", "@", "|", "|?")]

    assert words("Tom has 3 candies and 2 apples.") == words("Tom has 3 lollipops and 2 pears.") == ["have", "~sweet", "and", "~fruit"]
    assert words("Ann bakes 4 cookies.") == words("Ann bakes 4 brownies.") != words("Ann bakes 4 notebooks.")
    assert words("She sold 2 cakes") == ["@p", "sell", "~baked"] and "cake" not in words("a pie and 3 tarts")


def test_rewrite_with_swapped_objects_caught_and_another_problem_kept():
    step = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))
    rows = step([row("a", REWRITE_240), row("b", OTHER_240)])
    assert rows[0]["status"] == "rejected" and rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#240 template score=")
    assert rows[1]["status"] == "accepted"
    idx = step._template
    r, c, f = idx.features([OTHER_240])
    assert 240 in c.tolist() and MODEL(f).max() < THRESHOLD  # item 240 is a candidate; no candidate reaches the threshold


# round 4 (2026-12-02): the things counted, the verbs and the people swapped for another class (a lab copying
# an archive for Carla downloading a file), which leaves few shared words but the same structure; the round-3
# matcher scored it -6.2 against its threshold 0.12
CROSS_7 = ("The lab is copying a 350 GB archive. Normally it can copy 5 GB/minute, but 60% of the way through the copy, "
           "the server forces a reboot to apply patches, which takes 15 minutes. Then the lab has to restart the copy "
           "from the beginning. How long does it take to copy the archive?")


def test_structure_carries_a_rewrite_whose_words_are_all_swapped():
    idx = TemplateIndex([("gsm8k_test", it) for it in ITEMS])
    (item, score, feats), = idx.best([CROSS_7]).values()
    f = dict(zip(FEATURES, feats))
    assert item == ("gsm8k_test", "7") and score >= THRESHOLD
    # half of the item's content words and under half of its masked n-grams ("the lab" and "it" are a person and a
    # pronoun since round 9, as "Carla" and "she" are), but its structure far above chance
    assert f["u"] < 0.6 and f["s"] < 0.45 and f["fz"] > 15 and f["fgap"] > 10
    # adjectives and multi-word things are one slot in the structure: the structure overlap is the same
    plain = "Tom has 3 notebooks and 2 lamps. He sells 2 notebooks. How many are left?"
    wordy = "Tom has 3 shiny purple notebooks and 2 dusty lamps. He sells 2 spare notebooks. How many are left?"
    sf = FEATURES.index("sf")
    (_, ca, fa), (_, cb, fb) = idx.features([plain]), idx.features([wordy])
    same = {int(c): f[sf] for c, f in zip(ca, fa)}
    shared = [(same[int(c)], f[sf]) for c, f in zip(cb, fb) if int(c) in same]
    assert len(shared) >= 2 and all(a == pytest.approx(b) for a, b in shared)


def test_template_model_scores_like_its_trees_and_names_a_bad_file(tmp_path):
    import numpy as np

    from curation.dedup.template_model import MODEL_PATH, TreeModel

    model = TreeModel.load()
    assert model.features == list(FEATURES) and len(model.trees) == 8 * 60 and model.threshold == THRESHOLD  # 8 bags of 60
    # one stump: x0 <= 1 -> -1, else +2, on a baseline of 0.5
    stump = TreeModel(["a"], 0.5, [[[0, 1.0, 1, 2, 0.0], [-1, 0, -1, -1, -1.0], [-1, 0, -1, -1, 2.0]]], 0.0)
    assert stump(np.array([[1.0], [1.5]])).tolist() == [-0.5, 2.5]
    assert TreeModel.load(MODEL_PATH).to_json() == model.to_json()
    bad = tmp_path / "model.json"
    bad.write_text('{"features": ["s"]}')
    with pytest.raises(ValueError, match=r"model.json: not a template model \('baseline'\)"):
        TreeModel.load(bad)


# round 5: a short item (279, two ages) rewritten with groups for people and an imperative frame; its best candidate
# is the copied item, but it scores under the threshold (a short problem stands out little from its null)
SHORT_279 = ("Task for the model:\nThe village council is 12 times older than the co-op. In 27 years, the village council "
             "will be 9 times as old as the co-op. How old is the co-op now?")


def test_near_misses_go_to_a_judge_only_when_the_recipe_names_one():
    from tests.faults.fault_server import FaultInjectingServer

    (item, score, _), = TemplateIndex([("gsm8k_test", it) for it in ITEMS]).best([SHORT_279]).values()
    assert item == ("gsm8k_test", "279") and -2.0 <= score < THRESHOLD
    far = "Compute 17 * 23 and explain each step of the long multiplication."  # no candidate at all
    cfg = dict(benchmarks=["gsm8k_test"], on="prompt", template_judge_from=-2.0)
    assert Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row("a", SHORT_279)])[0]["status"] == "accepted"
    for answer, status in (("echo", "accepted"), ("yes", "rejected")):  # echo: no verdict, so the score decides
        with FaultInjectingServer(retry_after_s=None, answer=answer) as srv:
            step = Decontaminate(DecontamConfig(**cfg, judge_probe=False, judge={"engine": "openai_compat", "model": "judge-z",
                                                                                   "options": {"base_url": srv.base_url}}))
            rows = step([row("a", SHORT_279), row("b", far)])
            step.close()
        assert (step.judge.calls, [r["status"] for r in rows]) == (1, [status, "accepted"])
    reason = rows[0]["reject_reason"]
    assert reason.startswith("contaminated: gsm8k_test#279 template score=") and "+judge '" in reason
    assert REASON_RE.match(reason)["method"].endswith("+judge")
    assert contamination_report(rows)["per_benchmark"]["gsm8k_test"]["methods"] == {"template+judge": 1}
    with pytest.raises(ValueError, match="judge is required"):
        DecontamConfig(**cfg)


def test_relation_words_tell_a_rewrite_from_a_same_template_problem():
    """Round 6: ``dmi`` / ``dex`` count the relation words (times, total, of, each, ...) the item has and the row
    lacks / the row has and the item lacks; ``ln`` is the log of the item's template length."""
    import numpy as np

    idx = TemplateIndex([("gsm8k_test", it) for it in ITEMS])
    assert len(template(ITEMS[6].prompt)) == 36  # "@ have # times as many ~farm as @ | ... together -> total ..."
    r, c, f = idx.features([REWRITE_6, SAME_TEMPLATE_6])
    feats = {int(row): dict(zip(FEATURES, x)) for row, item, x in zip(r, c, f) if item == 6}
    # the rewrite keeps "# times" twice and "total" ("altogether" for "together"): nothing missing, nothing added
    assert (feats[0]["dmi"], feats[0]["dex"]) == (0.0, 0.0)
    # the other problem has one "times" and no "total" (2 missing) and adds "of" and "each" ("every month")
    assert (feats[1]["dmi"], feats[1]["dex"]) == (2.0, 2.0)
    assert feats[0]["ln"] == feats[1]["ln"] == pytest.approx(np.log(36))
    # the item's words with the relations taken out: all three of its relation words are missing, none added
    bare = "Lyon has as many sheep as Nantes. Nantes has as many sheep as Brest. How many sheep do Lyon, Nantes, and Brest have if Brest has 30 sheep?"
    r, c, f = idx.features([bare])
    assert 6 in c.tolist()
    got = dict(zip(FEATURES, f[c.tolist().index(6)]))
    assert (got["dmi"], got["dex"]) == (3.0, 0.0)


def test_masked_overlap_does_not_judge_rows_too_short_for_it():
    """``What is 25 + 17?`` masks to the one 3-gram "what is #", which GSM8K test item 281 holds ("... what is half
    the number of spots ..."): its row containment was 1.0, overlap 0.52, so `factory decontam --masked` flagged
    18 of 19 such arithmetic rows as copies of item 281. A row of fewer counted n-grams than ``min_grams`` is not
    judged by overlap (as items of that size are not); rewrites are still caught."""
    from curation.dedup.masked import MaskedIndex

    assert "what is half the number" in ITEMS[281].prompt
    idx = MaskedIndex([("gsm8k_test", it) for it in ITEMS], n=3)
    short = ["What is 25 + 17?", "What is 98 + 78?", "Compute 12 * 7."]
    assert idx.best(short) == {}
    assert idx.pair(short[0], [281]) == [0.0]
    got = idx.best([REWRITE_7])
    assert got[0][:2] == ("gsm8k_test", "7") and got[0][2] > 0.5
    cfg = DecontamConfig(benchmarks=["gsm8k_test"], on="prompt", template=False, masked=True)
    rows = Decontaminate(cfg)([row(str(i), t) for i, t in enumerate(short + [REWRITE_7])])
    assert [r["reject_reason"] for r in rows[:3]] == [None] * 3
    assert rows[3]["reject_reason"].startswith("contaminated: gsm8k_test#7 masked 3-gram c=")


def test_segment_coverage_tells_a_rewrite_from_a_same_opening_problem():
    """Round 7: ``segcov`` / ``segmin`` are the mean and least, over the item's clauses, of the share of a clause's
    distinct tokens found in the row clause that holds most of them; ``fsegcov`` / ``fsegmin`` the same with every
    word rarer than 10% of the items one wildcard (so a clause whose things were renamed still covers)."""
    idx = TemplateIndex([("gsm8k_test", it) for it in ITEMS])
    # item 6's clauses: "@ have # times as many ~farm as @" (twice), "how many ~farm @" ("do" carries no fact), "@",
    # "@ have total if @ have # ~farm"
    renamed = REWRITE_6.replace("sheep", "lanterns")
    r, c, f = idx.features([REWRITE_6, SAME_TEMPLATE_6, renamed])
    got = {int(row): dict(zip(FEATURES, x)) for row, item, x in zip(r, c, f) if item == 6}
    # the rewrite splits the last clause at the comma: "if @ have # ~farm" holds 5 of its 6 tokens ("total" is in
    # the question clause); every other item clause is whole in one row clause
    assert got[0]["segmin"] == pytest.approx(5 / 6) and got[0]["segcov"] == pytest.approx((4 + 5 / 6) / 5)
    # the same opening with another fact and question: the last item clause is at best 4 of 6 ("@ have # ~farm")
    assert got[1]["segmin"] == pytest.approx(4 / 6) and got[1]["segcov"] < got[0]["segcov"]
    # lanterns for sheep: the plain coverage falls, the structure coverage is the rewrite's
    assert got[2]["segcov"] < got[0]["segcov"] - 0.1
    assert (got[2]["fsegcov"], got[2]["fsegmin"]) == (pytest.approx(got[0]["fsegcov"]), pytest.approx(5 / 6))


def test_a_judge_that_fails_its_probe_is_not_used(caplog):
    """Was: any judge named in the recipe was trusted: one that says YES to everything (the fault-injecting server's
    "yes") flagged every near miss it was sent, and the bundled 135M model, asked as a judge, gives a verdict on half
    the pairs and gets 1 of 6 known pairs right. Now the judge first answers 6 known pairs (3 benchmark problems with
    other numbers, each against itself and against another problem); under 5 right it is not used, the log says so
    and the coverage's checks say NOT USED."""
    import logging

    from tests.faults.fault_server import FaultInjectingServer

    cfg = dict(benchmarks=["gsm8k_test"], on="prompt", template_judge_from=-2.0)
    for answer, right in (("yes", 3), ("echo", 0)):
        with FaultInjectingServer(retry_after_s=None, answer=answer) as srv, caplog.at_level(logging.WARNING):
            step = Decontaminate(DecontamConfig(**cfg, judge={"engine": "openai_compat", "model": "judge-z",
                                                              "options": {"base_url": srv.base_url}}))
            rows = step([row("a", SHORT_279)])
            step.close()
            asked = srv.stats()["requests"]
        assert step.judge_probe == {"right": right, "asked": 6, "used": False} and step.judge is None and asked == 6
        assert rows[0]["status"] == "accepted"  # the always-YES judge would have flagged this near miss
        assert step.coverage[0]["checks"][-1] == f"template matching >= {THRESHOLD:g} (+ LLM judge NOT USED: it got {right} of 6 known pairs right)"
        assert f"the judge judge-z got {right} of 6 known pairs right" in caplog.text and "NOT USED" in caplog.text
    judge = {"engine": "hf_local", "model": "smollm2-135m-instruct", "sampling": {"max_tokens": 8}}
    step = Decontaminate(DecontamConfig(**cfg, judge=judge))
    step([row("a", SHORT_279)])
    assert step.judge_probe["used"] is False and step.judge_probe["right"] <= 3



def test_a_worksheet_cloze_or_relative_clause_layout_reads_as_the_facts_it_states():
    """Layout an LLM's rewrite uses is not content: a numbered list's markers are no quantities, a cloze or a noun
    phrase asks the question, a relative clause states its fact, a class name is its class (round 8)."""
    listed = template("Given:\n1. Ann has 5 pens.\n2) She gives 2 to Bo.\n- Bo has 3.")
    assert quantities(listed) == (3, 3)  # 5, 2, 3: not the markers 1 and 2
    assert template("Fill in the blank: the number of pens Ann has left = ____.") == \
        template("Find the number of pens Ann has left.")[:-1] + ["|?"] == ["how", "many", "~writing", "@", "have", "left", "|?"]
    assert template("The amount of money Ann has left is ____.") == ["how", "much", "money", "@", "have", "left", "|?"]
    assert template("Ann, who has 5 pens, gives 2 away.") == template("Ann has 5 pens, gives 2 away.")
    assert template("She ate 3 pieces of fruit, 2 baked goods and 4 things to read.") == \
        template("She ate 3 apples, 2 muffins and 4 books.")
    # a line that starts with a quantity is still one
    assert quantities(template("Prices:\n3 apples cost $2.\n1.5 kg of rice costs $4.")) == (4, 4)


def test_a_worksheet_rewrite_of_a_short_item_is_caught():
    """GSM8K test #190 ("John collects peaches for 3 hours. He can collect 2 peaches a minute. How many peaches does
    he collect?") as a worksheet: the question first as a noun phrase, the facts as a numbered list, a class name for
    the peaches. Round 7 scored it 0.51 (its list markers counted as quantities, the class name a new word)."""
    text = ("Find the number of pieces of fruit she collects.\nGiven:\n1) Wen collects peaches for 5 hours.\n"
            "2) She can collect 3 pieces of fruit a minute.")
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row("a", text)])
    assert rows[0]["status"] == "rejected" and rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#190 template score=")


def test_a_group_told_as_it_is_a_person():
    """A rewrite that makes a club, a team or a lab the actor ("it", "its") tells the same problem as the person it
    replaced (round 9; round 8 scored both rewrites below about 2)."""
    assert template("The club has 5 pens. It gives 2 to the museum.") == template("Ann has 5 pens. She gives 2 to Bo.")
    texts = ["The chess club has 7 boxes with 40 coins in each box. Then it gets 25 coins from its friend. "
             "How many coins does it have now?",  # GSM8K test #262 (Maddison's boxes of marbles)
             "The lab gets 6 kite washes a month. If each kite wash costs 20 credits how much does it pay in a year?"]  # #134
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#262", "contaminated: gsm8k_test#134"]


@pytest.mark.timeout(60)  # a hang guard, not a speed figure: round 8's cloze pattern backtracked cubically here
def test_a_blank_after_a_long_run_of_spaces_or_newlines_does_not_hang_the_masker():
    for text in ("__" + " " * 5000 + "x", "__" + "\n" * 5000 + "x", "_" * 20000 + "x", "a ____ b " * 5000):
        template(text)
    assert template("__" + " " * 5000 + "The total is ____.") == ["total", "|?"]


def test_layout_rules_keep_what_they_do_not_mean():
    """The review's cases (round 9): each round-8 rule fires only where its layout is."""
    # "a number of" is no question; "the number of" is
    assert template("A number of people came.")[:2] == ["number", "of"]
    # a blank inside a sentence is no question mark, nor is an identifier's underscores
    assert template("He has ____ apples left.") == ["@p", "have", "~fruit", "left", "|"]
    assert "|?" not in template("def __init__(self): pass")
    # a price or a measure below one is an amount, whichever side its currency or unit is on
    assert {tuple(template(f"The pen costs {p}.")) for p in ("$0.75", "$ .75", "0.75 dollars", "USD 0.75", "0.75 euros")} \
        == {("~writing", "cost", "#", "|")}
    assert template("Ann uses 0.5 kg of flour.") != template("Ann uses half of the flour.")
    # a line that is not a list item keeps its number; windows line ends are lines
    assert quantities(template("There were\n12. Then she sold 5.")) == (2, 2)
    assert quantities(template("Given:\r\n1. Ann has 5.\r\n2. She eats 2.")) == (2, 2)
    # "who" that asks keeps its word; "the lab" acts as a person does
    assert "who" in template("Ann has 4 and Bo has 6, who has more?")
    assert template("The lab has 5 pens.") == template("Ann has 5 pens.")


def test_a_title_stands_for_its_person_after_the_only_where_the_text_titles_a_name():
    """Round 10: "Lady Brynn ... the lady", "Warden Tane ... the warden" is one person, as "the baker" is; the text's
    own "Title Name" is the evidence, so no list of titles is needed and a title the text never gives a name keeps
    its word."""
    assert template("Lady Brynn has 3 pens. The lady gives 2 to Warden Tane. How many pens does the warden have?") \
        == template("Ann has 3 pens. Ann gives 2 to Bo. How many pens does Bo have?")
    assert "lord" in template("Ann has 3 pens. She gives 2 to the lord.")
    assert "lord" in template("Lady Brynn has 3 pens. She gives 2 to the lord.")  # "Lord" titles no name here


def test_a_rate_out_of_every_hundred_is_a_part_and_holding_is_having():
    """Round 10: "41 out of every 100" ("400 out of each single 1,000") is a part of a whole, as "41%" is; "holds"
    / "held" is "has"."""
    pct = template("Ann has 41% more pens than Bo.")
    assert template("Ann has 41 out of every 100 more pens than Bo.") == pct
    assert template("Ann holds 400 out of each single 1,000 more pens than Bo.") == pct
    assert template("Ann held 3 pens.") == template("Ann had 3 pens.")
    assert quantities(template("Ann scored 17 out of 20.")) == (2, 2)  # a score, not a rate: both numbers stay


def test_a_short_problem_inside_a_longer_item_is_not_its_copy():
    """A one-step problem whose whole template sits inside a longer test item, short of the item's quantities, is
    another problem (round 10: the calibration no longer fits rewrites that lost a quantity as copies; round 9b
    flagged both of these, at 5.9 and 3.05, against #736 and #888), while a rewrite of #736 that keeps its
    quantities is still caught."""
    texts = ["Sara has 7 fewer apples than Leo. Leo has 12 apples. How many apples does Sara have?",
             "Tom packed 36 muffins equally into 6 bags. How many muffins were in each bag?",
             "Ivo has 80 pears. Lia has 17 fewer pears than Ivo. If Ivo gives Lia 6 pears, how many fewer pears does "
             "Lia have than Ivo now?"]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["status"] for r in rows] == ["accepted", "accepted", "rejected"]
    assert rows[2]["reject_reason"].startswith("contaminated: gsm8k_test#736 template score=")


def test_a_rewrite_into_the_past_tense_keeps_its_template():
    """Round 11: a rewrite told in the past ("was", "were", "did", "ate") is the problem told in the present; round 10
    scored these past-tense rewrites of #949 and #269 at -1.3 and -3.2."""
    assert template("Jana had 27 puppies. Two were sick. How many did she have?") == \
        template("Jana has 27 puppies. Two are sick. How many does she have?")
    assert template("Ann ate 3 pears.") == template("Ann eats 3 pears.")
    texts = ["Back then, Omar was half of Ravi's age and five years younger than Dina. Dina was 30. What age was Ravi?",
             "Last spring a juggler could juggle 24 balls. Half of the balls were tennis balls, and half of the tennis "
             "balls were green. How many green tennis balls were there?"]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#949", "contaminated: gsm8k_test#269"]


def test_instruction_corpus_layout_reads_as_the_problem_it_wraps():
    """Round 12: a problem as it sits in an instruction corpus (chat-template markup, a JSON string with escaped line
    breaks, a note's "# of ...?" / "Number of ... = ?" question, "&", "w/", "b/c") is read as the problem."""
    assert template("<|im_start|>user\nAnn has 5 pens.<|im_end|>") == ["user", "|"] + template("Ann has 5 pens.")
    assert template("[INST] <<SYS>>\nBe brief.\n<</SYS>>\nAnn has 5 pens. [/INST]")[-5:] == template("Ann has 5 pens.")
    assert template('{"prompt": "Ann has 5 pens.\\nHow many pens does she have?"}')[2:] == \
        template("Ann has 5 pens.\nHow many pens does she have?")
    asked = ["how", "many", "~writing", "@", "have", "|?"]
    assert template("# of pens Ann has?") == template("Number of pens Ann has = ?") == asked
    assert template("He ranked #1.\n### Task")[:3] == ["@p", "ranked", "#"]  # a rank and a heading ask nothing
    assert template("Ann & Bo have 5 pens w/ caps b/c they write.") == \
        template("Ann and Bo have 5 pens with caps because they write.")
    assert template("A number of people came.")[:2] == ["number", "of"]  # inside a sentence it asks nothing
    # GSM8K test #454 (Marin and Nancy's apples) as a JSON line of a prompt/completion corpus; round 11 scored it -0.2
    text = '{"prompt": "Ravi and his neighbor Lina each eat 6 pears a day.\\nNumber of pears they eat in 20 days = ?", "completion": ""}'
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row("a", text)])
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#454 template score=")


def test_scraped_text_and_a_question_put_to_the_reader_read_as_the_problem():
    """Round 13: HTML entities are their characters, a word broken at a line end is one word, a question put to the
    reader ("Can you work out how many ...", "Let's see if you can find out what ...") is the question, and "do" /
    "does" / "did" carry no fact, so an un-inverted question keeps the template."""
    assert template("Ann&#39;s 2 lolli-\npops cost&nbsp;$5.") == template("Ann's 2 lollipops cost $5.")
    asked = template("How many pens does Ann have?")
    assert template("Can you work out how many pens Ann has?") == asked
    assert template("Let&#39;s see if you can find out how many pens Ann has!")[:-1] == asked[:-1]
    assert template("Now, can you help us discover how many pens Ann has?")[-6:] == asked
    assert template("You can buy 3 pens.")[:2] == ["@p", "can"]  # no question follows: the words stay
    # GSM8K test #55 (Jean's lollipops) as scraped: entities, a broken word, the question put to the reader
    text = ("Ex. 21) Jean has 40 lollipops.Jean eats 4 of the lollipops. With the remaining lollipops, Jean wants to "
            "package 3 lolli-\npops in one bag. Let&#39;s see if&nbsp;you can find out how many bags Jean can fill!")
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row("a", text)])
    assert rows[0]["reject_reason"].startswith("contaminated: gsm8k_test#55 template score=")


def test_an_algebraic_or_translated_restatement_reads_as_the_problem():
    """Round 14 (style 13 read): letters bound to values ("k kids ..., with k = 4", "$p ... with p = 2.50") are the
    values, the words that name the unknown ("let x be", "find the value of x, where x =", MetaMath's "If we know the
    answer to the above question is 18, what is the value of unknown variable x?") are wording and a letter left for a
    value is a quantity; quantities said another way ("older by 5 years than", "a number of apples exceeding Jamal's
    by 8", "four-fold", "a pair of", "at a unit price of $4", "per piece"), a translated possessive or age ("the
    locker of Zack", "has 10 years") and a hedged or reported telling ("Imagine that", "In the hypothetical case
    that", "The records show that") are the plain problem."""
    same = [("Emily has k kids, with k = 4. Amy buys n pens at $p each (where p = 2.50 and n = 3).",
             "Emily has 4 kids. Amy buys 3 pens at $2.50 each."),
            ("Let x be the number of apples Janet has. Find x.", "The number of apples Janet has."),
            ("Find the value of x, where x = how much she spent.", "How much she spent."),
            ("Amy is older by 5 years than Jo and younger by two years than Cy.", "Amy is 5 years older than Jo and two years younger than Cy."),
            ("Ann has a number of apples exceeding Jamal's by 8.", "Ann has 8 more apples than Jamal."),
            ("Sam has a number of paintings. These fall short of Kim's by 12.", "Sam has 12 fewer paintings than Kim."),
            ("Carl has four-fold as many pens, 3-fold as many cups.", "Carl has four times as many pens, 3 times as many cups."),
            ("Rory orders a pair of subs at a unit price of $7.50 and buns at $2 per piece.", "Rory orders 2 subs for $7.50 each and buns at $2 each."),
            ("The locker of Zack is half as big as the locker of Tim.", "Zack's locker is half as big as Tim's locker."),
            ("Chenny has 10 years. Shiloh is 44 years of age.", "Chenny is 10 years old. Shiloh is 44 years old."),
            ("Imagine that Ryan plants 2 roses. In this imagined case, how many roses are there?", "Ryan plants 2 roses. How many roses are there?"),
            ("In the hypothetical case that Naomi caught 17 fish, what quantity of fish did Tom catch?", "If Naomi caught 17 fish, how many fish did Tom catch?"),
            ("The records show that Pete bought 4 bars. They say also that he ate 2.", "Pete bought 4 bars. He ate 2.")]
    for disguised, plain in same:
        assert template(disguised) == template(plain), disguised
    assert quantities(template("She eats x eggs. If we know the answer to the above question is 18, what is the value of unknown variable x?")) == (1, 1)
    assert template("He got boards of 2 x 4 inches and an x-ray.")[2:] == ["boards", "of", "#", "x", "#", "and", "x", "ray", "|"]
    assert template("He ate the rest of them.")[-3:] == ["of", "@p", "|"]  # no name after "of": no possessive
    # GSM8K test #312 and #566 restated; round 13 scored rewrites like these at -6.9 and -2.1
    texts = ["Imagine that Brent is older by y years than Jana, and Jana is younger by n years than Quinn, with y = 5 "
             "and n = 3. In the hypothetical case that Quinn has 30 years, let x stand for the answer: how old is Brent? Find x.",
             "The records show that Shiloh is y years of age today, with y = 44. In 7 years, he will be 3-fold as old as "
             "his nephew. Under these assumptions, find the value of x, where x = the age of his nephew today."]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#312", "contaminated: gsm8k_test#566"]


def test_a_lower_cased_post_and_a_program_docstring_read_as_the_problem():
    """Round 15 (style 14 read): in a text written or stored in lower case (a forum post, a lower-cased corpus) a word
    the benchmark never writes in lower case is a name, and "zacks" beside "zack" is his possessive; a problem told in a
    program's docstring (PAL, program-of-thought) is read without the code around it; "⅓" is "1/3" and "Rs." money."""
    from curation.dedup.template_mask import lowercased, recase

    known = {"locker", "is", "half", "as", "big", "slept", "hours", "his", "friend", "the", "street", "where", "lives"}
    assert lowercased("pls help: zacks locker is half as big as timothys locker. zack lives here.")
    assert not lowercased("Zack's locker is half as big.") and not lowercased("42")
    assert recase("zacks locker is half as big as timothys locker. zack lives here", known) == \
        "Zack's locker is half as big as Timothys locker. Zack lives here"
    assert recase("harry slept 9 hours", known) == "Harry slept 9 hours"
    program = '```python\ndef solution():\n    """Ann has 5 pens and buys 1/3 as many."""\n    pens = 5\n    return pens\n```'
    assert template(program) == template("Ann has 5 pens and buys 1/3 as many.")
    assert template("Ann gives ⅓ to Bo for Rs. 5.20.") == template("Ann gives 1/3 to Bo for $5.20.")
    assert template("Return the 3 books.")[:2] == ["@", "#"]  # prose that starts like code stays
    # GSM8K test #96 and #1162: a lower-cased forum post and a PAL-style docstring; round 14 scored such rows at -0.5
    # and 1.9
    texts = ["ok so this is from my hw and im lost. bram slept 12 hours last nite. his pal odo slept only 2/3 of "
             "what bram slept. how many more hours did bram sleep than odo?? thx",
             'def solution():\n    """Omar is 7 less than half the age of Lina. If Lina is 40, how old is '
             'Omar?"""\n    lina_age = 40\n    omar_age = lina_age / 2 - 7\n    return omar_age']
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#96", "contaminated: gsm8k_test#1162"]


def test_a_row_that_holds_several_problems_or_a_solution_is_scored_part_by_part():
    """Round 16 (style 15 read): a corpus row may be a worksheet, an exam section or a few-shot prompt holding the copy
    among other problems, or a problem with its worked solution; each problem part is scored on its own, and the row
    without its solution parts (a solution is a problem's facts told again with arithmetic: scored with their
    problems, GSM8K train's solutions added 4 false flags in 7,473 rows)."""
    from curation.dedup.template_mask import parts

    assert parts("Tom has 3 apples. How many?") == ["Tom has 3 apples. How many?"]
    qa = "Question: Tom has 3 apples and buys 4 more today. How many now? Answer: He has 3 + 4 = 7 apples in all."
    assert parts(qa) == ["Question: Tom has 3 apples and buys 4 more today. How many now?"]
    sheet = ("Worksheet 3\n\n1. Ann has 5 red pens and 2 blue pens in her bag.\n2. Bo reads 20 pages of a book every day.\n"
             "Answer: 7")
    assert parts(sheet) == ["Worksheet 3\n\n1. Ann has 5 red pens and 2 blue pens in her bag.\n\n2. Bo reads 20 pages of a book every day.",
                            "1. Ann has 5 red pens and 2 blue pens in her bag.", "2. Bo reads 20 pages of a book every day."]
    others = ["A baker fills 14 trays with 12 rolls each and sells 150 rolls by noon. How many rolls are left?",
              "A train travels 180 miles in 3 hours, then 100 miles in 2 hours. What is its average speed for the trip?",
              "Mina saves $15 a week for 8 weeks and then spends a third of her savings on a coat. How much is left?"]
    # GSM8K test #91 rewritten, third of four problems on an exam page
    exam = ("SECTION B (16 marks)\n\nQuestion 1 [4 marks]\n" + others[0] + "\n\nQuestion 2 [4 marks]\n" + others[1]
            + "\n\nQuestion 3 [4 marks]\nSasha has four times the number of pets as Robin. Robin has three more pets than "
            "Reese. If Reese has ten pets, how many pets do the three have in all?\n\nQuestion 4 [4 marks]\n" + others[2])
    # style 15's seed-0 copy of #3 with its worked solution (round 15: 1.97, under its threshold of 3.0)
    solved = ("Question: Teodor resolves to jog 3 sprints 3 times a week. He jogs 60 meters every sprint. How many entire meters does he run a week?\n"
              "Answer: The problem says Teodor resolves to jog 3 sprints 3 times a week.\n"
              "This gives 3 x 3 = 9.\n"
              "So there are 9 + 60 = 69 meters.\n"
              "We need to find how many entire meters he runs a week.\n"
              "So, the final answer is 69.\n"
              "#### 69")
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row("e", exam), row("s", solved)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#91", "contaminated: gsm8k_test#3"]


def test_a_text_in_capitals_is_read_lower_cased_with_its_names_found_again():
    """Round 17 (style 16 read: 305 of its 307 misses were in capitals): in an all-capitals text every word looked like a
    name; it is read lower-cased, its names recased against the benchmark's words, and a telegram's STOP / QUERY are
    its full stops and question marks."""
    from curation.dedup.template_mask import decapitalise, uppercased

    assert uppercased("SHE EATS THREE EGGS STOP HOW MANY QUERY") and not uppercased("NASA has 3 rockets.")
    assert decapitalise("SHE EATS 3 EGGS STOP HOW MANY QUERY STOP") == "she eats 3 eggs. how many?."
    # GSM8K test #0 and #65 as telegrams with other values; round 16 scored these at -10.4 (against #1125) and -10.1
    texts = ["GIVEN THAT MARIAS HENS LAY 20 EGGS A DAY AND SHE EATS FIVE AT BREAKFAST EACH MORNING AND USES SIX DAILY TO "
             "BAKE MUFFINS FOR HER PALS STOP SHE SELLS THE REST AT THE MARKET EACH DAY FOR $3 PER EGG STOP "
             "HOW MUCH IN DOLLARS DOES SHE MAKE EACH DAY AT THE MARKET QUERY STOP REPLY PAID",
             "IF TOM SPENDS 3 HOURS IN FRONT OF THE TV AND THEN GOES TO BED AND READS FOR HALF AS LONG AND HE DOES THAT 4 "
             "TIMES EACH WEEK HOW MANY HOURS DOES HE SPEND ON TV AND READING IN 5 WEEKS QUERY STOP ANSWER BY WIRE"]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#0", "contaminated: gsm8k_test#65"]


def test_chat_speak_a_transcript_and_a_repeated_fact_read_as_the_problem():
    """Round 18 (style 17 read): chat spellings ("u r", "da", "n", "abt", "wks") are the words they stand for, and a
    lone letter is a value only where the text is algebra ("2 teach n $30": "n" is "and"); a speaker "A:" is no answer
    unless a "Q:" asks; a sentence told again word for word ("Once more: ...") is one fact."""
    from curation.dedup.template_mask import parts

    assert template("u r paid $20 n da rest abt 3 wks") == template("you are paid $20 and the rest about 3 weeks")
    assert quantities(template("she gets $20 n $30")) == (2, 2)
    memo = "[memo]\nA: Okay so Bob has 5 fewer games than Al.\nB: Wait, what?"
    assert parts(memo)[0] == memo
    assert parts("Q: Tom has 3 pens. How many?\nA: He has 3.") == ["Q: Tom has 3 pens. How many?"]
    told = "Jill gets paid $20 per hour to teach and $30 to coach. Once more: Jill gets paid $20 per hour to teach and $30 to coach."
    assert quantities(template(told)) == quantities(template("Jill gets paid $20 per hour to teach and $30 to coach."))
    # style 17's seed-1 copy of #61 (a chat post) and #135 as a voice memo; round 17 scored them 1.1 and had no candidate
    texts = ["pls help me w/ this one\nwat we want: how much did she pay?\nwat we know: janet buys a brooch 4 her daughter."
             "\nafter that, she pays 10% of that 2 get it insured.\nshe pays $500 4 da material 2 make it n then another $800 "
             "4 da jeweler 2 construct it.\ndont forget: she pays $500 4 da material 2 make it n then another $800 4 da "
             "jeweler 2 construct it\nty!!",
             "[voice memo transcription]\nA: Okay so puzzle time!\nA: Okay so Ravi's pal Omar has six -- uh, no, four fewer "
             "than two times as many comics as Ravi does.\nA: Right, so tell me: if Ravi has thirty comics but I mean, lost "
             "six right before the count was made, how many does Omar have?\nB: Wait, can you repeat the question?"]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == ["contaminated: gsm8k_test#61", "contaminated: gsm8k_test#135"]


def test_shorthand_records_and_answer_checks_read_as_the_problem():
    """Round 19 (style 18 read): a multiplication sign glued to a number ("3× as many", "2x her age") is "times";
    abbreviated days ("On Mon. she ...") are the days, not a name and a sentence end; "would she have spent" is a
    telling's mood; an answer put up for checking ("Claimed answer: 4", "the answer is 31", "Show that the answer is 8")
    and a bare sum asked beside the problem ("what is 6 × 9?") state no fact of it; a record's keys and ids ("fact1 =",
    "wp-6158", "No. 26", "(ii)") are layout."""
    assert template("Tom has 2× as many pens as Al. Jo has 3x as many as Tom.") == template(
        "Tom has 2 times as many pens as Al. Jo has 3 times as many as Tom.")
    assert template("On Mon. he ran 3 mi. On Tue. and Thu. he ran 5 mi.") == template(
        "On Monday he ran 3 miles. On Tuesday and Thursday he ran 5 miles.")
    assert template("He sat. Then Sat. came.") != template("He Saturday. Then Saturday came.")  # only a day before a word
    assert quantities(template("Ann has 9 pens. How many? True or false: the answer is 31. Claimed answer: 4. "
                               "Unrelated warm-up: what is 6 × 9?")) == (1, 1)
    assert template("fact1 = \"Ann has 9 pens.\"\nwp-6158 No. 26\n  (ii) Bo has 3.") == template("Ann has 9 pens.\nBo has 3.")
    # style 18's seed-1 copies of #1224, #1186 and #828; round 18 left each below its threshold
    texts = ["It rained 2 in on Mon. & is expected to rain 1 more inch than 2\u00d7 of Mon.\u2019s total on Tue. Given all that, "
             "how many inches of rain would there be on Tue.? Claimed answer: 4. Decide whether the claim is correct, and "
             "give the correct answer.",
             "(a) Sam ran 3 mi on Mon., Wed. and Fri. On Tue. and Thu., Sam ran 5 mi. If everything above holds, how many "
             "miles would Sam have run this week?\n(b) Unrelated warm-up: what is 6 \u00d7 9?",
             "[item_0690]\nfact1 = \"Mulan has $40.\"\nfact2 = \"Her father handed her $100.\"\nfact3 = \"She purchases 2 pairs "
             "of jeans @ $30 each & a sack for $20.\"\nquestion = \"How much funds does Mulan have left?\""]
    rows = Decontaminate(DecontamConfig(benchmarks=["gsm8k_test"], on="prompt"))([row(str(i), t) for i, t in enumerate(texts)])
    assert [r["reject_reason"].split(" template")[0] for r in rows] == [
        "contaminated: gsm8k_test#1224", "contaminated: gsm8k_test#1186", "contaminated: gsm8k_test#828"]


def test_a_number_said_twice_and_a_dataset_header_read_as_the_problem():
    """Round 20 (style 20 read): a number said in words and again in digits ("eighty-five (85)") is one quantity; a
    dataset record's grade, level or difficulty ("Grade: 6", "grade_level: 5") is no fact of the problem."""
    plain = "Together, Sofie, Anne, and Fawn have 85 books. If Sofie has 25 more books than Anne, how many books?"
    assert template("Grade: 6 | Difficulty: hard\nTogether, Sofie, Anne, and Fawn have eighty-five (85) books. If Sofie "
                    "has twenty-five (25) more books than Anne, how many books?") == template(plain)
    assert quantities(template("---\ngrade_level: 5\nlevel: 3\n---\nAnn has 9 pens.")) == (1, 1)
