"""Hugging Face dataset folders as sources: a save_to_disk Dataset or DatasetDict (Arrow streams, written here
by the real ``datasets`` library), a Hub repository as downloaded (Parquet in config folders), Arrow files."""

import json

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from ground.errors import FactoryError
from ground.source import SourceConfig, plan_units, read_records, read_unit


def _questions(src, shard=3):
    units = plan_units(src, ".", shard)
    got = [(r.index, r.data["question"], r.where) for u in units for r in read_unit(u)]
    assert got == [(r.index, r.data["question"], r.where) for r in read_records(src, ".")]  # units == one pass
    return [q for _, q, _ in got], [w for _, _, w in got]


def test_save_to_disk_dataset_and_dataset_dict(tmp_path):
    datasets = pytest.importorskip("datasets")
    train = datasets.Dataset.from_dict({"question": [f"t{i}" for i in range(7)], "answer": list(range(7))})
    test = datasets.Dataset.from_dict({"question": ["x0", "x1"], "answer": [0, 1]})
    train.save_to_disk(str(tmp_path / "one"), num_shards=3)  # several Arrow files, read in state.json's order
    assert len(json.loads((tmp_path / "one" / "state.json").read_text())["_data_files"]) > 1
    qs, where = _questions(SourceConfig(path=str(tmp_path / "one")))
    assert qs == [f"t{i}" for i in range(7)] and where[0] == "data-00000-of-00003.arrow row 0"
    qs, _ = _questions(SourceConfig(path=str(tmp_path / "one"), offset=2, limit=4), shard=2)
    assert qs == ["t2", "t3", "t4", "t5"]

    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(tmp_path / "dd"))
    assert _questions(SourceConfig(path=str(tmp_path / "dd"), split="test"))[0] == ["x0", "x1"]
    with pytest.raises(FactoryError, match=r"source.split: .*dd is a saved DatasetDict with splits train, test; set source.split"):
        plan_units(SourceConfig(path=str(tmp_path / "dd")), ".", 3)
    with pytest.raises(FactoryError, match=r"'dev' is not one of them"):
        plan_units(SourceConfig(path=str(tmp_path / "dd"), split="dev"), ".", 3)


def test_hub_repository_layout_with_config_folders(tmp_path):
    repo = tmp_path / "gsm8k"
    for cfg in ("main", "socratic"):
        (repo / cfg).mkdir(parents=True)
        for split, n in (("train", 5), ("test", 2)):
            pq.write_table(pa.table({"question": [f"{cfg}-{split}-{i}" for i in range(n)]}),
                           repo / cfg / f"{split}-00000-of-00001.parquet")
    (repo / "README.md").write_text("---\nconfigs: [main, socratic]\n---\n")
    (repo / ".git").mkdir()
    pq.write_table(pa.table({"question": ["git object"]}), repo / ".git" / "x.parquet")  # hidden folders are not data
    assert _questions(SourceConfig(path=str(repo / "main"), split="train"))[0] == [f"main-train-{i}" for i in range(5)]
    # the repository root holds two configs: refused by name, never mixed
    with pytest.raises(FactoryError, match=r"has data files in 2 folders \(main, socratic\): point source.path at one of them"):
        plan_units(SourceConfig(path=str(repo), split="test"), ".", 3)
    qs, _ = _questions(SourceConfig(path=str(repo / "**" / "test-*.parquet")))  # a recursive glob reads them all
    assert qs == ["main-test-0", "main-test-1", "socratic-test-0", "socratic-test-1"]
    # the Hub's Parquet conversion: <config>/<split>/0000.parquet; a data/ folder: data/train-*.parquet
    conv = tmp_path / "conv" / "default"
    (conv / "train").mkdir(parents=True)
    pq.write_table(pa.table({"question": ["c0", "c1"]}), conv / "train" / "0000.parquet")
    (conv / "validation").mkdir()
    pq.write_table(pa.table({"question": ["v0"]}), conv / "validation" / "0000.parquet")
    assert _questions(SourceConfig(path=str(tmp_path / "conv"), split="validation"))[0] == ["v0"]


def test_arrow_and_feather_files_and_a_broken_one(tmp_path):
    t = pa.table({"question": ["a", "b", "c"]})
    feather.write_feather(t, tmp_path / "q.feather")
    with pa.OSFile(str(tmp_path / "q-train.arrow"), "wb") as f, pa.ipc.new_stream(f, t.schema) as w:  # the datasets cache's form
        w.write_table(t)
    for name in ("q.feather", "q-train.arrow"):
        qs, where = _questions(SourceConfig(path=str(tmp_path / name)), shard=2)
        assert qs == ["a", "b", "c"] and where[2] == f"{name} row 2"
    (tmp_path / "bad.arrow").write_bytes(b"not arrow at all")
    with pytest.raises(FactoryError, match=r"source.path: .*bad.arrow: not a readable Arrow IPC file"):
        plan_units(SourceConfig(path=str(tmp_path / "bad.arrow")), ".", 2)


