"""The closed loop (factory/loop.py, factory/loop_select.py): split discipline, the choices, the control's budget
and resume. The choices run on real MiniLM embeddings; the resume test scripts the round itself (FakeRound below:
no model, no Ray) because a real round trains a student, which the bench (bench/bench_loop.py) does."""

from __future__ import annotations

import json

import pytest

from factory import loop as loop_mod
from factory.loop import Splits, run_loop
from factory.loop_select import (assert_clean, carve_dev, category_quota, choose_by_category, choose_nearest,
                                 choose_random, clean_pool)
from factory.recipe import LoopConfig, load_recipe
from ground.errors import FactoryError
from tests.conftest import ROOT

RECIPE = ROOT / "recipes" / "loop.yaml"


def items(prefix: str, texts: list[str], cat: str | None = None) -> list[dict]:
    return [{"id": f"{prefix}{i}", "text": t, "category": cat} for i, t in enumerate(texts)]


def test_dev_is_carved_from_the_pool_stratified_and_deterministic():
    pool = items("a", [f"What is {i} + 1?" for i in range(40)], "add") + items("m", [f"What is {i} * 3?" for i in range(10)], "mul")
    dev, rest = carve_dev(pool, 8, seed=3)
    assert [d["category"] for d in dev].count("mul") == 4 and len(dev) == 8     # a skewed pool still gives each category half
    assert carve_dev(pool, 8, seed=3)[0] == dev and carve_dev(pool, 8, seed=4)[0] != dev
    assert {d["id"] for d in dev}.isdisjoint(r["id"] for r in rest) and len(rest) == 42
    with pytest.raises(FactoryError, match="loop.dev_size: 50 leaves no training prompts"):
        carve_dev(pool, 50, seed=0)


def test_a_test_item_planted_in_the_pool_can_never_be_chosen():
    test = items("t", ["What is 17 + 25?", "What is 90 - 45?"])
    pool = items("p", [f"What is {i} + 25?" for i in range(30, 60)]) + [{"id": "planted", "text": "what is 17 +25 ?", "category": None}]
    dev, rest = carve_dev(pool, 4, seed=0)
    cands, dropped = clean_pool(rest, test + dev)
    assert dropped == {"planted": "contaminated: protected_split#t0 exact copy 'what is 17 + 25'"}
    assert "planted" not in {c["id"] for c in cands}
    # the decontamination matcher: whole words only ("what is 17 + 2" is not a copy of "what is 17 + 25"), and a 4-word
    # item is contained in a row only from min_item_tokens 4 (recipes/loop.yaml); by default (8) the near-copy check
    # still drops a row that computes the same thing (was: kept)
    wrapped = items("q", ["What is 17 + 2?", "Quick: what is 17 + 25? Explain."])
    assert clean_pool(wrapped, test)[1] == {"q1": "contaminated: protected_split#t0 near copy same arithmetic 'quick what is 17 + 25 explain'"}
    assert clean_pool(wrapped, test, {"min_item_tokens": 4}, "test")[1] == {"q1": "contaminated: test_split#t0 5-gram 'what is 17 + 25'"}
    # the planted item is the nearest neighbour of a failed dev item that asks the same sum: still never chosen
    from curation.embedder import Embedder

    e = Embedder()
    failed = e.encode(["What is 17 + 25?"])
    assert "planted" not in {c["id"] for c in choose_nearest(cands, e.encode([c["text"] for c in cands]), failed, 30, set())}
    assert "planted" not in {c["id"] for c in choose_random(cands, 30, set(), 0)}
    with pytest.raises(FactoryError, match="chosen prompt planted matches test item t0"):
        assert_clean([pool[-1]], test, dev)
    with pytest.raises(FactoryError, match=f"matches dev item {dev[0]['id']}"):
        assert_clean([dict(dev[0], id="copy")], test, dev)
    assert_clean(cands, test, dev) is None


