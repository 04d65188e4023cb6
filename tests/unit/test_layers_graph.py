"""docs/imports.md is the import graph the code has now, and that graph has no cycle and no upward arrow
(factory/layers_graph.py, read with grimp, layers from pyproject's import-linter contract)."""

from factory.layers_graph import DOC, cycles, layers, main, mermaid, package_edges, upward_edges


def test_the_drawing_is_current_acyclic_and_points_down(tmp_path):
    lay = layers()
    assert lay == [["factory"], ["students", "curation"], ["verifiers"], ["teachers"], ["ground"]]
    edges = package_edges()
    assert cycles(edges) == [] and upward_edges(edges, lay) == []
    assert not any(a == "ground" for a, _ in edges)  # the ground floor imports nothing of ours
    assert {("factory", "students"), ("factory", "curation"), ("students", "teachers"), ("verifiers", "teachers"),
            ("teachers", "ground")} <= set(edges)
    assert DOC.read_text(encoding="utf-8") == mermaid(edges, lay), "run: python -m factory.layers_graph"
    assert main(["--check"]) == 0
    out = tmp_path / "imports.md"
    assert main(["--out", str(out)]) == 0 and out.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_a_cycle_and_an_upward_arrow_are_found():
    lay = layers()
    planted = {("teachers", "factory"): 1, ("factory", "teachers"): 2, ("students", "curation"): 1, ("teachers", "ground"): 3}
    assert cycles(planted) == [["factory", "teachers"]]
    assert upward_edges(planted, lay) == [("teachers", "factory"), ("students", "curation")]
    assert "teachers --> factory" in mermaid(planted, lay)
