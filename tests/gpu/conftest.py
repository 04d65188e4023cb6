"""tests/gpu runs only where an NVIDIA GPU is visible; elsewhere every test here is skipped with the reason.

Run on a GPU machine: pip install 'distill-factory[gpu]' && pytest -q tests/gpu
A test module that needs more (vLLM, bitsandbytes) skips itself with its own install line.
"""

import pytest

REASON = "needs an NVIDIA GPU (torch sees no CUDA device)"


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


# session scope: runs before any module's engine fixture, so none of them starts on a machine without a GPU
@pytest.fixture(scope="session", autouse=True)
def _needs_gpu():
    if not _cuda():
        pytest.skip(REASON)


def pytest_collection_modifyitems(config, items):
    # the hook sees the whole session's items: mark only this directory's
    for item in items:
        if "tests/gpu/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.gpu)