def test_splits_of_the_shipped_recipe_keep_dev_and_test_apart():
    recipe = load_recipe(str(RECIPE))
    s = Splits(recipe, recipe.loop)
    test_keys = {" ".join(t["text"].lower().split()) for t in s.test}
    assert len(s.dev) == recipe.loop.dev_size and not test_keys & {" ".join(d["text"].lower().split()) for d in s.dev}
    assert {d["id"] for d in s.dev}.isdisjoint(c["id"] for c in s.cands)
    assert len({d["category"] for d in s.dev}) == 4


def test_nearest_picks_the_neighbours_of_failed_dev_items():
    from curation.embedder import Embedder

    pool = (items("cat", ["How long do cats sleep each day?", "Why do cats purr?", "What do kittens eat?"])
            + items("car", ["How do I change a car tyre?", "What oil does a diesel engine need?", "How do car brakes work?"])
            + items("sea", ["Why is the sea salty?", "How deep is the Pacific ocean?", "What causes ocean tides?"]))
    e = Embedder()
    emb = e.encode([p["text"] for p in pool])
    failed = e.encode(["Do cats like to sleep in the sun?", "Why are oceans salty and deep?"])
    got = [c["id"] for c in choose_nearest(pool, emb, failed, 4, used=set())]
    # two neighbours of each failure, none about cars; round-robin: the first two are each failure's nearest
    assert got[:2] == ["cat0", "sea0"] and sorted(g[:3] for g in got) == ["cat", "cat", "sea", "sea"], got
    again = [c["id"] for c in choose_nearest(pool, emb, failed, 2, used={"cat0", "sea0"})]   # used prompts are skipped
    assert again == got[2:], again


def test_category_weighting_follows_dev_failures():
    assert category_quota({"mul": 6, "sub": 2}, {"add": 50, "mul": 50, "sub": 50}, 20) == {"add": 0, "mul": 15, "sub": 5}
    # a category that runs out hands its share to the others
    assert category_quota({"mul": 6, "sub": 2}, {"add": 50, "mul": 3, "sub": 50}, 20) == {"add": 0, "mul": 3, "sub": 17}
    assert category_quota({}, {"a": 5, "b": 5}, 4) == {"a": 2, "b": 2}           # no failures: even
    pool = items("a", [f"What is {i} + 1?" for i in range(30)], "add") + items("m", [f"What is {i} * 3?" for i in range(30)], "mul")
    got = choose_by_category(pool, {"mul": 3, "add": 1}, 8, used={"m0", "m1"}, seed=0)
    assert [c["category"] for c in got].count("mul") == 6 and len(got) == 8 and not {"m0", "m1"} & {c["id"] for c in got}


class FakeRound:
    """Scripts run_round (no teacher, no training): records each (arm, round) it is asked for, fails the first
    dev items of a category chosen per arm, and reports accuracy from the share of mul10 prompts."""

    def __init__(self):
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, recipe_file, recipe, cfg, splits, where, arm, rnd, chosen, new):
        assert_clean(chosen, splits.test, splits.dev)
        self.calls.append((arm, rnd, len(new)))
        failed = [d["id"] for d in splits.dev if d["category"] == "mul10"]
        return {"arm": arm, "round": rnd, "run_id": f"fake-{arm}-{rnd}", "prompts": len(chosen),
                "new_prompts": [c["id"] for c in new], "rows": len(chosen), "teacher_calls": len(new), "cost": 0.0,
                "test_accuracy": sum(c["category"] == "mul10" for c in chosen) / len(chosen), "dev_accuracy": 0.5,
                "dev_failed": failed, "dev_fail_by_category": {"mul10": len(failed)}, "seconds": 0.0}


