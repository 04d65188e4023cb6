import json

import datasets
import pytest

from ground.errors import FactoryError
from factory.export import assign_splits, export_run, groups_of
from ground.record import new_sample, reject, to_table
from factory.store import RunStore


def make_run(tmp_path, n_prompts=40):
    rows = []
    for p in range(n_prompts):
        for k in range(2):
            r = new_sample(stage="t", prompt_id=f"p{p}", sample_index=k, messages=[{"role": "user", "content": f"q{p}"}],
                           completion=f"answer {p}.{k}", teacher="T", model="m", score=1.0 if k == 0 else 0.0,
                           verdicts=json.dumps({"math_answer": {"score": 1.0 if k == 0 else 0.0}}))
            if k == 1:
                reject(r, "verify:math_answer", "wrong answer: x")
            rows.append(r)
    # a near-dup cluster joining prompts p0 and p1 (survivor p0's row, member from p1)
    rows[0]["cluster_id"] = rows[2]["cluster_id"] = "minhash:abc"
    st = RunStore(str(tmp_path / "runs"), "demo", "rid")
    st.write_parts("accepted", to_table([r for r in rows if r["status"] == "accepted"]))
    st.write_parts("rejects", to_table([r for r in rows if r["status"] == "rejected"]))
    st.write_json("manifest.json", {"run_id": "rid", "recipe_name": "demo", "status": "succeeded",
                                    "recipe": {"teacher": {"name": "T", "engine": "hf_local", "model": "m", "n": 2}}})
    st.write_json("stats.json", {"stages": {"source": {"in": 80, "out": 80, "dropped": {}}}})
    return st.path, rows


def test_groups_join_prompts_and_clusters():
    rows = [{"id": "a", "prompt_id": "p1"}, {"id": "b", "prompt_id": "p1"}, {"id": "c", "prompt_id": "p2", "cluster_id": "x"},
            {"id": "d", "prompt_id": "p3", "cluster_id": "x"}, {"id": "e", "prompt_id": "p4"}]
    g = groups_of(rows)
    assert g["a"] == g["b"] and g["c"] == g["d"] and len({g["a"], g["c"], g["e"]}) == 3


def test_splits_are_deterministic_and_never_straddle():
    rows = [{"id": f"r{i}", "prompt_id": f"p{i // 3}"} for i in range(300)]
    s1 = assign_splits(rows, {"train": 0.8, "test": 0.2}, seed=0)
    assert s1 == assign_splits(rows, {"train": 0.8, "test": 0.2}, seed=0)
    assert s1 != assign_splits(rows, {"train": 0.8, "test": 0.2}, seed=1)
    for p in range(100):
        assert len({s1[f"r{i}"] for i in range(3 * p, 3 * p + 3)}) == 1
    assert 50 < sum(v == "train" for v in s1.values()) < 290


@pytest.mark.parametrize("fmt,loader,col", [("parquet", "parquet", "completion"), ("chat", "json", "messages"),
                                             ("sharegpt", "json", "conversations"), ("jsonl", "json", "prompt")])
def test_export_loads_with_datasets(tmp_path, fmt, loader, col):
    run, rows = make_run(tmp_path)
    out = tmp_path / f"export-{fmt}"
    res = export_run(run, str(out), fmt, "train=0.8,val=0.1,test=0.1", seed=0)
    assert sum(res["counts"].values()) == 40
    ds = datasets.load_dataset(loader, data_dir=str(out))
    assert sum(len(ds[s]) for s in ds) == 40 and col in ds["train"].column_names
    ids = {s: set(ds[s]["id"]) for s in ds}
    p0 = next(r["id"] for r in rows if r["prompt_id"] == "p0" and r["status"] == "accepted")
    p1 = next(r["id"] for r in rows if r["prompt_id"] == "p1" and r["status"] == "accepted")
    assert [s for s in ids if p0 in ids[s]] == [s for s in ids if p1 in ids[s]]  # one cluster, one split
    card = (out / "README.md").read_text()
    assert "configs:" in card and "Counts per stage" in card and "rid" in card
    if fmt == "chat":
        assert ds["train"][0]["messages"][-1]["role"] == "assistant"


