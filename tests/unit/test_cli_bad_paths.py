"""Commands given a file they cannot read or a folder they cannot write: one ``error:`` line naming the file (and
line), exit 2, nothing half-written; never a traceback (whose exit 1 ``factory decontam`` reserves for
"contaminated")."""

import gzip
import json

import pytest

from factory.cli import main
from tests.unit.test_export import make_run

BENCH = {"q": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."}


@pytest.fixture
def bench(tmp_path):
    f = tmp_path / "bench.jsonl"
    f.write_text(json.dumps(BENCH) + "\n")
    return f"mine={f}:q"


@pytest.mark.parametrize("name, content, want", [
    ("latin1.jsonl", b'{"q": "hello there"}\n{"q": "caf\xe9"}\n', "latin1.jsonl:2: not UTF-8 text (byte 0xe9)"),
    ("list.jsonl", b'{"q": "a"}\n[1, 2]\n', "list.jsonl:2: not a JSON object (a list)"),
    ("broken.parquet", b"PAR1 not really", "broken.parquet: not a readable Parquet file (Parquet magic bytes not found"),
    ("fake.jsonl.gz", b"not gzip", "fake.jsonl.gz: cannot read: Not a gzipped file"),
    ("cut.jsonl.gz", gzip.compress(b'{"q": "a"}\n' * 50)[:20], "cut.jsonl.gz: cannot read: Compressed file ended"),
])
def test_decontam_of_an_unreadable_corpus_is_exit_2_naming_file_and_line(tmp_path, capsys, bench, name, content, want):
    """Was: UnicodeDecodeError, ArrowInvalid or BadGzipFile tracebacks with exit 1, the code for "contaminated"."""
    (tmp_path / name).write_bytes(content)
    rc = main(["decontam", str(tmp_path / name), "--field", "q", "--benchmarks", bench, "--out", str(tmp_path / "rep")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith(f"error: {tmp_path / name}") and want in err[0], err
    assert not (tmp_path / "rep").exists()


def test_decontam_report_folder_that_cannot_be_written_is_exit_2(tmp_path, capsys, bench):
    """Was: NotADirectoryError traceback, exit 1 ("contaminated") for a clean corpus."""
    (tmp_path / "c.jsonl").write_text('{"q": "nothing like the benchmark"}\n')
    (tmp_path / "afile").write_text("x")
    rc = main(["decontam", str(tmp_path / "c.jsonl"), "--field", "q", "--benchmarks", bench, "--out", str(tmp_path / "afile" / "rep")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == [f"error: --out: cannot write the report in {tmp_path / 'afile' / 'rep'}: {tmp_path / 'afile'} is a file"]
    rc = main(["decontam", str(tmp_path / "c.jsonl"), "--field", "q", "--benchmarks", bench, "--out", str(tmp_path / "rep")])
    assert rc == 0 and sorted(p.name for p in (tmp_path / "rep").iterdir()) == ["decontam_report.json", "decontam_report.txt"]


def test_export_and_schema_to_a_path_below_a_file_are_one_line(tmp_path, capsys):
    """Was: FileExistsError / NotADirectoryError tracebacks (exit 1)."""
    run, _ = make_run(tmp_path)
    (tmp_path / "afile").write_text("x")
    rc = main(["export", run, "--out", str(tmp_path / "afile" / "ds")])
    assert rc == 2 and capsys.readouterr().err.strip() == f"error: --out: {tmp_path / 'afile'} is a file, not a folder"
    rc = main(["export", run, "--out", "/proc/no-such-dir/ds"])
    assert rc == 2 and capsys.readouterr().err.strip() == "error: --out: cannot create /proc/no-such-dir/ds: No such file or directory"
    rc = main(["schema", "--out", str(tmp_path / "afile" / "s.json")])
    assert rc == 2 and capsys.readouterr().err.strip() == f"error: --out: cannot write {tmp_path / 'afile' / 's.json'}: Not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "runs"]  # no export temp folder left behind


@pytest.mark.parametrize("run_id", ["../other", "..", "a/b", "/tmp/x", ".hidden", "x" * 129])
def test_a_run_id_that_is_not_one_folder_name_is_refused_before_anything_is_written(tmp_path, run_id):
    """Was: ``--run-id ../other`` wrote the run beside other recipes' runs, ``--run-id ..`` into the run store's root
    (beside ``_cache`` and ``_logs``), ``/tmp/x`` wherever it pointed."""
    from tests.conftest import ROOT, run_cli

    p = run_cli("run", str(ROOT / "recipes/demo.yaml"), "--run-id", run_id, "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    err = p.stderr.strip().splitlines()
    assert p.returncode == 2 and err == [f"error: --run-id: {run_id!r} is not a run id: use letters, digits, '_', '.' and "
                                         "'-' (not first), at most 128 characters"], p.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []
    from factory.pipeline import run_recipe
    from ground.errors import FactoryError

    with pytest.raises(FactoryError, match="--run-id: .* is not a run id"):
        run_recipe(str(ROOT / "recipes/demo.yaml"), run_id=run_id, output_dir=str(tmp_path / "out"))
    assert list(tmp_path.iterdir()) == []


def test_inspect_refuses_a_negative_count(tmp_path, capsys):
    """Was: ``-n -3`` printed every row but three and ended "(-3 of 40 accepted rows)"."""
    run, _ = make_run(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["inspect", run, "-n", "-3"])
    assert e.value.code == 2 and "argument -n: must be 0 or more, got -3" in capsys.readouterr().err
    assert main(["inspect", run, "-n", "2"]) == 0 and capsys.readouterr().out.rstrip().endswith("(2 of 40 accepted rows)")


@pytest.mark.parametrize("args, want", [(["--port", "99999"], "argument --port: must be 0-65535, got 99999"),
                                        (["--batch-size", "0"], "argument --batch-size: must be 1-1048576, got 0")])
def test_serve_refuses_a_port_or_batch_size_out_of_range_before_loading_the_model(capsys, args, want):
    """Was: ``--port 99999`` loaded the model, then died in socket.bind() with an OverflowError traceback."""
    from factory.serve import main as serve_main

    with pytest.raises(SystemExit) as e:
        serve_main(args)
    assert e.value.code == 2 and want in capsys.readouterr().err


_DAMAGE = [(("manifest.json", b'{"run_id": '), "manifest.json: not valid JSON (Expecting value); the file is cut or damaged"),
           (("manifest.json", b"[1, 2]"), "manifest.json: not a JSON object (a list); the file is damaged"),
           (("accepted/part-00000.parquet", b"PAR1 cut"), "accepted/part-00000.parquet: not a readable Parquet file (")]
_READERS = [["inspect"], ["report"], ["export", "--out", "EXPORT"], ["export-model", "--out", "EXPORT"]]


@pytest.mark.parametrize("damage, want, cmd", [(d, w, c) for d, w in _DAMAGE for c in _READERS
                                               if not (c[0] == "export-model" and d[0] != "manifest.json")])  # it reads no rows
def test_a_damaged_run_file_is_one_line_naming_it(tmp_path, capsys, damage, want, cmd):
    """Was: JSONDecodeError, AttributeError ('list' object has no attribute 'get') or ArrowInvalid tracebacks."""
    run, _ = make_run(tmp_path)
    name, content = damage
    (tmp_path / "runs/demo/rid" / name).write_bytes(content)
    rc = main([cmd[0], run, *[str(tmp_path / "out") if c == "EXPORT" else c for c in cmd[1:]]])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith(f"error: {run}/") and want in err[0], err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, want", [(["--ngram", "0"], "error: --ngram: Input should be greater than or equal to 3 (got 0)"),
                                        (["--min-item-tokens", "-5"], "error: --min-item-tokens: Input should be greater than or equal to 1 (got -5)")])
def test_decontam_setting_out_of_range_is_one_line_naming_the_flag(tmp_path, capsys, bench, args, want):
    """Was: pydantic's four-line report ("1 validation error for DecontamConfig", the field, the URL)."""
    (tmp_path / "c.jsonl").write_text('{"q": "a"}\n')
    rc = main(["decontam", str(tmp_path / "c.jsonl"), "--field", "q", "--benchmarks", bench, *args, "--out", str(tmp_path / "rep")])
    assert rc == 2 and capsys.readouterr().err.strip().splitlines() == [want]
    assert not (tmp_path / "rep").exists()