def test_control_draws_the_same_count_and_a_loop_resumes(tmp_path, monkeypatch):
    fake = FakeRound()
    monkeypatch.setattr(loop_mod, "run_round", fake)
    over = {"strategy": "weight_categories", "rounds": 3, "per_round": 12}
    state = run_loop(str(RECIPE), str(tmp_path), over, say=lambda *_: None)
    assert fake.calls == [("loop", 1, 12), ("loop", 2, 12), ("control", 2, 12), ("loop", 3, 12), ("control", 3, 12)]
    rounds = {(r["arm"], r["round"]): r for r in state["rounds"]}
    assert rounds[("control", 1)]["new_prompts"] == rounds[("loop", 1)]["new_prompts"]        # round 1 is shared
    assert all(len(rounds[("control", r)]["new_prompts"]) == len(rounds[("loop", r)]["new_prompts"]) for r in (2, 3))
    new = {a: [i for r in (1, 2, 3) for i in rounds[(a, r)]["new_prompts"]] for a in ("loop", "control")}
    assert all(len(set(v)) == 36 for v in new.values())                                        # never the same prompt twice
    assert all(i.startswith("pool-mul10") for r in (2, 3) for i in rounds[("loop", r)]["new_prompts"])  # failures were mul10
    loop_json = next(tmp_path.glob("loop/loop-*/loop.json"))
    assert json.loads(loop_json.read_text())["claim"]["round"] == 3
    assert "loop-table" in (loop_json.parent / "report.html").read_text()
    # resume: nothing is redone; a lost record re-runs that round only, with the same choice
    fake.calls.clear()
    run_loop(str(RECIPE), str(tmp_path), over, say=lambda *_: None)
    assert fake.calls == []
    saved = json.loads(loop_json.read_text())
    saved["rounds"] = [r for r in saved["rounds"] if (r["arm"], r["round"]) != ("control", 3)]
    loop_json.write_text(json.dumps(saved))
    again = run_loop(str(RECIPE), str(tmp_path), over, say=lambda *_: None)
    assert fake.calls == [("control", 3, 12)]
    assert {(r["arm"], r["round"]): r for r in again["rounds"]}[("control", 3)]["new_prompts"] == rounds[("control", 3)]["new_prompts"]


def test_loop_config_rejects_unknown_strategy_and_documents_from():
    with pytest.raises(Exception, match="nearest"):
        LoopConfig(strategy="bogus")
    assert LoopConfig.model_validate({"from": "base"}).init_from == "base"
    with pytest.raises(Exception):
        LoopConfig.model_validate({"from": "previous"})


