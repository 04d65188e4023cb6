from __future__ import annotations

import logging

import numpy as np

from ground.progress import Progress, fmt_duration


def test_fmt_duration():
    assert [fmt_duration(x) for x in (0, 4.6, 59.4, 61, 3599, 3600, 7322)] == ["0s", "5s", "59s", "1m01s", "59m59s", "1h00m", "2h02m"]


def test_progress_lines_count_rate_and_eta(caplog):
    caplog.set_level(logging.INFO, logger="ground.progress")
    p = Progress("embed_dedup: encode", total=300, unit="texts", every_s=0.0)
    p.update(100)
    p.update(200)
    assert len(p.lines) == 2 and [r.getMessage() for r in caplog.records] == p.lines
    assert p.lines[0].startswith("embed_dedup: encode 100/300 texts (33%), ") and "texts/s, eta " in p.lines[0]
    assert p.lines[1].startswith("embed_dedup: encode 300/300 texts (100%), ") and ", took " in p.lines[1]


def test_progress_is_quiet_between_intervals():
    p = Progress("x", total=10, every_s=3600, final=False)
    for _ in range(10):
        p.update()
    assert p.lines == [] and p.done == 10
    q = Progress("x", total=10, every_s=3600)  # final=True: the last update always logs
    for _ in range(10):
        q.update()
    assert len(q.lines) == 1 and q.lines[0].startswith("x 10/10 rows (100%)")


def test_training_progress_line():
    from students.callbacks import progress_line

    line = progress_line(12, 40, elapsed_s=20.0, steps_done=10, logs={"loss": 1.23456, "grad_norm": 0.5, "epoch": 0.3})
    assert line == "train: step 12/40 (30%), loss 1.235, grad_norm 0.5, 2.00 s/step, eta 56s"
    assert progress_line(40, 40, 80.0, 40, {"train_loss": 0.9}) == "train: step 40/40 (100%), train_loss 0.9, 2.00 s/step"


def test_similarity_search_with_progress_finds_the_same_pairs():
    from curation.dedup.embedding import similar_pairs

    emb = np.eye(8, dtype=np.float32)
    emb[1] = emb[0]
    pairs, sims = similar_pairs(emb, 0.9, block_size=4)
    assert pairs.tolist() == [[0, 1]] and sims.tolist() == [1.0]
