"""Export a trained student: adapter, merged safetensors weights and a model card.

    >>> from students.export import export_model
    >>> card = export_model("runs/gsm8k_demo/<run_id>", "out/gsm8k-student")
    # out/gsm8k-student/adapter/      LoRA adapter (absent for a full fine-tune)
    # out/gsm8k-student/merged/       base + adapter merged, model.safetensors + tokenizer
    # out/gsm8k-student/README.md     model card

Command line (wired as ``factory export-model RUN_DIR --out DIR``)::

    python -m students.export runs/gsm8k_demo/<run_id> --out out/gsm8k-student [--which best] [--no-merged]

The card names the base model, the method and its hyperparameters (the recipe's ``train``
section), the adapter config, the training data (run id and a sha256 over the accepted Parquet
shards), the final/best metrics and the eval table from the run's manifest. It starts with YAML front matter a
Hub accepts: ``license`` from what the run declared (student, source, teachers; ground/cards.py), ``base_model`` and
``datasets`` by Hub id when known (``--dataset ORG/NAME``); local paths in it are shortened to their last part.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from ground.cli_parser import ArgumentParser
from ground.errors import FactoryError
from ground.cards import HUB_REPO, UNDECLARED, front_matter, hide_local_paths, hub_dataset_id
from ground.licensing import card_metadata, card_section

log = logging.getLogger(__name__)


def data_hash(run_dir: Path) -> str:
    """sha256 over the accepted shards' names and bytes, in name order."""
    h = hashlib.sha256()
    for f in sorted((run_dir / "accepted").glob("*.parquet")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def rows_by_teacher(run_dir: Path) -> dict[str, int]:
    """Accepted rows (the training data) per teacher name."""
    import pyarrow.parquet as pq

    out: dict[str, int] = {}
    for f in sorted((run_dir / "accepted").glob("*.parquet")):
        for name in pq.read_table(f, columns=["teacher"]).column("teacher").to_pylist():
            out[str(name)] = out.get(str(name), 0) + 1
    return out


def _teachers_line(recipe: dict, by_teacher: dict[str, int] | None) -> str:
    """Every teacher of the recipe (``teacher`` and ``teachers``: route, fallback) with the accepted rows it wrote.
    Was: the first teacher's model only, as if it had written all the training data."""
    teachers = [recipe.get("teacher") or {}, *(recipe.get("teachers") or [])]
    named = {t.get("name") for t in teachers}
    parts = [f"`{t.get('model')}`" + (f" (`{t.get('name')}`, {by_teacher.get(str(t.get('name')), 0)} accepted rows)"
                                      if by_teacher is not None and len(teachers) > 1 else "") for t in teachers]
    parts += [f"`{name}` (not in the recipe, {n} accepted rows)" for name, n in sorted((by_teacher or {}).items()) if name not in named]
    return ", ".join(parts)


def _merge(base: str, adapter: Path, out: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ground.models import resolve_model

    model = AutoModelForCausalLM.from_pretrained(resolve_model(base), dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged.save_pretrained(str(out), safe_serialization=True)
    AutoTokenizer.from_pretrained(str(adapter)).save_pretrained(str(out))
    from ground.fsutil import umask

    mask = umask()
    for f in out.iterdir():  # transformers writes the weights through a private temp file (0600): share them like the rest
        if f.is_file():
            f.chmod(0o666 & ~mask)


def _portable_base(path: Path, cfg: dict, student: str) -> dict:
    """The exported adapter's ``base_model_name_or_path`` as the student's Hub id when it has one. Was: the folder
    the base model was loaded from on the training machine (a model cache under the user's home), which
    ``AutoPeftModelForCausalLM`` elsewhere cannot find and which names that machine's paths."""
    from ground.models import hub_id

    base = hub_id(student)
    if base is None or cfg.get("base_model_name_or_path") == base:
        return cfg
    cfg = {**cfg, "base_model_name_or_path": base}
    path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return cfg


def _unit(train_info: dict, train_cfg: dict) -> str:
    """What ``train_rows``/``val_rows`` count: DPO splits its preference pairs (students/dpo.py), not rows. Was:
    "rows" for every method, so a DPO card gave its pair counts as row counts."""
    return "preference pairs" if train_info.get("method", train_cfg.get("method")) == "dpo" else "rows"


def _eval_table(ev: dict | None) -> str:
    if not ev or not ev.get("table"):
        return "No eval was run."
    lines = ["| model | n | correct | accuracy |", "|---|---|---|---|"]
    lines += [f"| {m} | {v['n']} | {v['correct']} | {v['accuracy']:.3f} |" for m, v in ev["table"].items()]
    return "\n".join(lines) + (f"\n\nHeld-out prompts: `{ev.get('held_out')}`." if ev.get("held_out") else "")


def model_card(manifest: dict, train_info: dict, adapter_cfg: dict | None, digest: str, which: str,
               datasets: tuple[str, ...] = (), library: str = "transformers", by_teacher: dict[str, int] | None = None) -> str:
    """README.md of an exported student: YAML front matter a Hub accepts (``license`` from what the run declared,
    ``base_model`` when the student has a Hub id), then the card; absolute local paths shortened to their name.
    Was: no front matter at all (a Hub showed no licence and no base model) and local paths (a student or teacher
    given as a folder, the source file) were printed whole."""
    from ground.models import hub_id, model_license

    train_cfg = (manifest.get("recipe") or {}).get("train") or {}
    metrics = {k: v for k, v in (train_info.get("metrics") or {}).items() if isinstance(v, (int, float))}
    best = train_info.get("best")
    student = train_cfg.get("student") or train_info.get("student")
    if student and not (manifest.get("licenses") or {}).get("student") and manifest.get("licenses"):  # a run made before
        declared = model_license(student)  # the manifest recorded the student's licence: resolve it now
        manifest = {**manifest, "licenses": {**manifest["licenses"], "student": {
            "model": student, "license": declared or UNDECLARED, "from": "model resolution" if declared else None}}}
    meta = card_metadata(manifest, student=True)
    base = hub_id(student) if student else None
    meta.update({"base_model": base} if base else {})
    src = hub_dataset_id(((manifest.get("recipe") or {}).get("source") or {}).get("path"))  # a Hub download's id
    data = list(dict.fromkeys([*datasets, *([src] if src else [])]))
    meta.update({"datasets": data} if data else {})
    meta.update(library_name=library, pipeline_tag="text-generation", tags=["distill-factory", "distillation", str(train_info.get("method", train_cfg.get("method")))])
    parts = [
        front_matter(meta).rstrip("\n"),
        f"# {manifest.get('recipe_name', 'student')} student ({train_info.get('method', train_cfg.get('method'))})",
        "",
        f"- **Base model:** `{student}`",
        f"- **Method:** {train_info.get('method', train_cfg.get('method'))}; exported weights: **{which}**"
        + (f" (step {best.get('step')}, eval_loss {best.get('eval_loss')})" if which == "best" and best else ""),
        f"- **Training data:** run `{manifest.get('run_id')}` of recipe `{manifest.get('recipe_name')}`, "
        f"{train_info.get('train_rows')} train / {train_info.get('val_rows')} validation {_unit(train_info, train_cfg)}; "
        f"accepted shards sha256 `{digest}`",
        f"- **Teacher{'s' if (manifest.get('recipe') or {}).get('teachers') else ''}:** {_teachers_line(manifest.get('recipe') or {}, by_teacher)}",
        "",
        "## Licence and provenance",
        card_section(manifest, student=True),
        "",
        "## Hyperparameters",
        "```json",
        json.dumps(train_cfg, indent=2, sort_keys=True),
        "```",
        "## Adapter config",
        "```json\n" + json.dumps(adapter_cfg, indent=2, sort_keys=True) + "\n```" if adapter_cfg else "Full fine-tune: no adapter.",
        "## Training metrics",
        "\n".join(f"- {k}: {v:.4g}" if isinstance(v, float) else f"- {k}: {v}" for k, v in sorted(metrics.items())) or "none",
        "## Eval",
        _eval_table(manifest.get("eval")),
        "",
        f"Versions: `{json.dumps(manifest.get('versions', {}), sort_keys=True)}`",
    ]
    return hide_local_paths("\n".join(parts) + "\n")


def export_model(run_dir: str, out_dir: str, which: str = "final", merged: bool = True, datasets: tuple[str, ...] = ()) -> Path:
    bad = [d for d in datasets if not HUB_REPO.fullmatch(d)]
    if bad:
        raise FactoryError(f"--dataset {bad[0]!r}: not a Hub dataset id (ORG/NAME)")
    if "://" in run_dir:  # an object-store run dir: copy what the export reads to a local folder first
        from ground import fsutil

        fs, path = fsutil.filesystem(run_dir)
        with tempfile.TemporaryDirectory(prefix="factory-export-") as tmp:
            for sub in ("accepted", f"train/{'adapter' if which == 'final' else 'best'}"):
                if fsutil.exists(fs, fsutil.join(path, sub)):
                    fsutil.copy_tree(fsutil.join(run_dir, sub), str(Path(tmp) / sub))
            if fsutil.exists(fs, fsutil.join(path, "manifest.json")):
                (Path(tmp) / "manifest.json").write_text(json.dumps(fsutil.read_json(fs, fsutil.join(path, "manifest.json"))))
            return _export_local(tmp, out_dir, which, merged, label=run_dir, datasets=datasets)
    return _export_local(run_dir, out_dir, which, merged, label=run_dir, datasets=datasets)


def _export_local(run_dir: str, out_dir: str, which: str, merged: bool, label: str, datasets: tuple[str, ...] = ()) -> Path:
    run = Path(run_dir)
    run_dir = label  # error messages name what the user passed
    mf = run / "manifest.json"
    if not mf.is_file():
        raise FactoryError(f"{run_dir}: not a run directory (no manifest.json)")
    from ground import fsutil

    manifest = fsutil.read_json(*fsutil.filesystem(str(mf)))  # a cut file: one line naming it
    if not isinstance(manifest, dict):
        raise FactoryError(f"{run_dir}/manifest.json: not a JSON object (a {type(manifest).__name__}); the file is damaged")
    train_info = manifest.get("train") or {}
    if train_info.get("status") != "done":
        raise FactoryError(f"{run_dir}: no finished training in this run (train status: {train_info.get('status')})")
    src = run / "train" / ("adapter" if which == "final" else "best")
    if not src.is_dir():
        raise FactoryError(f"{run_dir}: no {which} model at train/{src.name}" + (" (best needs validation rows)" if which == "best" else ""))
    out = Path(out_dir)
    o, r = out.resolve(), run.resolve()
    if o == r or o in r.parents or o == r / "train" or r / "train" in o.parents:  # its adapter/ and merged/ are replaced
        raise FactoryError(f"--out: {out_dir} holds the run's own model (train/{src.name}); choose a folder outside "
                           f"the run or a new one in it")
    out.mkdir(parents=True, exist_ok=True)
    adapter_cfg = json.loads((src / "adapter_config.json").read_text()) if (src / "adapter_config.json").exists() else None
    skip = shutil.ignore_patterns("log_history.json", "final.json", "best.json", "README.md")
    # built in a staging folder, then moved into place: a failed export (a merge that cannot load the base model,
    # a full disk) leaves the folder as it was, never an earlier card next to half of this export's weights
    stage = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
    try:
        if adapter_cfg is not None:
            shutil.copytree(src, stage / "adapter", ignore=skip)
            student = train_info.get("student") or manifest["recipe"]["train"]["student"]
            adapter_cfg = _portable_base(stage / "adapter" / "adapter_config.json", adapter_cfg, student)
            if merged:
                _merge(student, src, stage / "merged")
        else:  # a full fine-tune is already the merged model
            shutil.copytree(src, stage / "merged", ignore=skip)
        library = "transformers" if (stage / "merged").is_dir() else "peft"
        card = model_card(manifest, train_info, adapter_cfg, data_hash(run), which, datasets, library, rows_by_teacher(run))
        (stage / "README.md").write_text(card, encoding="utf-8")
        if (stage / "merged").is_dir():  # the merged folder is what gets served or uploaded alone: its licence travels with it
            (stage / "merged" / "README.md").write_text(card, encoding="utf-8")
        for sub in ("adapter", "merged"):  # an earlier export's folders: none may survive next to this model's card
            shutil.rmtree(out / sub, ignore_errors=True)
        for f in sorted(stage.iterdir()):
            f.replace(out / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log.info("exported %s model of %s to %s", which, run_dir, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="factory export-model", description="export a run's trained student")
    ap.add_argument("run_dir", help="runs/<recipe>/<run_id>")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--which", choices=["final", "best"], default="final", help="final model or best by validation loss")
    ap.add_argument("--no-merged", action="store_true", help="skip writing merged weights")
    ap.add_argument("--dataset", action="append", default=[], metavar="ORG/NAME",
                    help="Hub id of the training data (e.g. where `factory export` output was pushed): the card's datasets")
    a = ap.parse_args(argv)
    try:
        out = export_model(a.run_dir, a.out, a.which, merged=not a.no_merged, datasets=tuple(a.dataset))
    except FactoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"exported to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