def test_preference_export_pairs_pass_against_fail(tmp_path):
    run, _ = make_run(tmp_path)
    out = tmp_path / "pref"
    res = export_run(run, str(out), "preference", "train=1.0")
    assert res["counts"]["train"] == 40
    ds = datasets.load_dataset("json", data_dir=str(out))["train"]
    assert {"prompt", "chosen", "rejected"} <= set(ds.column_names)
    ex = ds[0]
    assert ex["chosen"][0]["content"].endswith(".0") and ex["rejected"][0]["content"].endswith(".1")


def test_bad_split_and_existing_out_are_clear_errors(tmp_path):
    run, _ = make_run(tmp_path)
    with pytest.raises(FactoryError, match="sum to 1"):
        export_run(run, str(tmp_path / "x"), "jsonl", "train=0.5,test=0.2")
    with pytest.raises(FactoryError, match="unknown split 'dev'"):
        export_run(run, str(tmp_path / "x"), "jsonl", "train=0.5,dev=0.5")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(FactoryError, match="not empty"):
        export_run(run, str(tmp_path / "full"), "jsonl")
    assert (tmp_path / "full" / "keep.txt").exists()


def test_out_folder_whose_parents_do_not_exist_is_made(tmp_path):
    """Was: FileNotFoundError traceback (the temp folder went to /tmp, then os.replace into a missing parent)."""
    run, _ = make_run(tmp_path, n_prompts=3)
    out = tmp_path / "new" / "deeper" / "export"
    assert export_run(run, str(out), "chat")["counts"] == {"train": 3}
    assert (out / "train.jsonl").exists() and not list((tmp_path / "new" / "deeper").glob(".export-*"))


def test_out_that_holds_the_run_or_is_a_file_is_refused(tmp_path):
    """Was: --out runs --overwrite deleted the run being exported (and every other run in that folder)."""
    run, _ = make_run(tmp_path, n_prompts=3)
    for out in (tmp_path / "runs", tmp_path / "runs" / "demo", run):
        with pytest.raises(FactoryError, match="holds the run"):
            export_run(run, str(out), "chat", overwrite=True)
    assert (tmp_path / "runs" / "demo" / "rid" / "manifest.json").exists()
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(FactoryError, match="is a file"):
        export_run(run, str(tmp_path / "f.txt"), "chat")


@pytest.mark.parametrize("spec,msg", [("train=0.5,test=nan", "sum to 1"), ("train=nan", "sum to 1"),
                                      ("train=inf,test=-inf", "sum to 1"), ("train=0.5,train=0.5", "given twice")])
def test_split_fractions_that_are_not_numbers_or_repeat_are_refused(tmp_path, spec, msg):
    """Was: NaN passed the sum check (every row went to the last split) and a repeated name said 'sum to 1'."""
    run, _ = make_run(tmp_path, n_prompts=3)
    with pytest.raises(FactoryError, match=msg):
        export_run(run, str(tmp_path / "x"), "jsonl", spec)


def test_nothing_to_export_is_an_error_not_an_unloadable_folder(tmp_path):
    """Was: a run with no preference pairs (or no accepted rows) gave a folder with only README.md, whose card
    lists no data files; datasets.load_dataset refused it."""
    st = RunStore(str(tmp_path / "runs"), "demo", "rid")
    only_pass = [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": "q"}],
                            completion="a", score=1.0) for i in range(2)]
    st.write_parts("accepted", to_table(only_pass))
    st.write_json("manifest.json", {"run_id": "rid", "recipe_name": "demo", "status": "succeeded", "recipe": {}})
    with pytest.raises(FactoryError, match=r"no preference pairs .*prompts_only_pass\": 2"):
        export_run(st.path, str(tmp_path / "pref"), "preference")
    assert not (tmp_path / "pref").exists()
    empty = RunStore(str(tmp_path / "runs"), "demo", "empty")
    empty.write_json("manifest.json", {"run_id": "empty", "recipe_name": "demo", "status": "succeeded", "recipe": {}})
    with pytest.raises(FactoryError, match="no accepted rows"):
        export_run(empty.path, str(tmp_path / "chat"), "chat")