def test_factory_loop_bad_recipe_is_one_line_exit_2_and_writes_nothing(tmp_path):
    import yaml

    from tests.conftest import run_cli

    doc = yaml.safe_load(RECIPE.read_text())
    for src in (doc["source"], doc["eval"]["source"]):
        src["path"] = str((ROOT / "recipes" / src["path"]).resolve())
    del doc["source"]["fields"]["id"]
    for k in ("template", "system"):
        doc["prompt"][k] = str((ROOT / "recipes" / doc["prompt"][k]).resolve())
    doc["dedup"]["decontam"]["benchmarks"][0]["path"] = str((ROOT / "data/arith_mix/test.jsonl").resolve())
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc))
    p = run_cli("loop", str(tmp_path / "r.yaml"), "--output-dir", str(tmp_path / "out"), timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines()[-1] == ("error: source.fields.id: the loop needs a stable id field to record "
                                                 "what each round chose")
    assert not (tmp_path / "out").exists()


def test_command_line_overrides_are_validated_like_the_recipe(tmp_path):
    # `factory loop --rounds 0` ran no round and wrote status "succeeded" with rounds: 0 in loop.json
    with pytest.raises(FactoryError, match=r"^loop\.rounds: Input should be greater than or equal to 1"):
        run_loop(str(RECIPE), str(tmp_path), {"rounds": 0}, say=lambda *_: None)
    assert not list(tmp_path.glob("loop/loop-*/loop.json"))


def test_adding_a_round_after_dev_eval_choosing_scores_dev_first(tmp_path, monkeypatch):
    """dev_eval: choosing skips dev after the loop's last round; `--rounds 3` later must still choose round 3 from
    round 2's dev failures (it drew at random, like the control: the loop arm silently became a second control)."""
    from types import SimpleNamespace

    import factory.pipeline

    def fake_run(recipe_file, run_id, output_dir, recipe):
        return SimpleNamespace(run_dir=str(tmp_path / run_id), summary={"accepted": 1}, eval={})

    scored = []

    def fake_dev(rr, adapter, dev_file):
        scored.append(rr.source.path)
        splits = Splits(load_recipe(str(RECIPE)), LoopConfig(dev_size=32, seed=0))
        failed = sorted(d["id"] for d in splits.dev if d["category"] == "mul10")
        return {"dev_accuracy": 0.5, "dev_n": 32, "dev_failed": failed, "dev_fail_by_category": {"mul10": len(failed)}}

    monkeypatch.setattr(factory.pipeline, "run_recipe", fake_run)
    monkeypatch.setattr(loop_mod, "dev_scores", fake_dev)
    over = {"strategy": "weight_categories", "rounds": 2, "per_round": 12, "dev_eval": "choosing", "control": False}
    run_loop(str(RECIPE), str(tmp_path), over, say=lambda *_: None)
    assert [p.rsplit("/", 1)[-1] for p in scored] == ["round-1.jsonl"]           # round 2 is the last: not scored
    state = run_loop(str(RECIPE), str(tmp_path), {**over, "rounds": 3}, say=lambda *_: None)
    assert [p.rsplit("/", 1)[-1] for p in scored] == ["round-1.jsonl", "round-2.jsonl"]  # round 2 now, 3 is last
    r3 = {(r["arm"], r["round"]): r for r in state["rounds"]}[("loop", 3)]
    assert all(i.startswith("pool-mul10") for i in r3["new_prompts"])              # chosen by round 2's failures


def _recipe_on(tmp_path, pool: list[dict], test: list[dict], decontam: bool = True):
    """recipes/loop.yaml on the given pool and test split (its dedup.decontam section, or none)."""
    import yaml

    (tmp_path / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pool))
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test))
    doc = yaml.safe_load(RECIPE.read_text())
    doc["source"]["path"] = str(tmp_path / "pool.jsonl")
    doc["eval"]["source"]["path"] = str(tmp_path / "test.jsonl")
    for k in ("template", "system"):
        doc["prompt"][k] = str((ROOT / "recipes" / doc["prompt"][k]).resolve())
    doc["dedup"]["decontam"]["benchmarks"][0]["path"] = str(tmp_path / "test.jsonl")
    if not decontam:
        del doc["dedup"]["decontam"]
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc))
    return load_recipe(str(tmp_path / "r.yaml"))


def test_dev_is_never_a_test_copy_even_when_stratification_would_pick_it(tmp_path):
    """The dev split was carved from the raw pool and only the candidates were cleaned against test: a pool copy of a
    test item (other case/spacing/punctuation) landed in dev, where its verdict chose the next round's prompts
    (its neighbours, its category's weight): the test split chose through dev. Dev now comes from the clean pool."""

    pool = [{"id": f"p{i}", "question": f"What is {i} + 100?", "answer": str(i + 100), "category": "add"} for i in range(20)]
    pool.append({"id": "copy", "question": "what   is 17 * 25 ?!", "answer": "425", "category": "mul"})  # the only 'mul'
    pool += [{"id": f"m{i}", "question": f"Please compute {i} * 3 for me.", "answer": str(3 * i), "category": "mul"} for i in range(3)]
    test = [{"id": "t0", "question": "What is 17 * 25?", "answer": "425", "category": "mul"},
            {"id": "t1", "question": "What is 1 + 2?", "answer": "3", "category": "add"}]
    recipe = _recipe_on(tmp_path, pool, test)
    for seed in range(6):
        s = Splits(recipe, LoopConfig(dev_size=4, seed=seed))
        assert "copy" not in {d["id"] for d in s.dev}, (seed, [d["id"] for d in s.dev])
        assert s.dropped["copy"] == "contaminated: test_split#t0 5-gram 'what is 17 * 25'" and "copy" not in {c["id"] for c in s.cands}
        assert len(s.dev) == 4 and {d["category"] for d in s.dev} == {"add", "mul"}   # still stratified, from clean items
        assert_clean(s.cands, s.test, s.dev) is None


