"""ground.raycluster._start_local: Ray's local node start is retried when it misses Ray's fixed 30 s window.

The failing ``ray`` is a fault injector (a stand-in that raises Ray's own start-up error), named as such:
the real timeout needs a machine too busy to start a raylet in 30 s."""

import pytest

from ground.raycluster import START_TRIES, _start_local


class FaultInjectingRay:
    """Raises Ray's "node timed out during startup" error ``fails`` times, then returns a context."""

    def __init__(self, fails: int, error: str = "The current node timed out during startup. This could happen ..."):
        self.fails, self.error, self.inits, self.shutdowns = fails, error, [], 0

    def init(self, **kw):
        self.inits.append(kw)
        if len(self.inits) <= self.fails:
            raise Exception(self.error)
        return "ctx"

    def shutdown(self):
        self.shutdowns += 1


def test_a_start_timeout_is_tried_again_with_the_same_arguments():
    ray = FaultInjectingRay(fails=2)
    assert _start_local(ray, {"num_cpus": 2}) == "ctx"
    assert ray.inits == [{"num_cpus": 2}] * 3 and ray.shutdowns == 2


def test_the_last_timeout_and_any_other_error_propagate():
    ray = FaultInjectingRay(fails=START_TRIES)
    with pytest.raises(Exception, match="timed out during startup"):
        _start_local(ray, {})
    assert len(ray.inits) == START_TRIES
    other = FaultInjectingRay(fails=1, error="address already in use")
    with pytest.raises(Exception, match="address already in use"):
        _start_local(other, {})
    assert len(other.inits) == 1 and other.shutdowns == 0
