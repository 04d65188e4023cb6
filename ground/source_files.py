"""Which files a source path names, and in which format: a file, a glob, a directory of files, a Hugging Face
dataset repository as downloaded from the Hub (Parquet or JSON Lines under ``data/``, ``main/``, ...), or a
directory written by ``datasets``' ``save_to_disk`` (Arrow files, one folder per split for a ``DatasetDict``).

    >>> from ground.source_files import source_files
    >>> [(f.name, fmt) for f, fmt in source_files(Path("data/distill_arith/train.jsonl"), "auto", None)]
    [('train.jsonl', 'jsonl')]
"""

from __future__ import annotations

import glob
import json
import os
import re
from pathlib import Path, PurePath

import pyarrow as pa
import pyarrow.ipc as ipc

from ground.errors import FactoryError

_DATA = (".jsonl", ".json", ".parquet", ".arrow")
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")
#: what ``datasets`` and the Hub keep beside the data (a save_to_disk folder's index, a cache folder's info): never rows
_META = {"dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json"}
#: split names a folder's files are checked for when no source.split is set: two of them are not one dataset
SPLITS = ("train", "validation", "valid", "dev", "test", "eval")


def kind_of(f: Path, fmt: str = "auto") -> str:
    """The reader for one file: the recipe's ``format``, else its extension (JSON Lines when unknown)."""
    if fmt != "auto":
        return fmt
    return {".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow"}.get(f.suffix.lower(), "jsonl")


def arrow_table(f: str | Path) -> pa.Table:
    """An Arrow IPC file (Feather v2) or stream (what ``datasets`` writes), memory-mapped: rows are not copied."""
    src = pa.memory_map(str(f))
    if src.read(6) == b"ARROW1":
        src.seek(0)
        return ipc.open_file(src).read_all()
    src.seek(0)
    return ipc.open_stream(src).read_all()


def source_files(path: Path, fmt: str, split: str | None, one_split: bool = False) -> list[tuple[Path, str]]:
    """(file, format) pairs in read order. ``path`` may hold glob characters (``**`` recurses). With ``one_split``,
    a folder whose files belong to several splits (train and test, ...) and no ``split`` given is refused."""
    if any(c in str(path) for c in "*?["):
        return [(p, kind_of(p, fmt)) for p in _globbed(str(path))]
    if not path.is_dir():
        return [(path, kind_of(path, fmt))]
    if (path / "dataset_dict.json").is_file():  # DatasetDict.save_to_disk: one Dataset folder per split
        path = path / _pick_split(path, split)
        split = None
    if (path / "state.json").is_file():  # Dataset.save_to_disk: the Arrow files state.json lists, in order
        return _saved(path, split)
    top = [f for f in sorted(path.iterdir()) if f.is_file() and _is_data(f) and _in_split(f.name, (), split)]
    found = [(f, kind_of(f, fmt)) for f in top] if top else _nested(path, fmt, split)
    if split and not found:
        names = sorted({f.name for f in _walk(path, None)})
        raise FactoryError(f"source.split: {path} has no files of split {split!r}" + (
            f" (its files: {', '.join(names[:4])}{', ...' if len(names) > 4 else ''})" if names else ""))
    if one_split and split is None:
        _one_split(path, [f for f, _ in found])
    return found


def _globbed(pattern: str) -> list[Path]:
    """The files a glob matches, each once. ``**`` follows folder links once each: ``glob`` follows them every time,
    so ``current -> v2`` named each file twice and a link to a parent beside another link never ended."""
    parts = pattern.split(os.sep)
    i = parts.index("**") if parts.count("**") == 1 else -1
    if i < 0 or any(p.startswith(".") for p in parts[i + 1:]):
        found = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())  # no **, or an unusual one
    else:
        head, rest = os.sep.join(parts[:i]) or ("/" if pattern.startswith(os.sep) else ""), os.sep.join(parts[i + 1:]) or "*"
        roots = sorted(glob.glob(head)) if any(c in head for c in "*?[") else [head or "."]
        found = sorted(f for r in roots if os.path.isdir(r) for f in _linked_walk(r) if PurePath(os.path.relpath(f, r)).match(rest))
    seen: set[str] = set()
    out = []
    for p in found:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            out.append(Path(p))
    return out


