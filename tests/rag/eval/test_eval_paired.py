"""The exact McNemar test of rag.eval.paired, against values worked out by hand."""
from __future__ import annotations

import pytest

from rag.eval.paired import mcnemar_exact


@pytest.mark.parametrize("fixed, broken, p", [
    (0, 0, 1.0),  # nothing flipped: no evidence either way
    (5, 0, 2 / 32),  # 2 * C(5,0) / 2^5
    (0, 6, 2 / 64),
    (1, 4, 12 / 32),  # 2 * (C(5,0) + C(5,1)) / 2^5
    (3, 3, 1.0),  # 2 * 42/64 > 1: capped
    (10, 2, 158 / 4096),  # 2 * (1 + 12 + 66) / 2^12
])
def test_exact_mcnemar_p_value_matches_the_hand_computed_binomial_tail(fixed, broken, p):
    assert mcnemar_exact(fixed, broken) == pytest.approx(p, rel=1e-12)


def test_the_test_is_symmetric_in_the_direction_of_the_flips():
    assert mcnemar_exact(9, 3) == mcnemar_exact(3, 9)


def test_a_negative_count_is_refused_with_the_counts_in_the_message():
    with pytest.raises(ValueError, match="-1, 2"):
        mcnemar_exact(-1, 2)
