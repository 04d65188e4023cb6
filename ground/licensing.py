"""Licence and provenance of a run: the source data, the teachers (distilled outputs inherit their
licence or terms of use) and the benchmarks decontamination checked, with how much of each it covered.

Everything comes from the recipe (``source.license``, ``teacher.license``), the model resolution
(:func:`ground.models.model_license`) and the benchmark registry; nothing here knows a licence by name.
The manifest stores :func:`licenses`; the dataset card and the model card render :func:`card_section`.

    >>> from factory.recipe import load_recipe
    >>> lic = licenses(load_recipe("recipes/gsm8k_demo.yaml"))
    >>> lic["source"]["license"], lic["teachers"][0]["license"]
    ('MIT', 'Apache-2.0')
"""

from __future__ import annotations

from ground.cards import UNDECLARED, license_metadata


def licenses(recipe) -> dict:
    """Source and teacher licences of ``recipe`` (a :class:`factory.recipe.Recipe`) for the manifest."""
    from ground.models import model_license

    teachers = []
    for t in recipe.all_teachers().values():
        declared = t.license or model_license(t.model)
        teachers.append({"name": t.name, "model": t.model, "license": declared or UNDECLARED,
                         "from": "recipe" if t.license else ("model resolution" if declared else None)})
    out = {"source": {"path": recipe.source.path, "license": recipe.source.license or UNDECLARED}, "teachers": teachers}
    if recipe.train is not None:  # the student's own terms: its weights are what a model card publishes
        declared = model_license(recipe.train.student)
        out["student"] = {"model": recipe.train.student, "license": declared or UNDECLARED,
                          "from": "model resolution" if declared else None}
    return out


def declared(manifest: dict, student: bool = False) -> list[str]:
    """Every licence that applies to a run's data (source, teachers), with the student's first when ``student``."""
    lic = manifest.get("licenses") or {}
    out = [(lic.get("student") or {}).get("license", UNDECLARED)] if student and lic.get("student") else []
    return out + [(lic.get("source") or {}).get("license", UNDECLARED)] + [t.get("license", UNDECLARED) for t in lic.get("teachers") or []]


def card_metadata(manifest: dict, student: bool = False) -> dict:
    """The ``license`` (and ``license_name``) keys of a card's front matter, from what the run declared."""
    return license_metadata(declared(manifest, student), one=student)


def card_section(manifest: dict, student: bool = False) -> str:
    """Markdown: licences of the data and its teachers (with ``student``, the base model's first), and the
    benchmarks checked with their coverage."""
    lic = manifest.get("licenses") or {}
    src = lic.get("source") or {}
    base = lic.get("student") if student else None
    lines = [f"- Base model `{base['model']}`: licence **{base['license']}**" + (f" (from the {base['from']})" if base.get("from") else "")
             + "; the exported weights derive from it."] if base else []
    if student and lic:
        lines[:0] = _unknown_line(lic)
    lines.append(f"- Prompts: `{src.get('path')}`, licence **{src.get('license', UNDECLARED)}**."
                 + (" **WARNING: the prompts' licence was not declared (recipe: source.license); check it before publishing.**"
                    if src.get("license", UNDECLARED) == UNDECLARED else ""))  # was said for the teacher's terms only
    for t in lic.get("teachers") or []:
        lines.append(f"- Completions by teacher `{t['name']}` (`{t['model']}`): licence or terms of use **{t['license']}**"
                     + (f" (from the {t['from']})" if t.get("from") else "") + "; distilled outputs inherit them."
                     + (" **WARNING: the teacher's terms were not declared (recipe: teacher.license); check them before "
                        "publishing.**" if t["license"] == UNDECLARED else ""))
    if not lic:
        lines = [f"- Licences were not recorded by this run ({UNDECLARED}): check the source and the teacher's terms."]
    decon = manifest.get("contamination") or {}
    bench = decon.get("benchmarks")
    if bench:
        lines.append("")
        lines.append("Benchmarks checked for contamination (items covered of the declared size):")
        lines += [f"- {c['line']}, licence {c.get('license')}, {(decon.get('per_benchmark') or {}).get(c['name'], {}).get('rows', 0)} "
                  "contaminated rows removed" + (f"; checked by {', '.join(c['checks'])}" if c.get("checks") else "") for c in bench]
        lines += [f"- **WARNING: partial decontamination** -- {line}: the other items were not checked." if line.endswith("(PARTIAL)")
                  else f"- **WARNING: decontamination against a modified benchmark copy** -- {line}: rows were checked against "
                  "this copy's items, not the declared ones." for line in decon.get("partial") or []]
    elif decon:
        lines += ["", "Decontamination ran, but this run did not record which benchmarks it covered."]
    else:
        lines += ["", "No benchmark decontamination was configured."]
    return "\n".join(lines)


def _unknown_line(lic: dict) -> list[str]:
    """A model card's line saying why its ``license`` is ``unknown``: whose licence was not declared, and the declared
    ones (the metadata holds one id, so a declared licence beside an undeclared one has no place there)."""
    base, src = lic.get("student") or {}, lic.get("source") or {}
    who = ([(f"base model `{base.get('model')}`", base.get("license", UNDECLARED))] if base else []) \
        + [(f"the prompts (`{src.get('path')}`)", src.get("license", UNDECLARED))] \
        + [(f"teacher `{t.get('name')}`", t.get("license", UNDECLARED)) for t in lic.get("teachers") or []]
    unknown = [w for w, v in who if not v or v == UNDECLARED]
    if not unknown:
        return []
    named = unknown[0] if len(unknown) == 1 else ", ".join(unknown[:-1]) + " and " + unknown[-1]
    known = [f"{v} ({w})" for w, v in who if v and v != UNDECLARED]
    return [f"- Licence metadata: **unknown**: the licence{'s' if len(unknown) > 1 else ''} of {named} "
            f"{'were' if len(unknown) > 1 else 'was'} not declared, so the terms that apply to this model are not known"
            + (f"; declared: {', '.join(known)}." if known else ".")]
