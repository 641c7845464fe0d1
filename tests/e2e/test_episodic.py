"""Acceptance: the episodic memory head on the CNN of models/make_episodic.py (trained on MNIST
digits 0-4) enrolls 5 images per digit 5-9 and classifies others on the host simulator; every
label and distance equals the Python reference (TFLM embeddings + the numpy memory head).
benchmarks/episodic.py does the same on all 4,836 test images and prints the accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.episodic import c_results, compile_episodic, episodic_data, reference_results


@pytest.mark.parametrize("metric,profile", [("l2", "sanitize"), ("cosine", "release")])
def test_fewshot_c_equals_reference(shared, tmp_path, metric, profile):
    x, y, enroll, test = episodic_data(shared / "data", shots=5, limit=12)
    assert len(enroll) == 25 and len(test) == 60
    report = compile_episodic(tmp_path / "out", metric, slots=32)
    head = report["memory_head"]
    assert (head["embedding"], head["dim"], head["dtype"], head["slots"]) == ("embedding", 400, "s8", 32)
    c_lab, c_dist = c_results(tmp_path / "out", x, y, enroll, test, profile=profile)
    r_lab, r_dist = reference_results(report, x, y, enroll, test)
    np.testing.assert_array_equal(c_lab, r_lab)
    np.testing.assert_array_equal(c_dist, r_dist)
    assert np.mean(c_lab == y[test]) > 0.6  # chance is 0.2