def test_a_round_without_test_accuracy_does_not_crash_the_loop(tmp_path, monkeypatch):
    """A round whose run stopped on the budget (or trained nothing) has test_accuracy None: claim() subtracted it
    (TypeError) while saving loop.json, which ended the loop with an internal error after the round had run. Such a
    round makes no claim; the claim falls back to the last round both arms scored, and the table shows '-'."""
    fake = FakeRound()

    def no_test_in_round_3(*a):
        rec = fake(*a)
        return {**rec, "test_accuracy": None} if rec["round"] == 3 and rec["arm"] == "loop" else rec

    monkeypatch.setattr(loop_mod, "run_round", no_test_in_round_3)
    out = []
    state = run_loop(str(RECIPE), str(tmp_path), {"strategy": "weight_categories", "rounds": 3, "per_round": 12}, say=out.append)
    assert state["status"] == "succeeded" and state["claim"]["round"] == 2
    assert state["claim"]["loop_minus_control"] == round(state["claim"]["loop"] - state["claim"]["control"], 6)
    assert any("round 2: loop" in line for line in out)
    assert loop_mod.claim({"rounds": [{"arm": "loop", "round": 2, "test_accuracy": 0.5},
                                      {"arm": "control", "round": 2, "test_accuracy": 0.25}]})["round1"] is None
    assert "round 1 -)" in loop_mod.format_table({"rounds": [], "claim": {"round": 2, "loop": 0.5, "control": 0.25,
                                                                             "loop_minus_control": 0.25, "round1": None}})


@pytest.mark.parametrize("decontam", [True, False])
def test_a_rewritten_test_item_in_the_pool_can_never_be_chosen(tmp_path, decontam):
    """The loop's own check matched only the same normalised text or one containing the other: a pool copy of a test
    item with a few words changed stayed a candidate (and could be carved into dev). The decontamination matcher (the
    recipe's dedup.decontam options, else its defaults) now runs with the test split as its benchmark; with or
    without that section in the recipe."""
    story = ("A baker made 48 muffins in the morning and sold 17 of them before noon, then she baked 12 more muffins "
             "in the afternoon for the evening market.")
    test = [{"id": "t0", "question": story + " How many muffins does the baker have now?", "answer": "43", "category": "add"},
            {"id": "t1", "question": "What is 1 + 2?", "answer": "3", "category": "add"}]
    pool = [{"id": f"p{i}", "question": f"What is {i} + 100?", "answer": str(i + 100), "category": "add"} for i in range(20)]
    pool.append({"id": "rew", "question": "Story: " + story + " How many muffins are left for the market now?", "answer": "43",
                 "category": "mul"})  # the only 'mul': stratification would carve it into dev
    pool += [{"id": f"m{i}", "question": f"Please compute {i} * 3 for me.", "answer": str(3 * i), "category": "mul"} for i in range(3)]
    recipe = _recipe_on(tmp_path, pool, test, decontam)
    s = Splits(recipe, LoopConfig(dev_size=4, seed=0))
    assert "rew" not in {d["id"] for d in s.dev} | {c["id"] for c in s.cands}
    assert s.dropped["rew"].startswith("contaminated: test_split#t0 13-gram 'a baker made 48 muffins"), s.dropped["rew"]
    assert len(s.cands) == 24 - 1 - 4 and not any(i.startswith(("p", "m")) for i in s.dropped)  # nothing else dropped


def test_a_rounds_cost_is_what_its_run_paid_not_the_price_of_the_answers_it_reused():
    """A round re-asks the earlier rounds' prompts, answered from the request cache: those rows keep their answers'
    price (the corpus cost), but the round paid only for its new prompts, and loop.json says that."""
    from types import SimpleNamespace

    reused = SimpleNamespace(summary={"cost": 0.9, "cache_cost": 0.9}, paid={"this_invocation": 0.0, "earlier_invocations": 0.0, "run_total": 0.0})
    assert loop_mod._paid(reused) == 0.0
    resumed = SimpleNamespace(summary={"cost": 1.2}, paid={"this_invocation": 0.1, "earlier_invocations": 0.2, "run_total": 0.3})
    assert loop_mod._paid(resumed) == 0.3
    assert loop_mod._paid(SimpleNamespace(summary={"cost": 0.5}, paid=None)) == 0.5  # a run without the record


