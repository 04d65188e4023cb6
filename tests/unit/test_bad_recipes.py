"""Hostile recipes: each fixture in tests/fixtures/bad_recipes/ breaks one thing, and ``factory validate``
(a real subprocess) must answer with exactly one ``file:line: field: message`` line, exit 2, and write
nothing. A handful also go through ``factory run``: exit 2, one ``error:`` line, nothing written.

Each fixture starts with three comment lines::

    # expect: <substring of the message>
    # where: <line>: <field>
    # why: <what is wrong>

and marks the offending line with ``# <- error``. ``files/base_ok.yaml`` is the valid recipe they are all
derived from; it must validate, so that each fixture fails only because of its own defect.

Fixtures that today's validation gets wrong are in KNOWN_GAPS with the fix; they are strict xfails,
so the day the fix lands they turn into failures until they are taken off the list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad_recipes"
BAD = sorted(FIXTURES.glob("*.yaml"))
RUN_SUBSET = ["yaml_tab_indent", "non_utf8", "top_level_list", "unknown_key_sampling", "missing_source_file", "unknown_engine",
              "source_field_typo", "secret_extra_body"]

KNOWN_GAPS: dict[str, str] = {}


def header(path: Path) -> tuple[str, int, str]:
    lines = path.read_bytes().decode("ascii", errors="replace").splitlines()[:3]
    expect = re.fullmatch(r"# expect: (.+)", lines[0]).group(1)
    m = re.fullmatch(r"# where: (\d+): (\S+)", lines[1])
    assert lines[2].startswith("# why: "), path
    return expect, int(m.group(1)), m.group(2)


def factory(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FACTORY_HOME": str(cwd / "factory_home")}  # anything written would show up in cwd
    return subprocess.run([sys.executable, "-m", "factory", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[tuple[str, str], tuple[subprocess.CompletedProcess, Path]]:
    """(command, fixture) -> (result, cwd): ``factory validate`` on every fixture and ``factory run`` on
    RUN_SUBSET, each its own process in its own empty cwd.

    Several at a time: each process is mostly interpreter start-up, and this keeps the file under a minute."""
    before = tree(FIXTURES)
    jobs = [("validate", f.stem) for f in BAD] + [("run", n) for n in RUN_SUBSET]

    def one(job):
        cwd = tmp_path_factory.mktemp(f"{job[0]}-{job[1]}")
        return job, (factory([job[0], str(FIXTURES / f"{job[1]}.yaml")], cwd), cwd)

    with ThreadPoolExecutor(6) as ex:
        out = dict(ex.map(one, jobs))
    assert tree(FIXTURES) == before, "validate/run wrote into the fixtures directory"
    return out


def test_there_are_enough_fixtures_and_each_has_a_header():
    assert len(BAD) >= 30
    for f in BAD:
        expect, line, field = header(f)
        assert expect.strip() and line >= 1 and field


def test_base_recipe_is_valid(tmp_path):
    res = factory(["validate", str(FIXTURES / "files" / "base_ok.yaml")], tmp_path)
    assert (res.returncode, res.stderr) == (0, ""), res.stderr
    assert res.stdout.strip().endswith("base_ok.yaml: ok")


@pytest.mark.parametrize("fixture", [
    pytest.param(f, id=f.stem, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[f.stem])] if f.stem in KNOWN_GAPS else [])
    for f in BAD])
def test_validate_prints_one_clear_line(fixture, results):
    res, cwd = results["validate", fixture.stem]
    expect, line, field = header(fixture)
    err = res.stderr.splitlines()
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == "" and len(err) == 1, err
    prefix = f"{fixture}:{line}: {field}: "
    assert err[0].startswith(prefix), f"{err[0]!r} does not start with {prefix!r}"
    assert expect in err[0][len(prefix):]
    assert tree(cwd) == set(), "validate wrote files"


@pytest.mark.parametrize("name", RUN_SUBSET)
def test_run_refuses_before_writing(name, results):
    res, cwd = results["run", name]
    fixture = FIXTURES / f"{name}.yaml"
    expect, line, field = header(fixture)
    err = res.stderr.splitlines()
    assert res.returncode == 2, res.stderr
    assert len(err) == 1 and err[0].startswith(f"error: {fixture}:"), err
    assert expect in err[0]
    assert tree(cwd) == set(), "run wrote files"


def test_a_secret_in_a_recipe_is_refused_without_being_quoted(results):
    """Was: a key in extra_body, under a header name without 'auth', in a decontamination judge's or an on-policy
    scorer's options (free dicts) passed validation, and the manifest and the run's recipe copy kept it."""
    secret = "Q7fT2mZx9LkB4nWd8RcV1yHs"  # the body of the key the secret_* fixtures hold
    fixtures = [f for f in BAD if f.stem.startswith("secret_")]
    assert len(fixtures) >= 4 and all(secret in f.read_text() for f in fixtures)
    for (cmd, name), (res, _) in results.items():
        if name.startswith("secret_"):
            assert res.returncode == 2 and "a secret never goes in the recipe" in res.stderr, (cmd, name, res.stderr)
            assert secret not in res.stderr + res.stdout, (cmd, name)
