"""The math of the distillation losses: zeros, known values, asymmetry, estimator expectations."""

import math

import pytest
import torch

from students.losses import forward_kl, reverse_kl, reverse_kl_sampled, token_logprobs, topk_kd_loss


def _logits(p: list[float]) -> torch.Tensor:
    return torch.tensor(p).log().view(1, 1, -1)


ONE = torch.ones(1, 1)


def test_kl_is_zero_for_identical_inputs():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 17)
    mask = torch.ones(3, 4)
    assert float(forward_kl(x, x, mask)) == pytest.approx(0.0, abs=1e-6)
    assert float(reverse_kl(x, x, mask)) == pytest.approx(0.0, abs=1e-6)
    # shifting all logits by a constant is the same distribution
    assert float(reverse_kl(x, x + 3.0, mask)) == pytest.approx(0.0, abs=1e-5)


def test_forward_and_reverse_kl_known_values_and_asymmetry():
    s, t = _logits([0.5, 0.5]), _logits([0.9, 0.1])
    fwd = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)  # KL(T||S)
    rev = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)  # KL(S||T)
    assert float(forward_kl(s, t, ONE)) == pytest.approx(fwd, rel=1e-5)
    assert float(reverse_kl(s, t, ONE)) == pytest.approx(rev, rel=1e-5)
    assert abs(fwd - rev) > 0.1
    # swapping the arguments swaps the two divergences
    assert float(reverse_kl(t, s, ONE)) == pytest.approx(fwd, rel=1e-5)


def test_mask_excludes_padding_positions():
    s = torch.cat([_logits([0.5, 0.5]), _logits([0.5, 0.5])], dim=1)
    t = torch.cat([_logits([0.9, 0.1]), _logits([0.01, 0.99])], dim=1)
    only_first = torch.tensor([[1.0, 0.0]])
    assert float(reverse_kl(s, t, only_first)) == pytest.approx(float(reverse_kl(s[:, :1], t[:, :1], ONE)), rel=1e-6)
    assert reverse_kl(s, t, only_first, reduction="none")[0, 1] == 0


def test_sampled_reverse_kl_matches_exact_value_and_gradient_in_expectation():
    torch.manual_seed(1)
    V = 7
    s_logits = torch.randn(1, 1, V, requires_grad=True)
    t_logits = torch.randn(1, 1, V)
    exact = reverse_kl(s_logits, t_logits, ONE)
    (g_exact,) = torch.autograd.grad(exact, s_logits)
    # the expectation over the student's distribution, computed exactly by enumerating every token
    p = torch.softmax(s_logits.detach(), -1).view(-1)
    surrogate_exp, estimate_exp = 0.0, 0.0
    for v in range(V):
        tok = torch.tensor([[v]])
        sur, est = reverse_kl_sampled(token_logprobs(s_logits, tok), token_logprobs(t_logits, tok), ONE)
        surrogate_exp = surrogate_exp + p[v] * sur
        estimate_exp += float(p[v] * est)
    (g_sampled,) = torch.autograd.grad(surrogate_exp, s_logits)
    assert estimate_exp == pytest.approx(float(exact.detach()), rel=1e-5)
    assert torch.allclose(g_sampled, g_exact, atol=1e-6)


def test_sampled_estimate_is_zero_when_teacher_agrees():
    lp = torch.log(torch.tensor([[0.3, 0.6, 0.2]]))
    sur, est = reverse_kl_sampled(lp, lp, torch.ones(1, 3))
    assert float(est) == 0.0 and float(sur) == 0.0


def test_topk_kd_zero_when_student_matches_teacher_on_topk():
    torch.manual_seed(2)
    logits = torch.randn(2, 3, 50)
    lp = torch.log_softmax(logits, -1)
    v, ix = lp.topk(5, dim=-1)
    mask = torch.ones(2, 3)
    assert float(topk_kd_loss(logits, ix, v, mask)) == pytest.approx(0.0, abs=1e-5)
    assert float(topk_kd_loss(logits, ix, v, mask, tail=False)) == pytest.approx(0.0, abs=1e-5)
    assert float(topk_kd_loss(torch.randn(2, 3, 50), ix, v, mask)) > 0.01


def test_topk_kd_with_full_vocab_equals_forward_kl():
    torch.manual_seed(3)
    s, t = torch.randn(1, 2, 9), torch.randn(1, 2, 9)
    v, ix = torch.log_softmax(t, -1).topk(9, dim=-1)
    mask = torch.ones(1, 2)
    assert float(topk_kd_loss(s, ix, v, mask, tail=False)) == pytest.approx(float(forward_kl(s, t, mask)), rel=1e-4)


def test_topk_kd_padding_entries_give_finite_loss_and_gradient():
    s = torch.randn(1, 2, 9, requires_grad=True)
    ix = torch.tensor([[[1, 2, 0], [0, 0, 0]]])
    lp = torch.tensor([[[-0.1, -2.5, float("-inf")], [float("-inf")] * 3]])
    loss = topk_kd_loss(s, ix, lp, torch.tensor([[1.0, 0.0]]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all() and float(loss.detach()) > 0
    assert float(s.grad[0, 1].abs().sum()) == 0.0  # the masked position contributes nothing
