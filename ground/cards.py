"""What the dataset card and the model card share: metadata a Hub accepts, and text without local paths.

A declared licence (the recipe's ``source.license``/``teacher.license``, the model resolution, the benchmark
registry) goes into a card's YAML front matter under the Hub's identifier when it is one of the ids the Hub
lists (``ground/hub_licenses.txt``, matched without case: ``Apache-2.0`` -> ``apache-2.0``), else as
``other`` with a ``license_name``; nothing declared is ``unknown``. The card's text says which licence is
whose (``ground/licensing.py``).

    >>> hub_license("Apache-2.0"), hub_license("Llama 3.1 Community License"), hub_license("not declared")
    (('apache-2.0', None), ('other', 'llama-3.1-community-license'), ('unknown', None))
    >>> hide_local_paths("Source: `/home/ann/data/train.jsonl`, see https://example.org/a/b and ../data/x.jsonl")
    'Source: `.../train.jsonl`, see https://example.org/a/b and ../data/x.jsonl'
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

UNDECLARED = "not declared"
_HUB_IDS = Path(__file__).with_name("hub_licenses.txt")


@functools.lru_cache(maxsize=1)
def hub_license_ids() -> frozenset[str]:
    lines = _HUB_IDS.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def hub_license(declared: str | None) -> tuple[str, str | None]:
    """(the Hub's licence id, a ``license_name`` slug when the id is ``other``) for a declared licence."""
    text = (declared or "").strip()
    if not text or text == UNDECLARED:
        return "unknown", None
    if text.lower() in hub_license_ids():
        return text.lower(), None
    return "other", re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.") or "custom"


def license_metadata(declared: list[str | None], one: bool) -> dict:
    """Front-matter keys for the licences that apply, in order. ``one`` (a model card, whose ``license`` is one
    id): the single id they share, ``unknown`` when any of them was not declared, else ``other`` named after all of
    them; else (a dataset card) every id, a list when several (``unknown`` among them for one not declared), and a
    ``license_name`` naming the ``other`` ones among them (joined by ``-and-``).

    The Hub's model card spec: ``license`` is one of its ids (``unknown`` is one), ``license_name`` the id of an
    ``other`` licence (``my-license-1.0``). Was: an undeclared licence beside a declared one was glued into
    ``license_name: unknown-and-mit``, an id no licence has, which read as if the terms were known.

    >>> license_metadata(["MIT", "not declared"], one=True), license_metadata(["MIT", "not declared"], one=False)
    ({'license': 'unknown'}, {'license': ['mit', 'unknown']})
    """
    ids = list(dict.fromkeys(hub_license(d) for d in declared)) or [("unknown", None)]
    if one and ("unknown", None) in ids:  # the terms of what was not declared are not known, nor then the model's
        return {"license": "unknown"}
    if one and len(ids) > 1:
        return {"license": "other", "license_name": "-and-".join(name or lid for lid, name in ids)}
    lic = list(dict.fromkeys(lid for lid, _ in ids))
    # every `other` licence is named (was: only when it was the one, so two teachers' terms left license_name out)
    names = [name for _, name in ids if name]
    return {"license": lic[0] if len(lic) == 1 else lic, **({"license_name": "-and-".join(names)} if names else {})}


def front_matter(meta: dict) -> str:
    """The YAML block a Hub reads at the top of a README.md."""
    import yaml

    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


_HUB_CACHE = re.compile(r"datasets--([\w.-]+?)--([\w.-]+)(?:/|$)")
HUB_REPO = re.compile(r"[\w.-]+/[\w.-]+")


def hub_dataset_id(path: str | None) -> str | None:
    """The Hub id of a dataset read from the Hub's cache layout (``.../datasets--openai--gsm8k/snapshots/...``)."""
    m = _HUB_CACHE.search(path or "")
    return f"{m.group(1)}/{m.group(2)}" if m else None


#: an absolute or home-relative local path of two parts or more (a URL's path is not one: ``//`` and ``:`` before it)
_LOCAL_PATH = re.compile(r"(?<![\w.:/~-])~?/(?:[^\s`'\"()\[\]{}<>|,;:*/\\]+/)+([^\s`'\"()\[\]{}<>|,;:*/\\]+)")


def hide_local_paths(text: str) -> str:
    """``text`` with every absolute local path shortened to ``.../NAME``: a card is published, and the folders of
    the machine that made it (user names, mount points) are no part of it."""
    return _LOCAL_PATH.sub(lambda m: ".../" + m.group(1), text)