def test_factory_decontam_reads_saved_datasets_as_corpus_and_benchmark(tmp_path, capsys):
    """`factory decontam CORPUS --benchmarks NAME=FOLDER:FIELD` with both sides written by datasets.save_to_disk."""
    datasets = pytest.importorskip("datasets")
    from curation.dedup.decontam_cli import main

    bench_q = ["Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
               "How many clips did Natalia sell altogether in April and May?",
               "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?"]
    datasets.Dataset.from_dict({"problem": bench_q, "uid": ["b0", "b1"]}).save_to_disk(str(tmp_path / "bench"))
    corpus = {"text": ["Write a haiku about autumn leaves falling in the quiet park at dusk, please, with care.",
                       "Copied: " + bench_q[1]], "id": ["c0", "c1"]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(corpus)}).save_to_disk(str(tmp_path / "corpus"))
    out = tmp_path / "rep"
    rc = main([str(tmp_path / "corpus"), "--field", "text", "--benchmarks", f"mine={tmp_path / 'bench'}:problem",
               "--template", "off", "--out", str(out)])
    rep = json.loads((out / "decontam_report.json").read_text())
    assert rc == 1 and rep["rows"] == 2 and rep["contaminated"] == 1
    assert [(m["id"], m["item"]) for m in rep["matches"]] == [("c1", "1")]
    with pytest.raises(FactoryError, match=r"benchmark 'x' path .*corpus is a saved DatasetDict: point it at one split's folder"):
        main([str(tmp_path / "corpus"), "--field", "text", "--benchmarks", f"x={tmp_path / 'corpus'}:text", "--out", str(out)])


def test_split_names_are_whole_and_metadata_is_not_data(tmp_path):
    """ultrachat_200k's train_sft/train_gen are not split 'train'; dataset_info(s).json is not a record; a folder
    of train and test files without source.split is refused, never read as one source."""
    uc = tmp_path / "uc" / "data"
    uc.mkdir(parents=True)
    for s in ("train_sft", "train_gen", "test_sft"):
        pq.write_table(pa.table({"question": [s]}), uc / f"{s}-00000-of-00001.parquet")
    assert _questions(SourceConfig(path=str(tmp_path / "uc"), split="train_sft"))[0] == ["train_sft"]
    with pytest.raises(FactoryError, match=r"source.split: .*uc has no files of split 'train' \(its files: test_sft-0"):
        plan_units(SourceConfig(path=str(tmp_path / "uc"), split="train"), ".", 3)
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    pq.write_table(pa.table({"question": ["r0", "r1"]}), repo / "data" / "train-00000-of-00001.parquet")
    (repo / "dataset_infos.json").write_text(json.dumps({"default": {"description": "x"}}))  # older Hub repositories
    assert _questions(SourceConfig(path=str(repo)))[0] == ["r0", "r1"]
    cache = tmp_path / "cache"  # the datasets cache: <name>-<split>.arrow beside dataset_info.json
    cache.mkdir()
    for split, qs in (("train", ["a", "b"]), ("test", ["t"])):
        with pa.OSFile(str(cache / f"json-{split}.arrow"), "wb") as f, pa.ipc.new_stream(f, pa.schema([("question", pa.string())])) as w:
            w.write_table(pa.table({"question": qs}))
    (cache / "dataset_info.json").write_text(json.dumps({"builder_name": "json"}))
    assert _questions(SourceConfig(path=str(cache), split="train"))[0] == ["a", "b"]
    with pytest.raises(FactoryError, match=r"source.split: .*cache holds files of splits train, test; set source.split"):
        plan_units(SourceConfig(path=str(cache)), ".", 3)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "train.jsonl").write_text('{"question": "tr"}\n')
    (flat / "test.jsonl").write_text('{"question": "te"}\n')
    with pytest.raises(FactoryError, match=r"holds files of splits train, test"):
        plan_units(SourceConfig(path=str(flat)), ".", 3)


def test_a_saved_dataset_of_another_split_is_refused(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_dict({"question": ["s0"]}, split="train").save_to_disk(str(tmp_path / "one"))
    assert _questions(SourceConfig(path=str(tmp_path / "one"), split="train"))[0] == ["s0"]
    with pytest.raises(FactoryError, match=r"source.split: .*one is a saved Dataset of split 'train', not 'test'"):
        plan_units(SourceConfig(path=str(tmp_path / "one"), split="test"), ".", 3)


def test_columns_json_cannot_write_do_not_stop_expansion(tmp_path):
    """Timestamps, bytes (an Image column) and decimals in a Parquet source: the record's id hash and a reference
    that is not text are written, not a TypeError on the worker."""
    import datetime
    import decimal

    from factory.recipe import load_recipe
    from teachers.expand import build_rows

    pq.write_table(pa.table({"question": ["q0", "q1"], "when": [datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 2)],
                             "img": [b"\x89PNG", b"\x89PNH"], "answer": [[decimal.Decimal("1.5")], [decimal.Decimal("2")]]}),
                   tmp_path / "d.parquet")
    (tmp_path / "t.txt").write_text("{prompt}")
    (tmp_path / "r.yaml").write_text(f"name: d\nsource: {{path: {tmp_path / 'd.parquet'}, fields: {{reference: answer}}}}\n"
                                     "prompt: {template: t.txt}\n"
                                     "teacher: {name: t, engine: hf_local, model: smollm2-135m-instruct, n: 1}\n"
                                     f"output: {{dir: {tmp_path / 'runs'}}}\n")
    rows = build_rows(load_recipe(str(tmp_path / "r.yaml")))
    assert [r["reference"] for r in rows] == ['["1.5"]', '["2.0"]'] and [r["status"] for r in rows] == ["accepted"] * 2
    assert len({r["prompt_id"] for r in rows}) == 2 and json.loads(rows[0]["source"])["when"] == "2024-01-01 00:00:00"


def test_a_benchmark_from_a_saved_datasetdict_takes_its_split(tmp_path):
    datasets = pytest.importorskip("datasets")
    from curation.dedup.benchmarks import load_benchmark

    q = ["Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?"]
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"problem": ["a train problem about apples and their many pears"]}),
                          "test": datasets.Dataset.from_dict({"problem": q})}).save_to_disk(str(tmp_path / "dd"))
    b = load_benchmark({"name": "mine", "path": str(tmp_path / "dd"), "field": "problem", "split": "test"})
    assert [it.text for it in b.items] == q
