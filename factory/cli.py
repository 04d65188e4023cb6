"""``factory`` command line: run, validate, inspect.

    factory run recipes/gsm8k_demo.yaml [--run-id ID | --fresh] [--no-cache] [--skip-train] [--skip-eval]
    factory validate recipes/*.yaml
    factory schema > recipe.schema.json     # JSON Schema for editors (yaml-language-server)
    factory inspect runs/gsm8k_demo/<run_id> [-n 5] [--rejects]
    factory report RUN_DIR | serve --model M | export-model RUN_DIR --out DIR | judge-calibrate ...
    factory loop recipes/loop.yaml [--seed S] [--rounds R] [--no-control]   (closed loop, factory/loop.py)
    factory decontam CORPUS --benchmarks gsm8k_test [--out DIR]   (exit 0 clean, 1 contaminated, 2 bad input, 3 internal error)

Exit codes: 0 ok, 2 bad input (one line per problem, ``file:line: field: message``; also a path that cannot be
read or written), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import re
import functools
import logging
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from ground.cli_parser import ArgumentParser
from ground.errors import FactoryError, factory_error_in


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr)
    for noisy in ("httpx", "urllib3", "filelock", "transformers", "ray", "torch"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _table(rows: list[list], header: list[str]) -> str:
    cols = [header, *[[str(c) for c in r] for r in rows]]
    w = [max(len(r[i]) for r in cols) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w[i]) for i, c in enumerate(r))  # noqa: E731
    return "\n".join([line(header), line(["-" * x for x in w]), *[line(r) for r in cols[1:]]])


def cmd_run(a: argparse.Namespace) -> int:
    """Run a recipe. Without ``-v`` the terminal gets our progress lines and the tables; Ray's, transformers'
    and other libraries' output goes to a log file named on the first and last line (factory/console.py)."""
    if a.run_id is not None:  # before the log file: a bad id writes nothing
        from factory.store import check_run_id

        check_run_id(a.run_id)
    if a.verbose:
        return _run(a, sys.stdout, sys.stderr)
    from factory.console import Console

    log_file = run_log_path(a.recipe, a.output_dir, a.skip_train)
    created = next((p for p in reversed(log_file.parents) if not p.exists()), None)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # e.g. output.dir below a file, or read-only: one clear line, exit 2, nothing written
        raise FactoryError(f"output.dir: cannot create {log_file.parent}: {e.strerror or e}") from None
    try:  # the folder may exist on a read-only mount (an earlier run's): the log cannot be opened there either
        open(log_file, "a").close()
    except OSError as e:
        raise FactoryError(f"output.dir: cannot write {log_file.parent}: {e.strerror or e}") from None
    try:
        with Console(log_file) as c:
            print(f"log: {log_file} (Ray, transformers and other libraries' output)", file=c.err, flush=True)
            rc = _run(a, c.out, c.err)
            print(f"log: {log_file}", file=c.out, flush=True)
    except FactoryError:
        # bad input writes nothing: drop the log (the error line says it all) and the folders made for it
        if created is not None and all(f.parent == log_file.parent for f in created.rglob("*") if f.is_file()):
            shutil.rmtree(created, ignore_errors=True)
        elif _only_the_traceback(log_file):  # refused before the run logged anything (e.g. --run-id of another recipe)
            log_file.unlink(missing_ok=True)
        raise
    return rc


def _only_the_traceback(log_file: Path) -> bool:
    """Whether the log holds nothing but the error's traceback (Console writes it on the way out)."""
    try:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            return f.read(64).startswith("Traceback (most recent call last)")
    except OSError:
        return False


