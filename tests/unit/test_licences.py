"""Licence and provenance: source and teacher licences reach the manifest and both cards, with the
benchmarks checked and how much of each was covered; a partial benchmark is loud everywhere."""

from __future__ import annotations

import json

import yaml

from curation.dedup.benchmarks import shared_data_file
from curation.dedup.decontam import DecontamConfig, benchmark_coverage, contamination_report
from curation.dedup.template_match import THRESHOLD
from factory.export import dataset_card
from ground.licensing import licenses
from factory.recipe import load_recipe, recipe_errors
from factory.report import render
from students.export import model_card
from tests.conftest import ROOT


def recipe_file(tmp_path, **changes) -> str:
    doc = yaml.safe_load((ROOT / "recipes" / "gsm8k_demo.yaml").read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        doc[section][field] = value
    for part in ("source", "eval"):  # keep paths valid from the temporary directory
        src = doc[part]["source"] if part == "eval" else doc[part]
        src["path"] = str((ROOT / "recipes" / src["path"]).resolve())
    doc["prompt"]["template"] = str((ROOT / "recipes" / doc["prompt"]["template"]).resolve())
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(doc))
    return str(p)


def test_licences_from_recipe_and_model_resolution(tmp_path):
    lic = licenses(load_recipe(str(ROOT / "recipes" / "gsm8k_demo.yaml")))
    assert lic["source"]["license"] == "MIT"
    assert lic["teachers"] == [{"name": "smollm2-135m", "model": "smollm2-135m-instruct", "license": "Apache-2.0", "from": "model resolution"}]
    # the recipe's own declaration wins; an undeclared source says so instead of guessing
    lic = licenses(load_recipe(recipe_file(tmp_path, teacher__license="Custom Terms v2", source__license=None)))
    assert lic["teachers"][0]["license"] == "Custom Terms v2" and lic["teachers"][0]["from"] == "recipe"
    assert lic["source"]["license"] == "not declared"


def test_cards_render_licences_and_coverage_without_hard_coded_text(tmp_path):
    cov = benchmark_coverage(DecontamConfig(benchmarks=["gsm8k_test"]))
    manifest = {"recipe_name": "x", "run_id": "r1", "recipe": {"teacher": {"model": "m"}, "train": {"student": "s"}},
                "licenses": {"source": {"path": "d.jsonl", "license": "CC-BY-4.0"},
                             "teachers": [{"name": "t", "model": "m", "license": "Llama 3.1 Community License", "from": "recipe"}]},
                "contamination": contamination_report([], coverage=cov + [dict(cov[0], name="other", complete=False,
                                                                             line="other: 300 of 1,319 items (PARTIAL)")])}
    card = dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    mcard = model_card(manifest, {"method": "sft", "train_rows": 3}, None, "abc", "final")
    for text in (card, mcard):
        assert "licence **CC-BY-4.0**" in text and "terms of use **Llama 3.1 Community License** (from the recipe)" in text
        assert "- gsm8k_test: 1,319 of 1,319 items (complete), licence MIT, 0 contaminated rows removed" in text
        assert "**WARNING: partial decontamination** -- other: 300 of 1,319 items (PARTIAL)" in text
        assert "GSM8K: MIT" not in text


def test_partial_benchmark_fails_validation_unless_allowed_and_shows_in_report(tmp_path):
    part = tmp_path / "first300.jsonl"
    part.write_text("".join(shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:300]))
    bad = recipe_file(tmp_path, dedup__decontam={"benchmarks": [{"name": "gsm8k_test", "path": str(part)}], "compare": "prompt"})
    errs = [str(e) for e in recipe_errors(bad)]
    assert len(errs) == 1 and "dedup.decontam" in errs[0] and "gsm8k_test: 300 of 1,319 items (PARTIAL)" in errs[0], errs
    ok = recipe_file(tmp_path, dedup__decontam={"benchmarks": [{"name": "gsm8k_test", "path": str(part)}], "compare": "prompt",
                                                "allow_partial": True})
    assert recipe_errors(ok) == []
    cov = benchmark_coverage(DecontamConfig(benchmarks=[{"name": "gsm8k_test", "path": str(part)}], allow_partial=True))
    html = render({"contamination": contamination_report([], coverage=cov)}, {}, [])
    assert "<b>Decontamination was PARTIAL:</b> gsm8k_test: 300 of 1,319 items (PARTIAL)" in html
    assert f"<td>300 of 1,319 items (PARTIAL)</td><td>13-gram (items of &gt;= 8 words), exact copies (and short items&#x27; arithmetic), content-word 9-gram, template matching &gt;= {THRESHOLD:g}</td><td>MIT</td><td>0</td>" in html
    assert json.loads(json.dumps(cov))[0]["items"] == 300


