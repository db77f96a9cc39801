"""Maximum one-to-one matching of found and expected boundaries, as ``clipindex check`` and the
benchmarks use it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clipindex.index import Cut
from clipindex.matching import match_events, match_spans
from clipindex.testing import compare
from output_helpers import make_index, run_cli, track

mir_eval_util = pytest.importorskip("mir_eval.util", reason="mir_eval is the reference")


@pytest.mark.parametrize("seed", range(40))
def test_as_many_pairs_as_mir_eval_finds(seed):
    rng = np.random.default_rng(seed)
    reference = np.sort(rng.uniform(0, 20, rng.integers(0, 30)))
    estimate = np.sort(rng.uniform(0, 20, rng.integers(0, 30)))
    window = float(rng.choice([0.1, 0.5, 1.0]))
    pairs = match_events(list(reference), list(estimate), window)
    assert len(pairs) == len(mir_eval_util.match_events(reference, estimate, window))
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)
    assert all(abs(reference[i] - estimate[j]) <= window + 1e-9 for i, j in pairs)


def test_spans_are_matched_as_many_as_can_be():
    # Pairing the long first span with the first span it meets would leave the short one alone.
    assert match_spans([(0, 10), (5, 6)], [(5, 6), (9, 12)]) == [(0, 1), (1, 0)]


def test_two_cuts_a_frame_apart_found_a_frame_early_both_pass(tmp_path):
    """The montage's short shots: truth at frames 11 and 12, found at 10 and 11 (25 fps)."""
    index = make_index([], 10.0, cuts=((0.40, 30.0), (0.44, 30.0)))
    expected = {"hard_cuts": [{"frame": 11, "time_s": 0.44}, {"frame": 12, "time_s": 0.48}]}
    (tmp_path / "i.json").write_text(index.to_json())
    (tmp_path / "e.json").write_text(json.dumps(expected))
    code, out, _ = run_cli("check", tmp_path / "i.json", tmp_path / "e.json")
    assert code == 0, out
    assert out.splitlines()[-1] == "2 passed, 0 failed"


def test_a_missing_hand_over_fails_alone_and_an_extra_one_is_named():
    index = make_index(
        [(0, 10.0, track("A")), (10.0, 30.0, track("B")), (30.0, 45.0, track("C")),
         (45.0, 60.0, track("D"))],
        60.0,
    )  # fmt: skip
    result = compare(index, {"music_boundaries": [10.1, 20.0, 30.0]})
    rows = [(row.what, row.found, row.passed) for row in result.rows]
    assert rows == [
        ("hand-over 1", "10.000 s", True),
        ("hand-over 2", "missed", False),
        ("hand-over 3", "30.000 s", True),
        ("extra hand-over", "45.000 s", False),
    ]


def test_a_transition_of_the_wrong_kind_is_reported():
    index = make_index([], 10.0)
    index.cuts = [
        Cut(time_s=4.0, frame=100, kind="dissolve", score=10.0, start_s=3.6, end_s=4.4,
            start_frame=90, end_frame=110),
    ]  # fmt: skip
    truth = {
        "hard_cuts": [],
        "gradual_transitions": [
            {"type": "dip_to_black", "start_frame": 92, "end_frame": 108},
            {"type": "fade_out_to_black", "start_frame": 200, "end_frame": 220},
        ],
    }
    rows = [(row.what, row.found, row.error, row.passed) for row in compare(index, truth).rows]
    assert rows == [
        ("dip at frames 92-108", "dissolve 90-110", "wrong kind", False),
        ("fade out at frames 200-220", "missed", "", False),
    ]


def test_an_expected_file_nested_without_end_is_one_line(tmp_path):
    index = tmp_path / "i.json"
    index.write_text(make_index([], 10.0).to_json())
    expected = tmp_path / "e.json"
    expected.write_text("[" * 200_000)
    code, out, err = run_cli("check", index, expected)
    assert code == 2 and out == "" and err.count("\n") == 1 and "nested too deeply" in err
