"""Where the hf_local teacher runs when the recipe names no ``options.device``: on the GPU its Ray actor holds."""


def test_hf_local_without_a_device_takes_the_gpu_ray_gave_its_process(monkeypatch):
    """Was: options.device defaulted to cpu, so a teacher with num_gpus: 1 (and the eval's teacher column, which asks
    for teacher.num_gpus) generated on the CPU beside the GPU its actor held. The Ray and CUDA answers below are
    fault-injecting fakes (this machine has no GPU); the real path is tests/gpu/test_train_gpu.py."""
    import ray
    import torch

    from teachers.hf_local import default_device

    assert default_device() == "cpu"  # no Ray GPU in this process
    monkeypatch.setattr(ray, "is_initialized", lambda: True)
    monkeypatch.setattr(ray, "get_gpu_ids", lambda: [0])  # fake: Ray assigned GPU 0 to this process
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == "cpu"  # a logical GPU on a CPU machine (tests/integration/test_gpu_pool_rebatch.py)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # fake: torch sees it
    assert default_device() == "cuda"
    monkeypatch.setattr(ray, "get_gpu_ids", lambda: [])  # a CPU actor on a GPU machine: the GPU is not its to use
    assert default_device() == "cpu"