@pytest.mark.parametrize("decontam", [True, False])
def test_a_test_item_with_a_word_or_two_changed_in_the_pool_can_never_be_chosen(tmp_path, decontam):
    """A test item of 19 words planted in the pool with one word inserted and its last words reworded keeps no 13-gram
    and is no exact copy: with recipes/loop.yaml's matcher (or the defaults) it stayed a candidate, so either arm could
    choose it and the student trained on the test split. Pool items holding half of a test item's word 3-grams are now
    dropped as near copies (before dev is carved), and assert_clean refuses them too."""
    item = "A farmer has 12 cows and buys 30 more cows at the market on Monday. How many cows now?"
    test = [{"id": "t0", "question": item, "answer": "42", "category": "add"},
            {"id": "t1", "question": "What is 17 * 25?", "answer": "425", "category": "mul"}]
    pool = [{"id": f"p{i}", "question": f"What is {i} + 100?", "answer": str(i + 100), "category": "add"} for i in range(12)]
    pool += [{"id": f"f{i}", "question": f"A farmer has {i} goats and sells {i + 3} sheep at the fair on Friday. How many animals?",
              "answer": "1", "category": "add"} for i in range(3)]                       # same story shape, other problem
    pool += [{"id": "rew", "question": "A farmer has 12 cows and then buys 30 more cows at the market on Monday. How many cows "
                                       "does he have?", "answer": "42", "category": "mul"},   # the only 'mul': dev would take it
             {"id": "cut", "question": "Farmer has 12 cows, buys 30 more cows at the market on Monday: how many cows in all?",
              "answer": "42", "category": "add"}]
    s = Splits(_recipe_on(tmp_path, pool, test, decontam), LoopConfig(dev_size=3, seed=0))
    # content-word 9-grams (the function words "and then", "a", "in all" left out) catch both before the near-copy share
    assert s.dropped == {"rew": "contaminated: test_split#t0 content 9-gram 'farmer has 12 cows and then buys 30 more cows at the market ...'",
                         "cut": "contaminated: test_split#t0 content 9-gram 'farmer has 12 cows buys 30 more cows at the market on monday ...'"}
    assert not {"rew", "cut"} & {c["id"] for c in s.dev + s.cands} and len(s.dev) + len(s.cands) == 15
    with pytest.raises(FactoryError, match="chosen prompt rew matches test item t0 "):
        assert_clean([{"id": "rew", "text": pool[-2]["question"]}], s.test, s.dev)


@pytest.mark.parametrize("decontam", [True, False])
def test_a_short_arithmetic_test_item_reworded_in_the_pool_can_never_be_chosen(tmp_path, decontam):
    """A 4-word item ("What is 17 * 25?") has too few word 3-grams for the near-copy share, so "Compute 17 * 25." and
    "What is 25 times 17?" stayed candidates (h-adapt's gap, session 15). They compute the same thing: dropped as
    near copies by their arithmetic; another product, a sum of the same numbers and a non-commutative swap are kept."""
    test = [{"id": "t1", "question": "What is 17 * 25?", "answer": "425", "category": "mul"},
            {"id": "t2", "question": "What is 90 - 12?", "answer": "78", "category": "sub"}]
    pool = [{"id": f"p{i}", "question": f"What is {i} + 100?", "answer": str(i + 100), "category": "add"} for i in range(10)]
    pool += [{"id": "cmp", "question": "Compute 17 * 25.", "answer": "425", "category": "mul"},
             {"id": "rev", "question": "What is 25 times 17?", "answer": "425", "category": "mul"},
             {"id": "sub", "question": "Calculate 90 minus 12, please.", "answer": "78", "category": "sub"},
             {"id": "other", "question": "What is 17 * 26?", "answer": "442", "category": "mul"},
             {"id": "sum", "question": "Find 17 plus 25.", "answer": "42", "category": "add"},
             {"id": "swap", "question": "What is 12 - 90?", "answer": "-78", "category": "sub"}]
    s = Splits(_recipe_on(tmp_path, pool, test, decontam), LoopConfig(dev_size=3, seed=0))
    assert s.dropped == {"cmp": "contaminated: test_split#t1 near copy same arithmetic 'compute 17 * 25'",
                         "rev": "contaminated: test_split#t1 near copy same arithmetic 'what is 25 times 17'",
                         "sub": "contaminated: test_split#t2 near copy same arithmetic 'calculate 90 minus 12 please'"}
    assert {c["id"] for c in s.dev + s.cands} == {f"p{i}" for i in range(10)} | {"other", "sum", "swap"}
    with pytest.raises(FactoryError, match="chosen prompt rev matches test item t1 "):
        assert_clean([{"id": "rev", "text": "What is 25 times 17?"}], s.test, s.dev)


