"""Distillation losses as pure functions of tensors (no models, no trainers): tested for their math.

    >>> import torch
    >>> from students.losses import reverse_kl, forward_kl
    >>> s, t = torch.randn(2, 5, 11), torch.randn(2, 5, 11)
    >>> mask = torch.ones(2, 5)
    >>> float(reverse_kl(s, s, mask))          # zero for identical inputs
    0.0

Shapes: logits ``(B, T, V)``; per-token values ``(B, T)``; ``mask`` ``(B, T)`` is 1 on completion
tokens. Every ``reduction="mean"`` averages over the masked tokens.

- ``forward_kl(s, t)`` = KL(p_T || p_S): mass-covering, what SFT on teacher samples and classic KD
  minimise (Hinton et al. 2015).
- ``reverse_kl(s, t)`` = KL(p_S || p_T): mode-seeking, the on-policy distillation objective
  (Gu et al. 2024, "MiniLLM"; Agarwal et al. 2024, "GKD").
- ``reverse_kl_sampled``: the per-token reverse KL on tokens sampled from the student, when only the
  teacher's logprob of each sampled token is known (an API server). The value ``log p_S(x) - log
  p_T(x)`` is an unbiased per-token estimate of KL(p_S || p_T); used as a fixed (detached) penalty
  times ``log p_S(x)`` its gradient equals the reverse-KL gradient in expectation, since
  ``E[grad log p_S] = 0`` (the "on-policy distillation" recipe of Thinking Machines, 2025).
- ``topk_kd_loss``: soft-label KD when the teacher stored only its top-k logprobs per token:
  KL(T || S) over the k teacher tokens plus one tail bucket holding the remaining mass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _reduce(per_token: torch.Tensor, mask: torch.Tensor, reduction: str) -> torch.Tensor:
    per_token = per_token * mask
    if reduction == "none":
        return per_token
    if reduction == "sum":
        return per_token.sum()
    if reduction == "mean":
        return per_token.sum() / mask.sum().clamp_min(1)
    raise ValueError(f"reduction must be none|sum|mean, got {reduction!r}")


def forward_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, mask: torch.Tensor,
               reduction: str = "mean") -> torch.Tensor:
    """KL(p_T || p_S) per token = sum_v p_T(v) (log p_T(v) - log p_S(v))."""
    s = F.log_softmax(student_logits.float(), dim=-1)
    t = F.log_softmax(teacher_logits.float(), dim=-1)
    return _reduce((t.exp() * (t - s)).sum(-1), mask.float(), reduction)


def reverse_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, mask: torch.Tensor,
               reduction: str = "mean") -> torch.Tensor:
    """KL(p_S || p_T) per token = sum_v p_S(v) (log p_S(v) - log p_T(v)); exact, over the vocabulary."""
    s = F.log_softmax(student_logits.float(), dim=-1)
    t = F.log_softmax(teacher_logits.float(), dim=-1)
    return _reduce((s.exp() * (s - t)).sum(-1), mask.float(), reduction)


def reverse_kl_sampled(student_logp: torch.Tensor, teacher_logp: torch.Tensor, mask: torch.Tensor,
                       reduction: str = "mean") -> tuple[torch.Tensor, torch.Tensor]:
    """(surrogate loss, KL estimate) from the logprobs of tokens sampled from the student.

    ``student_logp`` carries the graph; ``teacher_logp`` is a constant. The surrogate's gradient is
    ``(log p_S - log p_T) * grad log p_S`` per token, whose expectation under the student is the
    gradient of KL(p_S || p_T); the estimate's value (no gradient) is what to log.
    """
    mask = mask.float()
    penalty = (student_logp.detach().float() - teacher_logp.float())
    surrogate = _reduce(penalty * student_logp.float(), mask, reduction)
    estimate = _reduce(penalty, mask, reduction).detach()
    return surrogate, estimate


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log p(tokens[b, t]) under ``logits[b, t]``: shape ``(B, T)``."""
    return torch.gather(F.log_softmax(logits.float(), dim=-1), -1, tokens.unsqueeze(-1)).squeeze(-1)


def topk_kd_loss(student_logits: torch.Tensor, topk_ids: torch.Tensor, topk_logprobs: torch.Tensor,
                 mask: torch.Tensor, temperature: float = 1.0, tail: bool = True,
                 reduction: str = "mean") -> torch.Tensor:
    """KL(T || S) over the teacher's top-k tokens (+ a tail bucket) per position.

    ``topk_ids``/``topk_logprobs`` ``(B, T, K)``: the teacher's logprobs as stored (full-vocabulary
    log-softmax values); padding entries have logprob ``-inf``. With ``tail`` the k+1-th bucket is
    ``1 - sum(top-k)`` for both distributions (so a top-1 teacher still gives a useful signal, as in
    TRL's server distillation); without it both are renormalised over the k tokens.
    """
    s_all = F.log_softmax(student_logits.float() / temperature, dim=-1)
    s = torch.gather(s_all, -1, topk_ids.clamp_min(0))
    t = topk_logprobs.float()
    valid = torch.isfinite(t)
    # a large finite floor instead of -inf: exp() is exactly 0 in fp32 and no NaN reaches the backward pass
    floor = torch.full_like(t, -1e4)
    s, t = torch.where(valid, s, floor), torch.where(valid, t, floor)
    if tail:
        def with_tail(lp: torch.Tensor) -> torch.Tensor:
            head = torch.logsumexp(lp, dim=-1, keepdim=True).clamp(max=-1e-7)
            return torch.cat([lp, torch.log(-torch.expm1(head))], dim=-1)

        s, t = with_tail(s), with_tail(t)
        valid = torch.cat([valid, torch.ones_like(valid[..., :1])], dim=-1)
    else:
        s = s - torch.logsumexp(s, dim=-1, keepdim=True)
        t = t - torch.logsumexp(t, dim=-1, keepdim=True)
    per = (t.exp() * (t - s) * valid.float()).sum(-1)
    return _reduce(per, mask.float(), reduction)
