"""cluster.yaml: valid for Ray's own launcher schema (as `ray up` checks it, offline), and sane for us:
GPU worker groups advertise their accelerators, worker counts add up, every node installs the project.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "cluster.yaml"
# vCPUs and GPUs of the instance types we use; a new type must be added here (AWS documentation)
INSTANCES = {"m6i.2xlarge": (8, 0), "c6i.4xlarge": (16, 0), "g6.2xlarge": (8, 1), "p4d.24xlarge": (96, 8), "p5.48xlarge": (192, 8),
             "g6e.xlarge": (4, 1), "g5.2xlarge": (8, 1)}


@pytest.fixture(scope="module")
def cfg() -> dict:
    return yaml.safe_load(CLUSTER.read_text(encoding="utf-8"))


def ray_schema() -> dict:
    ray = pytest.importorskip("ray", reason="ray is not installed")
    path = Path(ray.__file__).parent / "autoscaler" / "ray-schema.json"
    if not path.is_file():
        pytest.skip(f"this ray ({ray.__version__}) does not ship {path}")
    return json.loads(path.read_text())


def test_matches_ray_launcher_schema(cfg):
    import jsonschema

    jsonschema.validate(cfg, ray_schema())


def test_ray_prepare_and_validate_config_offline(cfg):
    """The same steps `ray up` runs before it talks to AWS: fill defaults, merge commands, validate."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    prepared = prepare_config(copy.deepcopy(cfg))
    validate_config(prepared)
    assert prepared["head_node_type"] == "head"
    assert prepared["worker_setup_commands"] == cfg["setup_commands"] == prepared["head_setup_commands"]
    assert prepared["available_node_types"]["gpu_8x"]["max_workers"] == 1


@pytest.mark.parametrize("mutate, error", [
    (lambda c: c.update(max_worker=3), "Additional properties are not allowed"),
    (lambda c: c["available_node_types"]["gpu_1x"]["resources"].update(GPU=0.5), "is not of type 'integer'"),
    (lambda c: c["available_node_types"]["gpu_1x"].pop("node_config"), "'node_config' is a required property"),
])
def test_schema_rejects_broken_copies(cfg, mutate, error):
    """The schema check can fail: broken copies of our file are rejected with Ray's own message."""
    import jsonschema

    bad = copy.deepcopy(cfg)
    mutate(bad)
    with pytest.raises(jsonschema.ValidationError, match=error):
        jsonschema.validate(bad, ray_schema())


def test_node_types_are_sane(cfg):
    types = cfg["available_node_types"]
    head = types[cfg["head_node_type"]]
    assert head["resources"].get("GPU", 0) == 0, "the head runs the driver; GPUs belong to worker groups"
    workers = {k: v for k, v in types.items() if k != cfg["head_node_type"]}
    gpu_groups = {k: v for k, v in workers.items() if v["resources"].get("GPU", 0) >= 1}
    assert set(gpu_groups) == {"gpu_1x", "gpu_8x"}
    for name, t in workers.items():
        assert 0 <= t["min_workers"] <= t["max_workers"] <= cfg["max_workers"], name
        assert t["min_workers"] == 0, f"{name}: idle GPUs cost money; scale from zero"
    assert sum(t["max_workers"] for t in workers.values()) <= cfg["max_workers"], "every group must be able to reach its max"
    for name, t in types.items():
        itype = t["node_config"]["InstanceType"]
        assert itype in INSTANCES, f"{name}: add {itype} (vCPUs, GPUs) to INSTANCES"
        cpus, gpus = INSTANCES[itype]
        assert t["resources"].get("CPU") == cpus and t["resources"].get("GPU", 0) == gpus, (name, itype, t["resources"])
    assert len({t["node_config"]["ImageId"] for t in types.values()}) == 1, "one AMI for every node"
    assert 0 < cfg["idle_timeout_minutes"] <= 30


def test_every_node_installs_the_project(cfg):
    mounts = {remote: local for remote, local in cfg["file_mounts"].items()}
    remote = next(r for r, local in mounts.items() if local == ".")
    assert remote == "/home/ray/distill-factory"
    installs = [c for c in cfg["setup_commands"] if re.search(r"\bpip install\b", c)]
    assert installs and f'"{remote}[gpu]"' in installs[0]
    assert any("import factory" in c for c in cfg["setup_commands"]), "setup should fail early if the project does not import"
    assert cfg["head_setup_commands"] == [] and cfg["worker_setup_commands"] == [], "setup_commands already run on every node"
    tomllib = pytest.importorskip("tomllib", reason="Python < 3.11")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "gpu" in extras and any(d.startswith("vllm") for d in extras["gpu"])
    assert {".venv", "runs", ".git"} <= set(cfg["rsync_exclude"])


def test_docker_image_matches_local_ray_and_python(cfg):
    ray = pytest.importorskip("ray")
    m = re.fullmatch(r"rayproject/ray:(\d+\.\d+\.\d+)-py(\d)(\d+)-gpu", cfg["docker"]["image"])
    assert m, cfg["docker"]["image"]
    assert m.group(1) == ray.__version__, "the cluster's Ray must equal the Ray that runs `ray up`"
    assert (int(m.group(2)), int(m.group(3))) == sys.version_info[:2]


def test_fields_to_change_are_marked():
    """Region, zones, AMI, ssh key and image tag each carry a CHANGE ME on their line or in the comment just above."""
    lines = CLUSTER.read_text(encoding="utf-8").splitlines()
    for key in ("region:", "availability_zone:", "ImageId:", "ssh_private_key:", "image:"):
        hits = [i for i, line in enumerate(lines) if line.strip().lstrip("# ").startswith(key)]
        assert hits, key
        for i in hits:
            assert any("CHANGE ME" in x for x in lines[max(0, i - 5): i + 1]), f"line {i + 1}: {lines[i]}"


def test_kuberay_snippet_in_docs_is_consistent(cfg):
    """The RayJob in docs/cluster.md parses, asks for GPUs in its worker group and uses cluster.yaml's Ray version."""
    doc = (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    job = yaml.safe_load(blocks[0])
    assert (job["apiVersion"], job["kind"]) == ("ray.io/v1", "RayJob")
    assert job["spec"]["entrypoint"].startswith("python -m factory run ")
    spec = job["spec"]["rayClusterSpec"]
    version = re.search(r":(\d+\.\d+\.\d+)-", cfg["docker"]["image"]).group(1)
    assert spec["rayVersion"] == version and f"FROM rayproject/ray:{version}-" in doc
    (group,) = spec["workerGroupSpecs"]
    limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert int(limits["nvidia.com/gpu"]) >= 1 and group["minReplicas"] == 0 < group["maxReplicas"]
    env = spec["headGroupSpec"]["template"]["spec"]["containers"][0]["env"]
    assert all("value" not in e and "secretKeyRef" in e["valueFrom"] for e in env), "secrets only from Kubernetes secrets"