@pytest.mark.parametrize("fmt", ["chat", "jsonl", "sharegpt"])
def test_a_field_first_seen_late_in_the_file_still_loads(tmp_path, fmt):
    """Was: datasets infers JSON features from the file's first chunk (10 MB; 2 KB here): a tool trace or a
    reasoning row after it failed the load ("Couldn't cast array of type string to null", or a message struct
    with tool_calls to one without)."""
    spec = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1"}'}}
    rows = [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": f"q{i} " + "x" * 200}],
                       completion="a", teacher="T", model="m", score=1.0) for i in range(60)]
    rows.append(new_sample(stage="t", prompt_id="late", sample_index=0, teacher="T", model="m", score=1.0, reasoning="hmm",
                           messages=[{"role": "system", "content": "s", "tools": [spec]}, {"role": "user", "content": "q"}],
                           completion=json.dumps([{"role": "assistant", "content": None, "tool_calls": [call]},
                                                  {"role": "tool", "tool_call_id": "c1", "content": "1"},
                                                  {"role": "assistant", "content": "1", "reasoning_content": "ok"}])))
    st = RunStore(str(tmp_path / "runs"), "demo", "rid")
    st.write_parts("accepted", to_table(rows))
    st.write_json("manifest.json", {"run_id": "rid", "recipe_name": "demo", "status": "succeeded", "recipe": {}})
    export_run(st.path, str(tmp_path / "out"), fmt)
    ds = datasets.load_dataset("json", data_dir=str(tmp_path / "out"), chunksize=2048)["train"]
    assert len(ds) == 61 and sorted(ds["id"]) == sorted(r["id"] for r in rows)
    late = next(x for x in ds if x["prompt_id"] == "late")
    if fmt == "chat":
        assert json.loads(late["tools"]) == [spec] and late["messages"][2]["tool_calls"] == [call]


def test_export_folder_gets_the_mode_a_plain_mkdir_gives(tmp_path):
    """Was: the folder came from mkdtemp and stayed 0700: other users (a shared dataset directory) could not read it."""
    import os

    run, _ = make_run(tmp_path, n_prompts=2)
    old = os.umask(0o022)
    try:
        export_run(run, str(tmp_path / "out"), "chat")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def test_dedup_clusters_hold_splits_together_through_rejects_and_in_preference_exports(tmp_path):
    """Was: split groups were made from the exported items alone: preference pairs ignored clusters (p0 and p1 of
    one near-dup cluster landed in train and test), and a chat export did not see that p1's dedup reject ties p1's
    accepted sample to p0's cluster."""
    run, rows = make_run(tmp_path)  # rows[0] (p0) and rows[2] (p1), both accepted, share cluster minhash:abc
    extra = new_sample(stage="t", prompt_id="p1", sample_index=2, messages=[{"role": "user", "content": "q1"}],
                       completion="dup", score=1.0, cluster_id="minhash:def")
    reject(extra, "dedup_minhash", "near duplicate")
    p2 = new_sample(stage="t", prompt_id="p2", sample_index=2, messages=[{"role": "user", "content": "q2"}],
                    completion="a", score=1.0, cluster_id="minhash:def")
    st, rows = RunStore(str(tmp_path / "runs"), "demo", "rid"), rows + [extra, p2]
    st.write_parts("accepted", to_table([r for r in rows if r["status"] == "accepted"]))
    st.write_parts("rejects", to_table([r for r in rows if r["status"] == "rejected"]))
    for seed in range(6):
        for fmt in ("preference", "chat"):
            out = tmp_path / f"{fmt}-{seed}"
            export_run(run, str(out), fmt, "train=0.5,test=0.5", seed=seed)
            where: dict = {}
            for f in out.glob("*.jsonl"):
                for line in f.read_text().splitlines():
                    where.setdefault(json.loads(line)["prompt_id"], set()).add(f.stem)
            assert where["p0"] == where["p1"] and len(where["p0"]) == 1, (fmt, seed, where)
            if fmt == "chat":
                assert where["p2"] == where["p1"], (seed, where)


def test_dataset_card_is_utf8_whatever_the_locale(tmp_path):
    """Was: README.md was written in the locale's encoding (the data files in UTF-8): under an ASCII locale a
    recipe name or source path with a non-ASCII letter stopped the export with UnicodeEncodeError."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    run, _ = make_run(tmp_path, n_prompts=2)
    mf = json.loads((tmp_path / "runs/demo/rid/manifest.json").read_text())
    (tmp_path / "runs/demo/rid/manifest.json").write_text(json.dumps({**mf, "recipe_name": "rëcipe 🚀"}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    res = subprocess.run([sys.executable, "-m", "factory", "export", run, "--out", str(tmp_path / "out")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-400:]
    assert (tmp_path / "out/README.md").read_text(encoding="utf-8").count("rëcipe 🚀") == 1
