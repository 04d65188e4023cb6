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
shards), the final/best metrics and the eval table from the run's manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from ground.errors import FactoryError
from ground.licensing import card_section

log = logging.getLogger(__name__)


def data_hash(run_dir: Path) -> str:
    """sha256 over the accepted shards' names and bytes, in name order."""
    h = hashlib.sha256()
    for f in sorted((run_dir / "accepted").glob("*.parquet")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


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


def _eval_table(ev: dict | None) -> str:
    if not ev or not ev.get("table"):
        return "No eval was run."
    lines = ["| model | n | correct | accuracy |", "|---|---|---|---|"]
    lines += [f"| {m} | {v['n']} | {v['correct']} | {v['accuracy']:.3f} |" for m, v in ev["table"].items()]
    return "\n".join(lines) + (f"\n\nHeld-out prompts: `{ev.get('held_out')}`." if ev.get("held_out") else "")


def front_matter(base: str | None, method: str | None, library: str) -> str:
    """The Hub's YAML metadata block: base_model only as a Hub id (a bundled name is mapped to its id; a local
    path is no Hub id), licence lower-cased as the Hub spells SPDX ids, when the base model declares one."""
    import yaml

    from ground.models import ALIASES, model_license

    meta: dict = {}
    hub = next((k for k, v in ALIASES.items() if "/" in k and v == ALIASES.get(base or "", base)), None)
    if hub or (base and base.count("/") == 1 and not base.startswith((".", "~")) and not Path(base).exists()):
        meta["base_model"] = hub or base
    lic = model_license(base) if base else None
    if lic:
        meta["license"] = lic.lower()
    meta.update(library_name=library, pipeline_tag="text-generation",
                tags=["distill-factory", "distillation", *([str(method)] if method else [])])
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def model_card(manifest: dict, train_info: dict, adapter_cfg: dict | None, digest: str, which: str,
               library: str = "transformers") -> str:
    """The card: YAML front matter the Hub reads (see :func:`front_matter`), then the Markdown."""
    train_cfg = (manifest.get("recipe") or {}).get("train") or {}
    metrics = {k: v for k, v in (train_info.get("metrics") or {}).items() if isinstance(v, (int, float))}
    best = train_info.get("best")
    base = train_cfg.get("student") or train_info.get("student")
    parts = [
        front_matter(base, train_info.get("method", train_cfg.get("method")), library),
        f"# {manifest.get('recipe_name', 'student')} student ({train_info.get('method', train_cfg.get('method'))})",
        "",
        f"- **Base model:** `{base}`",
        f"- **Method:** {train_info.get('method', train_cfg.get('method'))}; exported weights: **{which}**"
        + (f" (step {best.get('step')}, eval_loss {best.get('eval_loss')})" if which == "best" and best else ""),
        f"- **Training data:** run `{manifest.get('run_id')}` of recipe `{manifest.get('recipe_name')}`, "
        f"{train_info.get('train_rows')} train / {train_info.get('val_rows')} validation rows; "
        f"accepted shards sha256 `{digest}`",
        f"- **Teacher:** `{((manifest.get('recipe') or {}).get('teacher') or {}).get('model')}`",
        "",
        "## Licence and provenance",
        card_section(manifest),
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
    return "\n".join(parts) + "\n"


def export_model(run_dir: str, out_dir: str, which: str = "final", merged: bool = True) -> Path:
    if "://" in run_dir:  # an object-store run dir: copy what the export reads to a local folder first
        from ground import fsutil

        fs, path = fsutil.filesystem(run_dir)
        with tempfile.TemporaryDirectory(prefix="factory-export-") as tmp:
            for sub in ("accepted", f"train/{'adapter' if which == 'final' else 'best'}"):
                if fsutil.exists(fs, fsutil.join(path, sub)):
                    fsutil.copy_tree(fsutil.join(run_dir, sub), str(Path(tmp) / sub))
            if fsutil.exists(fs, fsutil.join(path, "manifest.json")):
                (Path(tmp) / "manifest.json").write_text(json.dumps(fsutil.read_json(fs, fsutil.join(path, "manifest.json"))))
            return _export_local(tmp, out_dir, which, merged, label=run_dir)
    return _export_local(run_dir, out_dir, which, merged, label=run_dir)


def _export_local(run_dir: str, out_dir: str, which: str, merged: bool, label: str) -> Path:
    run = Path(run_dir)
    run_dir = label  # error messages name what the user passed
    mf = run / "manifest.json"
    if not mf.is_file():
        raise FactoryError(f"{run_dir}: not a run directory (no manifest.json)")
    manifest = json.loads(mf.read_text())
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
            if merged:
                _merge(train_info.get("student") or manifest["recipe"]["train"]["student"], src, stage / "merged")
        else:  # a full fine-tune is already the merged model
            shutil.copytree(src, stage / "merged", ignore=skip)
        library = "transformers" if (stage / "merged").is_dir() else "peft"
        card = model_card(manifest, train_info, adapter_cfg, data_hash(run), which, library)
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
    ap = argparse.ArgumentParser(prog="factory export-model", description="export a run's trained student")
    ap.add_argument("run_dir", help="runs/<recipe>/<run_id>")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--which", choices=["final", "best"], default="final", help="final model or best by validation loss")
    ap.add_argument("--no-merged", action="store_true", help="skip writing merged weights")
    a = ap.parse_args(argv)
    try:
        out = export_model(a.run_dir, a.out, a.which, merged=not a.no_merged)
    except FactoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"exported to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
