"""``parse_score`` with a judge that keeps talking after its verdict (session 13, branch h-verify): a score named in
passing after the declared one ("it could score 9 with examples") was taken as the score, as the last labelled one."""

import pytest

from verifiers.judge import parse_score


@pytest.mark.parametrize("text,want", [
    ("Score: 6\nIt could score 9 with examples.", (6.0, "labelled")),
    ("Score: 6\n\nA higher score of 10 would need citations.", (6.0, "labelled")),
    ("Rating: 5/10\nWith fixes it would rate 9/10.", (5.0, "labelled")),
    # unchanged: the last declared score wins, and a score in passing counts when it is the only kind
    ("Score: 2\nOn reflection... Final score: 5", (5.0, "labelled")),
    ("I'd rate it 6 out of 10 because it is vague.", (6.0, "labelled")),
    ("I would rate this response an 8.", (8.0, "labelled")),
    ("Rated on a scale from 1 to 10.\nScore: 3", (3.0, "labelled")),
])
def test_a_declared_score_beats_one_in_passing(text, want):
    assert parse_score(text, 1, 10) == want