def test_a_dev_size_the_pool_cannot_give_names_the_pool_as_written(tmp_path):
    """loop.dev_size too big said "(the pool has 14)" of a pool of 16 whose 2 test copies were dropped; and a dev split
    whose copies took every other pool prompt left the rounds no prompt at all (round 1 ran on an empty source)."""
    test = [{"id": "t0", "question": "What is 17 * 25?", "answer": "425", "category": "mul"}]
    pool = [{"id": f"p{i}", "question": f"What is {i} + 100?", "answer": str(i + 100), "category": "add"} for i in range(14)]
    pool += [{"id": "c1", "question": "what is 17*25", "answer": "425", "category": "mul"},
             {"id": "c2", "question": "WHAT IS 17 * 25 ?", "answer": "425", "category": "mul"}]
    recipe = _recipe_on(tmp_path, pool, test)
    with pytest.raises(FactoryError, match=r"^loop.dev_size: 14 leaves no training prompts \(the pool has 16, 2 of them dropped as "
                                           r"copies of test items: 14 left\)$"):
        Splits(recipe, LoopConfig(dev_size=14, seed=0))
    same = [{"id": f"s{i}", "question": "What is 3 + 4?" + " " * i, "answer": "7", "category": "add"} for i in range(4)]
    with pytest.raises(FactoryError, match=r"^loop: no training prompts left: the pool has 4, 0 copy test items, dev takes 1 and the "
                                           r"other 3 copy dev items; lower loop.dev_size or add pool prompts$"):
        Splits(_recipe_on(tmp_path, same, test), LoopConfig(dev_size=1, seed=0))


def test_weight_categories_without_a_category_field_is_an_error(tmp_path):
    """strategy weight_categories on a pool without source.fields.category put every prompt in one category "", so
    the loop arm drew at random exactly as its control did and the loop's claim (loop - control) measured nothing."""
    import yaml

    from ground.errors import RecipeError

    doc = yaml.safe_load(RECIPE.read_text())
    for src in (doc["source"], doc["eval"]["source"]):
        src["path"] = str((ROOT / "recipes" / src["path"]).resolve())
    for k in ("template", "system"):
        doc["prompt"][k] = str((ROOT / "recipes" / doc["prompt"][k]).resolve())
    doc["dedup"]["decontam"]["benchmarks"][0]["path"] = str((ROOT / "data/arith_mix/test.jsonl").resolve())
    del doc["source"]["fields"]["category"]
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RecipeError, match=r"loop.strategy: weight_categories needs source.fields.category"):
        load_recipe(str(tmp_path / "r.yaml"))
    doc["loop"]["strategy"] = "nearest"
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(doc))
    assert load_recipe(str(tmp_path / "r.yaml")).loop.strategy == "nearest"
    with pytest.raises(FactoryError, match=r"^loop.strategy: weight_categories needs source.fields.category"):
        run_loop(str(tmp_path / "r.yaml"), str(tmp_path / "out"), {"strategy": "weight_categories"}, say=lambda *_: None)
    assert not (tmp_path / "out").exists()
