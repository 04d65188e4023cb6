"""Verification as a batch step: every verifier of the recipe, in order, on the rows still accepted.

    >>> from verifiers.step import VerifyStep
    >>> rows = VerifyStep([{"name": "math_answer"}])(rows)

A verdict below the verifier's ``min_score`` rejects the row at stage ``verify:<name>`` with the
verifier's reason; an unverifiable sample (score None) is rejected unless ``accept_unverifiable``.
"""

from __future__ import annotations

import json

from ground.record import reject
from ground.step import Step
from verifiers.base import Verdict
from verifiers.registry import get_verifier


class VerifyStep(Step):
    name = "verify"
    requires = ("completion",)
    produces = ("verdicts", "score")

    def __init__(self, verifier_cfgs: list[dict], accept_unverifiable: bool = False):
        self.cfgs = verifier_cfgs
        self.accept_unverifiable = accept_unverifiable
        self.verifiers = [get_verifier(c["name"], **c.get("options", {})) for c in verifier_cfgs]

    def process(self, rows: list[dict]) -> list[dict]:
        for cfg, v in zip(self.cfgs, self.verifiers):
            live = [r for r in rows if r["status"] == "accepted"]
            if not live:
                break
            verdicts: list[Verdict] = v.verify_batch(live)
            for r, vd in zip(live, verdicts):
                d = json.loads(r["verdicts"]) if r.get("verdicts") else {}
                d[cfg["name"]] = vd.to_dict()
                r["verdicts"] = json.dumps(d)
                r["cost"] = (r.get("cost") or 0.0) + (vd.cost or 0.0)
                if vd.score is not None:
                    r["score"] = vd.score if r.get("score") is None else min(r["score"], vd.score)
                stage = f"verify:{cfg['name']}"
                if vd.score is None:
                    if not self.accept_unverifiable:
                        reject(r, stage, f"unverifiable: {vd.reason}")
                elif vd.score < cfg.get("min_score", 1.0):
                    reject(r, stage, vd.reason)
        return rows

    def close(self) -> None:
        for v in self.verifiers:
            v.close()