def run_log_path(recipe_file: str, output_dir: str | None, skip_train: bool = False) -> Path:
    """``<output.dir>/_logs/<recipe name>-<UTC time>-<pid>.log`` (the pid: two runs started in the same second
    write two logs; beside ``_cache``: ``<output.dir>/<recipe>/`` holds only
    run ids); a temp dir when the run store is an object store. A recipe this machine cannot run (factory/preflight.py)
    fails here, before the log exists."""
    from factory.preflight import preflight
    from factory.recipe import load_recipe

    r = load_recipe(recipe_file)
    preflight(r, recipe_file, skip_train)
    out = output_dir or r.output.dir
    stamp = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"
    if "://" in out:
        return Path(tempfile.gettempdir()) / "factory-logs" / f"{r.name}-{stamp}.log"
    return Path(out) / "_logs" / f"{r.name}-{stamp}.log"


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc`` (itself, or its cause chain: Ray wraps a worker's error in its own)."""
    from ground.errors import in_chain

    found = in_chain(exc, lambda x: isinstance(x, OSError) and getattr(x, "errno", None) is not None)
    if found is not None:
        return found
    # a worker's error may arrive as text only (Ray's UserCodeException carries the cause's traceback, not the object)
    m = re.search(r"(?:OSError|IOError): \[Errno (\d+)\] ([^\n]+)", str(exc))
    return OSError(int(m.group(1)), m.group(2).strip()) if m else None


def _run(a: argparse.Namespace, out, err) -> int:
    from factory.pipeline import run_recipe

    from ground.raycluster import _sigterm_to_interrupt

    # SIGTERM behaves like Ctrl-C: finished chunks stay, the manifest says interrupted (re-set after ray.init)
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    try:
        res = run_recipe(a.recipe, run_id=a.run_id, fresh=a.fresh, use_cache=not a.no_cache, skip_train=a.skip_train,
                         skip_eval=a.skip_eval, output_dir=a.output_dir)
    except Exception as exc:  # noqa: BLE001 - an OSError, also when a Ray worker raised it (UDF errors wrap it)
        if not isinstance(exc, FactoryError) and (fe := factory_error_in(exc)) is not None:
            raise fe from None  # a worker's one-line error (e.g. the source changed mid-run), not Ray's traceback
        e = None if isinstance(exc, FactoryError) else _os_error(exc)
        if e is None:
            raise
        # e.g. disk full mid-run: finished chunks are whole (atomic writes), the rest re-runs
        print(f"error: writing the run store failed: {e.strerror or e}: {e.filename or ''} — free space and re-run to resume",
              file=err)
        return 1
    except KeyboardInterrupt:
        print("interrupted: finished chunks are kept; re-run the same command to resume", file=err)
        try:
            import ray

            ray.shutdown()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        return 130
    print_summary(res, out)
    return 0


def print_summary(res, out) -> None:
    """The per-stage table, yield and cost lines, the eval table, timings and the run dir."""
    say = functools.partial(print, file=out)
    say()
    if res.status == "stopped":
        say(f"stopped: {res.stopped}; finished chunks and the request cache are kept: re-run the same command "
            "(with a bigger budget) to continue without paying again")
        if not res.stats:  # no chunk finished: nothing curated, but the calls made before the stop were paid
            if res.paid:
                say(paid_line(res.paid))
            say(f"run dir: {res.run_dir}")
            return
    say(_table([[s, v["in"], v["out"], ", ".join(f"{k}: {n}" for k, n in v["dropped"].items()) or "-",
                 ("-" if v.get("seconds") is None else f"{v['seconds']:.1f}") + ("*" if v.get("streamed") else ""), v.get("rows_per_s") or "-"] for s, v in res.stats.items()],
               ["stage", "in", "out", "dropped", "s", "rows/s"]))
    say("* streamed: source to row filters run concurrently as one Ray Data job; each shows its wall time")
    s = res.summary
    say(f"\naccepted {s['accepted']} / {s['rows']} rows; tokens in/out {s['tokens_in']}/{s['tokens_out']}; "
          f"cache hits {s['cache_hits']}, misses {s['cache_misses']}; corpus cost ${s['cost']:.4f}"
          + (f" (${s['cost_per_accepted']:.6f} per accepted)" if s["cost_per_accepted"] is not None else ""))
    if res.cost:
        say(cost_line(res.cost))
    if res.paid:
        say(paid_line(res.paid, s.get("cache_cost")))
    if res.eval and res.eval.get("table"):
        say()
        from students.eval_table import summary_rows

        rows, header, notes = summary_rows(res.eval)
        say("\n".join([_table(rows, header), *notes]))
    bad = source_rejects_line(res.run_dir, res.stats)
    if bad:
        say(f"\nWARNING {bad}")
    from curation.dedup.benchmarks import incomplete_warning

    for line in _partial_benchmarks(res.run_dir):
        say(f"\nWARNING {incomplete_warning(line)}: {line}")
    say("\ntimings (s): " + ", ".join(f"{k} {v}" for k, v in res.timings.items()))
    say(f"run dir: {res.run_dir}")


def source_rejects_line(run_dir: str, stats: dict) -> str | None:
    """One line when records of the source were bad input (rejected at stage source), with the first one's reason,
    which names the file and row: ``3 rows rejected at source (bad input), e.g. missing field 'q' [a.jsonl:2]; ...``."""
    n = sum(((stats or {}).get("source") or {}).get("dropped", {}).values())
    if not n:
        return None
    import pyarrow.dataset as pads

    from ground import fsutil

    fs, path = fsutil.filesystem(run_dir)
    try:
        t = pads.dataset(fsutil.join(path, "rejects"), filesystem=fs, format="parquet").scanner(
            columns=["reject_reason"], filter=pads.field("reject_stage") == "source").head(1)
        first = t.column("reject_reason")[0].as_py() if t.num_rows else None
    except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
        first = None
    return (f"{n} row(s) rejected at source (bad input records, no teacher call)" + (f", e.g. {first}" if first else "")
            + "; they are in rejects/ with reject_stage 'source'")


def _partial_benchmarks(run_dir: str) -> list[str]:
    """Coverage lines of benchmarks a run protected only in part (from its manifest), for the run summary."""
    from ground import fsutil

    fs, path = fsutil.filesystem(run_dir)
    manifest = fsutil.read_json(fs, fsutil.join(path, "manifest.json")) or {}
    return (manifest.get("contamination") or {}).get("partial") or []


def paid_line(paid: dict, cache_cost: float | None = None) -> str:
    """``paid $0.0200 this invocation, $0.0300 in earlier ones, $0.0500 for the run (the corpus cost above counts $0.0300
    of answers reused from the request cache)``: what the provider bills, apart from the corpus' cost."""
    earlier, total = paid.get("earlier_invocations"), paid.get("run_total")
    line = f"paid ${paid['this_invocation']:.4f} this invocation"
    if earlier:
        line += f", ${earlier:.4f} in earlier ones, ${total:.4f} for the run"
    elif earlier is None:
        line += " (earlier invocations of this run: not recorded)"
    if cache_cost:
        line += f" (the corpus cost above counts ${cache_cost:.4f} of answers reused from the request cache)"
    return line


def cost_line(c: dict) -> str:
    """``cost by stage: generate $0.06 (big $0.06: 60 GPU-s), verify:judge $1.0; GPUs busy 60/80 GPU-s reserved (75%)``"""
    teachers = ", ".join(f"{n} ${d['api_cost'] + d['gpu_cost'] + d.get('cache_cost', 0.0):.4f}"
                         + (f": {d['gpu_seconds']:.0f} GPU-s" if d["gpu_seconds"] else "")
                         + (f", ${d['cache_cost']:.4f} of it reused from the cache" if d.get("cache_cost") else "")
                         for n, d in c["generate"]["by_teacher"].items())
    parts = [f"generate ${c['generate']['total']:.4f}" + (f" ({teachers})" if teachers else "")]
    parts += [f"verify:{n} ${v:.4f}" for n, v in c["verify"].items() if v]
    g = c["gpu"]
    line = "cost by stage: " + ", ".join(parts)
    if g.get("reserved_gpu_seconds"):
        line += f"; GPUs busy {g['busy_gpu_seconds']:.0f}/{g['reserved_gpu_seconds']:.0f} GPU-s reserved ({100 * (g['utilisation'] or 0):.0f}%)"
    return line


def cmd_validate(a: argparse.Namespace) -> int:
    from factory.recipe import recipe_errors

    bad = 0
    for f in a.recipes:
        errs = recipe_errors(f)
        for e in errs:
            print(str(e), file=sys.stderr)
        bad += bool(errs)
        if not errs:
            print(f"{f}: ok")
    return 2 if bad else 0


def show_message(m: dict, head: str = "---") -> str:
    """One message for ``factory inspect``: its content, a catalogue's tool names, each call as name(arguments)."""
    role = m.get("role", "?") + (f" ({m['tool_call_id']})" if m.get("tool_call_id") else "")
    if m.get("tools"):
        role += "  [tools: " + ", ".join(str((t.get("function") or t).get("name")) for t in m["tools"] if isinstance(t, dict)) + "]"
    lines = [f"{head} {role}"] + ([f"<think>{m['reasoning_content']}</think>"] if m.get("reasoning_content") else [])
    lines += [str(m["content"])] if m.get("content") is not None else []
    for c in m.get("tool_calls") or []:
        fn = c.get("function") or {}
        lines.append(f"-> call {fn.get('name')}({fn.get('arguments')})" + (f"  id {c['id']}" if c.get("id") else ""))
    return "\n".join(lines)


def show_row(r: dict) -> str:
    """A row's prompt, reasoning and completion as ``factory inspect`` prints them; a tool-use trace turn by turn."""
    from ground.conversation import prompt_of, trace_of

    out = [show_message(m) for m in prompt_of(r)]
    if r.get("reasoning"):
        out.append(f"--- reasoning\n{r['reasoning']}")
    trace = trace_of(r)
    out.append("--- completion" + ("".join(f"\n{show_message(m, '  ·')}" for m in trace) if trace is not None
                                   else f"\n{r['completion']}"))
    return "\n".join(out)


def cmd_inspect(a: argparse.Namespace) -> int:
    from factory.store import RunStore

    store = RunStore.__new__(RunStore)
    from ground import fsutil

    store.uri = a.run_dir
    store.fs, store.path = fsutil.filesystem(a.run_dir)
    if not store.exists("manifest.json"):
        raise FactoryError(f"{a.run_dir}: not a run directory (no manifest.json)")
    from factory.run_schema import check_version

    status = check_version(store.read_json("manifest.json"), f"{a.run_dir}/manifest.json").get("status")
    if status == "running" and store.local_path() is not None and not store.held():
        print("note: the manifest says running but no process holds the run: it was killed; its outputs may be incomplete "
              "(re-run the same command to resume)", file=sys.stderr)
    elif status in ("failed", "interrupted", "stopped"):
        print(f"note: the run is {status}; its outputs may be incomplete (re-run the same command to resume)", file=sys.stderr)
    rows = store.read_parts("rejects" if a.rejects else "accepted").to_pylist()
    random.Random(a.seed).shuffle(rows)
    for r in rows[: a.n]:
        print("=" * 80)
        print(f"id {r['id']}  teacher {r['teacher']}  score {r['score']}  status {r['status']}"
              + (f"  [{r['reject_stage']}] {r['reject_reason']}" if r["status"] == "rejected" else ""))
        print(show_row(r))
    print(f"({min(a.n, len(rows))} of {len(rows)} {'rejected' if a.rejects else 'accepted'} rows)")
    return 0


#: subcommands implemented by a module's own ``main(argv)`` (their flags are theirs: `factory report -h`)
DELEGATED = {
    "report": ("factory.report", "regenerate report.html of a run directory"),
    "export": ("factory.export", "export curated rows: parquet|jsonl|chat|sharegpt|preference, with splits and a dataset card"),
    "serve": ("factory.serve", "OpenAI-compatible server over a local model (or a trained student)"),
    "export-model": ("students.export", "export a trained student: adapter, merged weights, model card"),
    "judge-calibrate": ("verifiers.judge_calibrate", "agreement of an LLM judge with a labelled set"),
    "submit": ("factory.submit", "run a recipe as a Ray job on a running cluster (token authentication handled)"),
    "decontam": ("curation.dedup.decontam_cli", "check any dataset (Parquet/JSONL) against benchmarks; JSON + text report"),
    "loop": ("factory.loop", "closed loop: the student's dev failures choose each next round's prompts, vs a random control"),
    "schema": ("factory.schema", "print the recipe JSON Schema (every registered plug-in), for editors' YAML completion"),
}


def _count(text: str) -> int:
    """A count argument: an integer >= 0 (``-n -3`` printed all rows but 3 and said "-3 of 40")."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="factory", description="Distillation and synthetic-data factory")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a recipe (resumes the same run if re-run)")
    r.add_argument("recipe")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--run-id", help="name the run explicitly (resume it if it exists)")
    g.add_argument("--fresh", action="store_true", help="start a new run instead of resuming")
    r.add_argument("--no-cache", action="store_true", help="ignore the request cache (pay for every call again)")
    r.add_argument("--skip-train", action="store_true")
    r.add_argument("--skip-eval", action="store_true")
    r.add_argument("--output-dir", help="override output.dir (local path or URI)")
    r.set_defaults(fn=cmd_run)
    v = sub.add_parser("validate", help="check recipes without running anything")
    v.add_argument("recipes", nargs="+")
    v.set_defaults(fn=cmd_validate)
    i = sub.add_parser("inspect", help="print random accepted (or rejected) samples")
    i.add_argument("run_dir")
    i.add_argument("-n", type=_count, default=5, help="rows to print (0 or more)")
    i.add_argument("--rejects", action="store_true")
    i.add_argument("--seed", type=int, default=0)
    i.set_defaults(fn=cmd_inspect)
    for name, (_, help_) in DELEGATED.items():
        sub.add_parser(name, help=help_, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # `factory inspect RUN | head`: the reader has all it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        return 0
    except FactoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a path a command was given that cannot be read or written: one line, not a traceback
        if {"-v", "--verbose"} & set(sys.argv[1:] if argv is None else argv):
            raise
        print(f"error: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), file=sys.stderr)
        return 2


def _main(argv: list[str]) -> int:
    lead = 0  # `factory -v export ...`: the global -v before a delegated command (was: "unrecognized arguments")
    while lead < len(argv) and argv[lead] in ("-v", "--verbose"):
        lead += 1
    if lead < len(argv) and argv[lead] in DELEGATED:
        import importlib

        _setup_logging(lead > 0 or "-v" in argv)
        return int(importlib.import_module(DELEGATED[argv[lead]][0]).main(argv[lead + 1:]) or 0)
    a = build_parser().parse_args(argv)
    _setup_logging(a.verbose)
    return a.fn(a)

if __name__ == "__main__":  # `python -m factory.cli ...` did nothing and exited 0
    sys.exit(main())
