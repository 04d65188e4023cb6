"""A mistyped option of any `factory` command is refused (exit 2, nothing run) with the option it was meant to be.

On main argparse said only `unrecognized arguments: --formt chat`: the user had to find `--format` in the usage."""

from __future__ import annotations

import pytest

from factory.cli import main


@pytest.mark.parametrize("argv, line", [
    (["run", "recipes/demo.yaml", "--fersh"], "factory run: error: unrecognized arguments: --fersh (did you mean --fresh?)"),
    (["inspect", "runs/x", "--rejectz"], "factory inspect: error: unrecognized arguments: --rejectz (did you mean --rejects?)"),
    (["export", "runs/x", "--out", "o", "--formt", "chat"],
     "factory export: error: unrecognized arguments: --formt (did you mean --format?) chat"),
    (["decontam", "c.jsonl", "--benchmarks", "gsm8k_test", "--feild=q"],
     "factory decontam: error: unrecognized arguments: --feild=q (did you mean --field?)"),
    (["loop", "recipes/loop.yaml", "--round", "3", "--sede", "1"],
     "factory loop: error: unrecognized arguments: --sede (did you mean --seed?) 1"),
    (["serve", "--prot", "8000"], "factory serve: error: unrecognized arguments: --prot (did you mean --port?) 8000"),
    (["run", "recipes/demo.yaml", "--zzzzzz"], "factory run: error: unrecognized arguments: --zzzzzz"),
])
def test_a_mistyped_option_names_the_meant_one(argv, line, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_global_verbose_flag_goes_before_any_command(capsys, tmp_path, monkeypatch):
    """`factory [-v] {run,...,schema}` (the usage line): on main `factory -v schema --outputs` and `factory -v report DIR`
    failed with 'unrecognized arguments' because the commands with their own parser were only found in argv[0]."""
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["-v", "schema", "--outputs"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"manifest.json", "stats.json"}
    assert main(["--verbose", "report", "runs/nope"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: runs/nope: not a run directory (no manifest.json)"


def test_a_refused_run_id_leaves_no_log_behind(tmp_path, capsys):
    """`factory run R --run-id NAME` naming a run of another recipe is refused with one line, exit 2; on main the run's
    log (only the traceback of that refusal) stayed in <output.dir>/_logs/ whenever that folder already existed."""
    import json

    from tests.conftest import ROOT

    recipe = tmp_path / "r.yaml"
    (tmp_path / "s.jsonl").write_text('{"q": "What is 1 + 1?", "a": "2"}\n')
    recipe.write_text(f"name: rd\nsource: {{path: s.jsonl, fields: {{prompt: q, reference: a}}}}\nprompt: {{template: "
                      f"{ROOT / 'recipes/prompts/arith.txt'}}}\nteacher: {{model: smollm2-135m-instruct}}\n")
    out = tmp_path / "out"
    (out / "_logs").mkdir(parents=True)
    (out / "_logs" / "earlier.log").write_text("an earlier run's log\n")
    (out / "rd" / "x").mkdir(parents=True)
    (out / "rd" / "x" / "manifest.json").write_text(json.dumps({"run_id": "x", "fingerprint": "another"}))
    assert main(["run", str(recipe), "--run-id", "x", "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: run x ({out / 'rd' / 'x'}) was made from a different recipe or input files")
    assert sorted(p.name for p in (out / "_logs").iterdir()) == ["earlier.log"]
    assert sorted(p.name for p in (out / "rd" / "x").iterdir()) == [".lock", "manifest.json"]  # the run-dir lock (every run has one)
    assert json.loads((out / "rd" / "x" / "manifest.json").read_text()) == {"run_id": "x", "fingerprint": "another"}