def _front(text: str) -> dict:
    assert text.startswith("---\n"), text[:80]
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def test_cards_carry_hub_licence_metadata_base_model_and_no_local_paths(tmp_path):
    """Was: the model card had no front matter (a Hub showed no licence and no base model), the dataset card's had
    no licence, the student's own licence was recorded nowhere, and local paths (a source file, a teacher given as a
    folder) were printed whole in both cards."""
    from huggingface_hub import DatasetCard, ModelCard

    lic = licenses(load_recipe(str(ROOT / "recipes" / "gsm8k_demo.yaml")))
    assert lic["student"] == {"model": "smollm2-135m-instruct", "license": "Apache-2.0", "from": "model resolution"}
    cov = benchmark_coverage(DecontamConfig(benchmarks=["gsm8k_test"]))
    manifest = {"recipe_name": "x", "run_id": "r1",
                "recipe": {"teacher": {"model": "/home/ann/models/teacher-7b"}, "train": {"student": "smollm2-135m-instruct"},
                           "source": {"path": "/home/ann/private/prompts.jsonl"}},
                "licenses": {**lic, "source": {"path": "/home/ann/private/prompts.jsonl", "license": "CC-BY-4.0"},
                             "teachers": [{"name": "t", "model": "/home/ann/models/teacher-7b", "license": "Llama 3.1 Community License",
                                           "from": "recipe"}]},
                "contamination": contamination_report([], coverage=cov)}
    card = dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    assert _front(card)["license"] == ["cc-by-4.0", "other"] and _front(card)["license_name"] == "llama-3.1-community-license"
    assert _front(card)["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": "train.jsonl"}]}]
    assert DatasetCard(card).data.license == ["cc-by-4.0", "other"]
    mcard = model_card(manifest, {"method": "sft", "train_rows": 3}, None, "abc", "final")
    meta = ModelCard(mcard).data
    assert (meta.license, meta.license_name, meta.base_model) == (
        "other", "apache-2.0-and-cc-by-4.0-and-llama-3.1-community-license", "HuggingFaceTB/SmolLM2-135M-Instruct")
    assert "- Base model `smollm2-135m-instruct`: licence **Apache-2.0** (from the model resolution)" in mcard
    for text in (card, mcard):
        assert "/home/ann" not in text and "`.../prompts.jsonl`, licence **CC-BY-4.0**" in text and "(`.../teacher-7b`)" in text
    # one licence everywhere is that licence; nothing declared is unknown, never a guess; a local student has no base_model
    same = {**manifest, "licenses": {"student": {"model": "/home/ann/s", "license": "MIT"}, "source": {"license": "mit"},
                                     "teachers": [{"name": "t", "model": "m", "license": "MIT"}]},
            "recipe": {"train": {"student": "/home/ann/s"}}}
    meta = _front(model_card(same, {"method": "sft"}, None, "abc", "final"))
    assert meta["license"] == "mit" and "license_name" not in meta and "base_model" not in meta
    snap = "/home/ann/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/7ae5"  # the Hub cache layout
    meta = _front(model_card({**same, "recipe": {"train": {"student": snap}}}, {"method": "sft"}, None, "abc", "final"))
    assert meta["base_model"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert _front(dataset_card({"recipe_name": "x"}, {}, "parquet", {"train": 1.0}, {"train": 1}, 0, None))["license"] == "unknown"


def test_a_local_model_s_licence_is_its_card_front_matter_and_undeclared_terms_are_a_warning(tmp_path):
    """Was: the licence of a model given as a local folder was the first line starting "license:" before any
    "---" (a card without front matter: a line of its prose), quotes kept, and "other" for a licence the card names;
    a teacher whose terms nobody declared read like any other licence in the cards."""
    from ground.models import model_license

    m = tmp_path / "m"
    m.mkdir()
    for readme, want in [('---\nlicense: "apache-2.0"\n---\n# M\n', "apache-2.0"),
                         ("---\nlicense: other\nlicense_name: deepseek\nlicense_link: LICENSE\n---\n", "deepseek"),
                         ("# M\nlicense: see the paper\n---\n", None), ("---\nlicense: [mit, cc-by-4.0]\n---\n", "mit, cc-by-4.0"),
                         ("---\nlicense: [unclosed\n---\n", None)]:
        (m / "README.md").write_text(readme, encoding="utf-8")
        assert model_license(str(m)) == want, readme
    manifest = {"licenses": {"source": {"path": "d.jsonl", "license": "MIT"},
                             "teachers": [{"name": "api", "model": "gpt-x", "license": "not declared", "from": None}]}}
    card = dataset_card(manifest, {}, "jsonl", {"train": 1.0}, {"train": 1}, 0, None)
    assert ("- Completions by teacher `api` (`gpt-x`): licence or terms of use **not declared**; distilled outputs inherit them. "
            "**WARNING: the teacher's terms were not declared (recipe: teacher.license); check them before publishing.**") in card
    assert _front(card)["license"] == ["mit", "unknown"]


def test_an_altered_full_size_copy_is_called_modified_not_partial_in_the_report_and_cards(tmp_path):
    """A copy with every item but other content (a changed answer) was announced as 'PARTIAL decontamination ...
    the other items were not checked' in the HTML report, the console and the cards: no item was missing."""
    from curation.dedup.benchmarks import incomplete_warning
    from ground.licensing import card_section

    lines = shared_data_file("gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    rec = json.loads(lines[0])
    rec["answer"] = rec["answer"] + " (edited)"
    altered = tmp_path / "altered.jsonl"
    altered.write_text("".join([json.dumps(rec) + "\n", *lines[1:]]))
    cov = benchmark_coverage(DecontamConfig(benchmarks=[{"name": "gsm8k_test", "path": str(altered)}], allow_partial=True))
    line = cov[0]["line"]
    assert line == "gsm8k_test: 1,319 of 1,319 items (MODIFIED: content hash differs)"
    assert incomplete_warning(line) == "decontamination used a MODIFIED benchmark copy"
    html = render({"contamination": contamination_report([], coverage=cov)}, {}, [])
    assert f"<b>Decontamination used a MODIFIED benchmark copy:</b> {line}" in html and "PARTIAL" not in html
    text = card_section({"contamination": contamination_report([], coverage=cov)})
    assert "**WARNING: decontamination against a modified benchmark copy** -- " + line in text and "partial" not in text.lower()


def test_reports_and_cards_say_which_checks_looked_at_each_benchmark(tmp_path):
    """Coverage said how many items of each benchmark were checked, not with what: template matching is on for
    gsm8k_test (and copies of it) and off for other benchmarks by default, embeddings only when asked, so a card
    reading 'gsm8k_test ... humaneval ...' told a reader nothing of how far a rewritten copy would get."""
    from curation.dedup.decontam_cli import main as decontam_main
    from ground.licensing import card_section

    cfg = DecontamConfig(benchmarks=["gsm8k_test", "humaneval"], masked=True)
    cov = benchmark_coverage(cfg)
    common = ["13-gram (items of >= 8 words)", "exact copies (and short items' arithmetic)", "content-word 9-gram", "masked 3-grams >= 0.2"]
    assert [c["checks"] for c in cov] == [[*common, f"template matching >= {THRESHOLD:g}"], common]
    cov2 = benchmark_coverage(DecontamConfig(benchmarks=["gsm8k_test"], template=False, embedding=True, embedding_confirm="masked"))
    assert cov2[0]["checks"] == [*common[:3], "embedding cos >= 0.9 + masked confirm"]
    text = card_section({"contamination": contamination_report([], coverage=cov)})
    assert ("- humaneval: 164 of 164 items (complete), licence MIT, 0 contaminated rows removed; checked by 13-gram (items of "
            ">= 8 words), exact copies (and short items' arithmetic), content-word 9-gram, masked 3-grams >= 0.2") in text
    html = render({"contamination": contamination_report([], coverage=cov)}, {}, [])
    assert "<th>checked by</th>" in html and f"masked 3-grams &gt;= 0.2, template matching &gt;= {THRESHOLD:g}" in html
    (tmp_path / "c.jsonl").write_text(json.dumps({"q": "How many legs does a spider have?"}) + "\n")
    assert decontam_main([str(tmp_path / "c.jsonl"), "--field", "q", "--benchmarks", "gsm8k_test", "--out", str(tmp_path / "rep")]) == 0
    rep = (tmp_path / "rep" / "decontam_report.txt").read_text(encoding="utf-8")
    assert f"    checked by: 13-gram (items of >= 8 words), exact copies (and short items' arithmetic), content-word 9-gram, template matching >= {THRESHOLD:g}" in rep
    assert json.loads((tmp_path / "rep" / "decontam_report.json").read_text())["benchmarks"][0]["checks"][-1] == f"template matching >= {THRESHOLD:g}"


def test_a_dataset_card_names_every_licence_that_is_not_a_hub_id():
    """Was: a routed or fallback run whose two teachers have terms the Hub has no id for (a Llama and a Gemma model)
    got `license: [cc-by-4.0, other]` and no `license_name` at all (one was written only when exactly one licence was
    `other`): the Hub's metadata named neither teacher's terms. Now `license_name` names them all, as the model card's."""
    from huggingface_hub import DatasetCard

    manifest = {"recipe_name": "x", "run_id": "r1", "recipe": {},
                "licenses": {"source": {"path": "p.jsonl", "license": "CC-BY-4.0"},
                             "teachers": [{"name": "a", "model": "llama", "license": "Llama 3.1 Community License", "from": "recipe"},
                                          {"name": "b", "model": "gemma", "license": "Gemma Terms of Use", "from": "recipe"}]}}
    card = dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    meta = _front(card)
    assert meta["license"] == ["cc-by-4.0", "other"]
    assert meta["license_name"] == "llama-3.1-community-license-and-gemma-terms-of-use"
    assert DatasetCard(card).data.license_name == "llama-3.1-community-license-and-gemma-terms-of-use"
    assert "**Llama 3.1 Community License**" in card and "**Gemma Terms of Use**" in card


def test_the_dataset_card_s_provenance_gives_each_benchmark_the_licence_it_was_checked_under():
    """Was: the Provenance section dumped the recipe's decontam benchmarks as parsed, every unset key null, so
    `gsm8k_test` read `"license": null` beside a Licence notes line saying MIT (the registry's). Now a benchmark's
    entry gives its licence as the coverage records it (registry or declared) and leaves unset keys out."""
    recipe = load_recipe(str(ROOT / "recipes" / "gsm8k_demo.yaml")).model_dump(mode="json")
    assert recipe["dedup"]["decontam"]["benchmarks"][0]["license"] is None  # what the recipe itself holds
    cov = benchmark_coverage(DecontamConfig(benchmarks=["gsm8k_test"]))
    manifest = {"recipe_name": "x", "run_id": "r1", "recipe": recipe, "contamination": contamination_report([], coverage=cov)}
    card = dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    dedup_line = next(x for x in card.splitlines() if x.startswith("- Dedup: "))
    dedup = json.loads(dedup_line.removeprefix("- Dedup: ").strip("`"))
    assert dedup["decontam"]["benchmarks"] == [{"name": "gsm8k_test", "license": "MIT"}]
    assert '"license": null' not in card
    # a custom benchmark's declared licence stays; one declared by nobody is said so, not null
    rec2 = json.loads(json.dumps(recipe))
    rec2["dedup"]["decontam"]["benchmarks"] = [{"name": "mine", "path": "b.jsonl", "field": ["q"], "license": None}]
    cov2 = [dict(cov[0], name="mine", license="unknown", line="mine: 3 items (size not declared)")]
    card2 = dataset_card({**manifest, "recipe": rec2, "contamination": contamination_report([], coverage=cov2)},
                         {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    assert '{"name": "mine", "path": "b.jsonl", "field": ["q"], "license": "unknown"}' in card2


def test_an_undeclared_licence_is_unknown_in_the_model_card_never_glued_into_an_id():
    """Was: a student (Apache-2.0) trained on prompts whose licence nobody declared got `license: other` and
    `license_name: apache-2.0-and-unknown`, an id no licence has. The Hub's spec: `license` is a Hub id (`unknown`
    among them), `license_name` the id of an `other` licence. What is not known is `license: unknown`, and the card
    says which licence is undeclared and which are declared."""
    from huggingface_hub import ModelCard

    manifest = {"recipe_name": "x", "run_id": "r1", "recipe": {"train": {"student": "smollm2-135m-instruct"}, "source": {"path": "p.jsonl"}},
                "licenses": {"student": {"model": "smollm2-135m-instruct", "license": "Apache-2.0", "from": "model resolution"},
                             "source": {"path": "p.jsonl", "license": "not declared"},
                             "teachers": [{"name": "t", "model": "m", "license": "MIT", "from": "recipe"}]}}
    mcard = model_card(manifest, {"method": "sft", "train_rows": 3}, None, "abc", "final")
    meta = _front(mcard)
    assert meta["license"] == "unknown" and "license_name" not in meta
    assert ModelCard(mcard).data.license == "unknown"
    assert "unknown-and" not in mcard and "-and-unknown" not in mcard
    assert ("- Licence metadata: **unknown**: the licence of the prompts (`p.jsonl`) was not declared, so the terms that "
            "apply to this model are not known; declared: Apache-2.0 (base model `smollm2-135m-instruct`), MIT (teacher `t`)") in mcard
    # the dataset card lists the known ids and `unknown` apart, as before; a licence without a Hub id is still named
    card = dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None)
    assert _front(card)["license"] == ["unknown", "mit"] and "license_name" not in _front(card)
    manifest["licenses"]["teachers"][0]["license"] = "Llama 3.1 Community License"
    meta = _front(model_card(manifest, {"method": "sft"}, None, "abc", "final"))
    assert meta["license"] == "unknown" and "license_name" not in meta
    meta = _front(dataset_card(manifest, {"stages": {}}, "jsonl", {"train": 1.0}, {"train": 3}, 0, None))
    assert meta["license"] == ["unknown", "other"] and meta["license_name"] == "llama-3.1-community-license"
