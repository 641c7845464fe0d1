"""`zeroshot_task` on synthetic encoders with a known answer: classes never seen by the heads are
retrieved only when both modalities encode the same class structure."""

import numpy as np
import pytest

from tinymem.imc.experiment import DEFAULTS, merge, zeroshot_task

CFG = merge(DEFAULTS, {"zeroshot": {"seeds": 2, "steps": 300, "heldout_takes_from": 20}})


def _encoders(shared: bool):
    """Audio (30 takes of each digit) and image (1,200 samples) features: each a random linear
    map of a 6-d latent of the digit plus noise; the latents are the same in both modalities or
    drawn independently."""
    rng = np.random.default_rng(0)
    latent_a = rng.standard_normal((10, 6))
    latent_i = latent_a if shared else rng.standard_normal((10, 6))

    def view(latent, y, dim):
        return latent[y] @ rng.standard_normal((6, dim)) + 0.3 * rng.standard_normal((len(y), dim))
    digits, takes = np.repeat(np.arange(10), 30), np.tile(np.arange(30), 10)
    labels = rng.integers(0, 10, 1200)
    aud = {"features": view(latent_a, digits, 40), "digits": digits, "takes": takes}
    img = {"features": view(latent_i, labels, 50), "labels": labels, "n_train": 900}
    return img, aud


def test_unseen_classes_are_retrieved_when_modalities_share_structure():
    res = zeroshot_task(CFG, *_encoders(shared=True), note=lambda msg: None)
    assert res["acc_seen"] > 0.9
    assert res["acc_unseen"] > 0.9
    assert [v["pair"] for v in res["validation"]] == CFG["zeroshot"]["validation_pairs"]
    assert res["acc_validation"] > 0.8


def test_unseen_classes_are_at_chance_when_modalities_are_unrelated():
    shared = zeroshot_task(CFG, *_encoders(shared=True), note=lambda msg: None)
    res = zeroshot_task(CFG, *_encoders(shared=False), note=lambda msg: None)
    assert res["acc_seen"] > 0.9  # seen classes still align: the heads learn the pairing
    assert res["acc_validation"] < shared["acc_validation"] - 0.2


def test_validation_pairs_must_be_training_digits():
    cfg = merge(CFG, {"zeroshot": {"validation_pairs": [[1, 8]]}})
    with pytest.raises(ValueError, match="validation_pairs"):
        zeroshot_task(cfg, *_encoders(shared=True), note=lambda msg: None)
