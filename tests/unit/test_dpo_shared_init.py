"""dpo.sft_first on a shared-storage cluster: the SFT adapter every DPO worker starts from travels through Ray
Train's storage, not as a path on the driver's disk.

With an object-store run dir the trainer works in a staging folder on the driver's node; the DPO loop on each Ray
Train worker loaded the SFT adapter from that driver-local path, which a worker on another node cannot read
(FileNotFoundError on a multi-node GPU cluster). Here Ray Train's storage is a ``file://`` URI (pyarrow's real
filesystem through the same code as s3:// and gs://)."""

from __future__ import annotations

from students.dpo import node_adapter, shared_adapter


def _adapter(d):
    d.mkdir(parents=True)
    (d / "adapter_config.json").write_text('{"r": 4}')
    (d / "adapter_model.safetensors").write_bytes(b"\x00weights\xff" * 100)
    return d


def test_the_sft_adapter_goes_through_the_shared_storage_and_back_onto_a_workers_disk(tmp_path):
    local = _adapter(tmp_path / "driver" / "train" / "sft" / "adapter")
    storage = f"file://{tmp_path}/bucket/runs/x/train/ray"
    uri = shared_adapter({"storage_path": storage}, str(local))
    assert uri == f"{storage}/sft-init"
    assert (tmp_path / "bucket/runs/x/train/ray/sft-init/adapter_model.safetensors").read_bytes() == \
        (local / "adapter_model.safetensors").read_bytes()
    # a worker on another node: only the storage is shared, the driver's staging is gone
    import shutil

    shutil.rmtree(tmp_path / "driver")
    got = node_adapter(uri, str(tmp_path / "worker" / "work"))
    assert got == str(tmp_path / "worker" / "work" / "sft-init")
    assert sorted(p.name for p in (tmp_path / "worker/work/sft-init").iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    assert (tmp_path / "worker/work/sft-init/adapter_model.safetensors").read_bytes() == b"\x00weights\xff" * 100


def test_local_storage_keeps_the_local_path(tmp_path):
    local = _adapter(tmp_path / "sft" / "adapter")
    assert shared_adapter({"storage_path": None}, str(local)) == str(local)
    assert shared_adapter({"storage_path": str(tmp_path / "ray")}, str(local)) == str(local)
    assert node_adapter(str(local), str(tmp_path / "w")) == str(local) and not (tmp_path / "w").exists()