def _linked_walk(root: str) -> list[str]:
    """Every file below ``root`` but hidden ones, through folder links, each real folder entered once."""
    seen, out = {os.path.realpath(root)}, []
    for d, dirs, files in os.walk(root, followlinks=True):
        keep = []
        for n in sorted(dirs):
            real = os.path.realpath(os.path.join(d, n))
            if not n.startswith(".") and real not in seen:
                seen.add(real)
                keep.append(n)
        dirs[:] = keep
        out += [os.path.join(d, n) for n in files if not n.startswith(".") and os.path.isfile(os.path.join(d, n))]
    return out


def _saved(path: Path, split: str | None) -> list[tuple[Path, str]]:
    try:
        state = json.loads((path / "state.json").read_text())
        files = [path / d["filename"] for d in state["_data_files"]]
    except (ValueError, KeyError, TypeError) as e:
        raise FactoryError(f"source.path: {path / 'state.json'}: not a datasets save_to_disk state ({e})") from None
    saved = state.get("_split")
    if split and isinstance(saved, str) and saved != split:
        raise FactoryError(f"source.split: {path} is a saved Dataset of split {saved!r}, not {split!r}")
    return [(f, "arrow") for f in files]


def _one_split(path: Path, files: list[Path]) -> None:
    """Refuse a folder whose files name two or more splits: train and test read as one source is a leak."""
    rel = [f.relative_to(path) for f in files]
    named = [s for s in SPLITS if any(_in_split(r.name, r.parts[:-1], s) for r in rel)]
    if len(named) > 1:
        raise FactoryError(f"source.split: {path} holds files of splits {', '.join(named)}; set source.split to the one to read")


def _is_data(f: Path) -> bool:
    name = f.name.lower()
    if name in _META:
        return False
    return f.suffix.lower() in _DATA or name.endswith(tuple(f"{x}{c}" for x in (".jsonl", ".json", ".parquet") for c in COMPRESSED))


def _in_split(name: str, parts: tuple[str, ...], split: str | None) -> bool:
    """``train-00000-of-00001.parquet``, ``train.jsonl``, ``gsm8k-train.arrow`` (the datasets cache) or
    ``train/0000.parquet`` (the Hub's Parquet conversion) all belong to split ``train``."""
    if not split:
        return True
    # "train" is not "train_sft" nor "training": a split name followed by a letter (or _ and a letter) is another one
    starts = re.match(rf"{re.escape(split)}(?![^\W\d_]|_[^\W\d_])", name) is not None
    return starts or f"-{split}-" in name or f"-{split}." in name or split in parts


def _walk(path: Path, split: str | None) -> list[Path]:
    """The data files below ``path`` of ``split`` (any when None), hidden folders such as ``.git`` skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(root).relative_to(path).parts
        found += [Path(root) / n for n in sorted(files) if _is_data(Path(n)) and _in_split(n, rel, split)]
    return found


def _nested(path: Path, fmt: str, split: str | None) -> list[tuple[Path, str]]:
    """The data files below ``path`` (hidden folders such as ``.git`` and ``.cache`` skipped), from one folder only:
    files of several folders would be several configs or copies mixed into one run without a word."""
    found = _walk(path, split)
    folders = sorted({str(f.parent.relative_to(path)) for f in found})
    if len(folders) > 1:
        hint = "" if split else ", or set source.split (e.g. train)"
        raise FactoryError(f"source.path: {path} has data files in {len(folders)} folders ({', '.join(folders[:6])}"
                           f"{', ...' if len(folders) > 6 else ''}): point source.path at one of them{hint}, or name them "
                           f"all with a glob such as {path}/**/*.parquet")
    return [(f, kind_of(f, fmt)) for f in found]


def _pick_split(path: Path, split: str | None) -> str:
    try:
        splits = list(json.loads((path / "dataset_dict.json").read_text())["splits"])
    except (ValueError, KeyError, TypeError) as e:
        raise FactoryError(f"source.path: {path / 'dataset_dict.json'}: not a datasets save_to_disk index ({e})") from None
    if split is None and len(splits) == 1:
        return splits[0]
    if split not in splits:
        raise FactoryError(f"source.split: {path} is a saved DatasetDict with splits {', '.join(splits)}; "
                           + ("set source.split to one of them" if split is None else f"{split!r} is not one of them"))
    return split
