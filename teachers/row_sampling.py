"""Per-row seeded sampling for batched ``model.generate`` (issue #12: samples seeded per (prompt, sample index)).

:class:`RowSeededSampler` is a transformers ``LogitsProcessor`` that draws each row's next token from that row's
own ``torch.Generator`` (seeded by :func:`row_seed`: the row's request seed and its prompt), after the temperature / top-p warp, and returns scores
in which only the drawn token is finite. ``generate`` then runs greedy (``do_sample=False``), so its argmax picks
exactly the drawn token. A row's text depends on its prompt and its seed only, not on which rows share its batch
nor on the batch size: a fixed-n run and an adaptive run that asks for the same (prompt, sample index) get the
same sample. The generators live on the CPU, so the stream is the same on every device.

One uniform draw per row per step (also for rows that have finished: their draws are discarded by ``generate``,
and a row's stream never depends on another row). The warp matches transformers' temperature and top-p warpers:
logits / temperature, softmax, keep the smallest set of most likely tokens whose mass reaches ``top_p`` (at least
one token).

    >>> import torch
    >>> s = RowSeededSampler([7, 7], temperature=1.0, top_p=1.0)
    >>> out = s(None, torch.tensor([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]))
    >>> out.isfinite().sum(-1).tolist(), bool((out[0] == out[1]).all())
    ([1, 1], True)
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor


def row_seed(seed: int, prompt: str) -> int:
    """A row's stream seed from its request seed (base seed and sample index) AND its rendered prompt: rows of
    different prompts at the same sample index get independent streams (one shared seed would give every
    prompt's k-th sample the same uniform draws, i.e. the same quantile of its distribution at each step).

    >>> row_seed(1000, "What is 2 + 2?") == row_seed(1000, "What is 2 + 2?") != row_seed(1000, "What is 2 + 3?")
    True
    """
    import hashlib

    h = hashlib.blake2b(f"{int(seed)}\x00{prompt}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") & ((1 << 63) - 1)


class RowSeededSampler(LogitsProcessor):
    def __init__(self, seeds: list[int], temperature: float, top_p: float):
        self.gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
        self.temperature, self.top_p = float(temperature), float(top_p)

    def __call__(self, input_ids, scores: torch.Tensor) -> torch.Tensor:
        if scores.shape[0] != len(self.gens):
            raise ValueError(f"RowSeededSampler: {scores.shape[0]} rows, {len(self.gens)} seeds")
        u = torch.stack([torch.rand((), generator=g, dtype=torch.float64) for g in self.gens]).to(scores.device)
        tok = sample_rows(scores, u, self.temperature, self.top_p)
        out = torch.full_like(scores, float("-inf"))  # a new tensor: the raw logits generate keeps stay untouched
        return out.scatter_(1, tok[:, None], 0.0)


def sample_rows(scores: torch.Tensor, u: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Per row, the token at uniform draw ``u`` (in [0, 1)) of the temperature / top-p warped distribution.

    >>> sample_rows(torch.tensor([[0.0, 0.0, 10.0]]), torch.tensor([0.5], dtype=torch.float64), 1.0, 1.0).tolist()
    [2]
    >>> sample_rows(torch.tensor([[1.0, 1.1, 0.0]]), torch.tensor([0.99], dtype=torch.float64), 1.0, 0.3).tolist()
    [1]
    """
    probs = torch.softmax(scores.float() / temperature, dim=-1).double()
    sp, si = probs.sort(dim=-1, descending=True)
    if top_p < 1.0:  # a token stays when the mass of the tokens before it is below top_p (the first always stays)
        sp = sp * ((sp.cumsum(-1) - sp) < top_p)
    cum = sp.cumsum(-1)
    idx = torch.searchsorted(cum, (u * cum[:, -1])[:, None], right=True).clamp_(max=scores.shape[-1] - 1)
    return si.gather(-1, idx)[:, 0]
