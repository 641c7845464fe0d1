"""`run_experiments`: the acceptance experiments of the crossbar LSM backend, from a config dict.

Tasks (each can be disabled): image-event LSM on MNIST saccade events (noiseless reservoir vs the
device model), audio-event LSM on FSDD cochlear spikes (leave-one-speaker-out), zero-shot
audio -> image retrieval with contrastive heads (train digits 1-7, test held-out 1-7 and unseen
8/9), a one-factor noise sweep, and energy per inference against a digital MCU. Device features
are read "on chip": the readout is trained and tested on features read at `t_inference`.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from pathlib import Path

import numpy as np

from tinymem.imc.contrastive import ContrastiveHeads
from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyModel
from tinymem.imc.events_audio import CochleaParams, audio_frames
from tinymem.imc.events_image import SaccadeParams, saccade_frames
from tinymem.imc.fsdd import load_fsdd
from tinymem.imc.lsm import LSM, LSMConfig
from tinymem.imc.mnist import load_mnist
from tinymem.imc.readout import MLPReadout, SoftmaxReadout
from tinymem.imc.sweep import DEFAULT_SWEEP, noise_sweep

DEFAULTS = {
    "seed": 0,
    "data_dir": "",  # "" = $TINYMEM_DATA or ../shared/data beside the repository
    "output_dir": "imc_results",
    "blas_threads": 1,  # small matrix products are much slower with threaded BLAS (0 = leave as is)
    "device": {},  # overrides of tinymem.imc.device.Device
    "energy": {},  # overrides of tinymem.imc.energy.EnergyModel
    "image": {"enabled": True, "n_train": 8000, "n_test": 2000, "steps": 50, "crop": 16,
              "pool": 2, "polarity": "merge", "readout": "softmax", "l2": 1e-3,
              "lsm": {"n_neurons": 200, "leak": 0.9, "v_th": 5.0, "in_gain": 4.0, "rec_gain": 2.0}},
    "audio": {"enabled": True, "test_speakers": [], "steps": 129, "channels": 64,
              "readout": "softmax", "l2": 1e-2,
              "lsm": {"n_neurons": 200, "leak": 0.97, "v_th": 5.3, "in_gain": 4.0, "rec_gain": 2.0,
                      "windows": 3}},
    "zeroshot": {"enabled": True, "train_digits": [1, 2, 3, 4, 5, 6, 7], "unseen_digits": [8, 9],
                 "heldout_takes_from": 40, "seeds": 5, "steps": 2000, "dim": 64, "hidden": 0,
                 "temperature": 0.1, "per_class": 4, "mode": "prototype",
                 "validation_pairs": [[1, 2], [3, 4], [5, 6], [1, 7], [2, 3], [4, 5], [6, 7]]},
    "sweep": {"enabled": True, "n_test": 1000, **DEFAULT_SWEEP},
}


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def data_dir(cfg: dict) -> Path:
    if cfg.get("data_dir"):
        return Path(cfg["data_dir"])
    if os.environ.get("TINYMEM_DATA"):
        return Path(os.environ["TINYMEM_DATA"])
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _readout(kind: str, l2: float, seed: int):
    return MLPReadout(l2=l2, seed=seed) if kind == "mlp" else SoftmaxReadout(l2=l2)


def _energy(lsm: LSM, n: int, steps: int, readout_macs: int, model: EnergyModel) -> dict:
    counts = lsm.energy_counts().scaled(1.0 / n)
    counts.digital_macs += readout_macs
    imc = model.breakdown(counts)
    c = lsm.cfg
    mcu = model.mcu_joules(lsm.dense_macs(steps) + readout_macs, other_cycles=4 * steps * c.n_neurons)
    macs = lsm.dense_macs(steps) + readout_macs
    return {"imc_joules": imc["total"], "imc_breakdown": imc, "mcu_joules": mcu,
            "digital_mac_joules": macs * model.e_mac8_pj * 1e-12,
            "mcu_macs": lsm.dense_macs(steps) + readout_macs, "ratio_mcu_over_imc": mcu / imc["total"],
            "tiles": lsm.w_in.n_tiles + lsm.w_rec.n_tiles}


def image_task(cfg, device, model, note):
    ic, seed = cfg["image"], cfg["seed"]
    n_tr, n_te = ic["n_train"], ic["n_test"]
    images, labels = load_mnist(data_dir(cfg), limit=n_tr + n_te)
    note("image events")
    frames = saccade_frames(images, ic["steps"], ic["crop"], ic["polarity"],
                            SaccadeParams(sensor_seed=seed), seed=seed, pool=ic["pool"])
    lcfg = LSMConfig(n_inputs=frames.shape[2], seed=seed, **ic["lsm"])
    ideal = LSM(lcfg, device.noiseless())
    note("image LSM, noiseless")
    r0 = ideal.run(frames)
    ro0 = _readout(ic["readout"], ic["l2"], seed).fit(r0[:n_tr], labels[:n_tr], 10)
    dev = ideal.with_device(device)
    dev.calibrate(frames[:200])
    note("image LSM, device model")
    r1 = dev.run(frames)
    ro1 = _readout(ic["readout"], ic["l2"], seed).fit(r1[:n_tr], labels[:n_tr], 10)
    res = {"n_train": n_tr, "n_test": n_te, "inputs": frames.shape[2],
           "input_spike_rate": float(frames.mean()),
           "acc_noiseless": ro0.score(r0[n_tr:], labels[n_tr:]),
           "acc_device": ro1.score(r1[n_tr:], labels[n_tr:]),
           "energy": _energy(dev, len(frames), ic["steps"], ro1.macs, model)}
    res["gap_points"] = 100 * (res["acc_noiseless"] - res["acc_device"])
    state = {"features": r1, "labels": labels, "n_train": n_tr, "lsm": dev, "readout": ro1,
             "test_frames": frames[n_tr:]}
    return res, state


def audio_task(cfg, device, model, note):
    ac, seed = cfg["audio"], cfg["seed"]
    recs = load_fsdd(data_dir(cfg))
    note("audio events")
    frames = audio_frames(recs, CochleaParams(channels=ac["channels"], steps=ac["steps"]))
    digits = np.array([r.digit for r in recs])
    speakers = np.array([r.speaker for r in recs])
    takes = np.array([r.take for r in recs])
    lcfg = LSMConfig(n_inputs=frames.shape[2], seed=seed + 1, **ac["lsm"])
    ideal = LSM(lcfg, device.noiseless())
    note("audio LSM, noiseless")
    r0 = ideal.run(frames)
    dev = ideal.with_device(device)
    dev.calibrate(frames[:200])
    note("audio LSM, device model")
    r1 = dev.run(frames)
    per = {}
    for spk in ac["test_speakers"] or sorted(set(speakers)):
        tr, te = speakers != spk, speakers == spk
        accs = {}
        for name, feats in (("noiseless", r0), ("device", r1)):
            ro = _readout(ac["readout"], ac["l2"], seed).fit(feats[tr], digits[tr], 10)
            accs[name] = ro.score(feats[te], digits[te])
        per[spk] = accs
    res = {"per_speaker": per,
           "acc_noiseless": float(np.mean([v["noiseless"] for v in per.values()])),
           "acc_device": float(np.mean([v["device"] for v in per.values()])),
           "acc_device_worst_speaker": float(min(v["device"] for v in per.values())),
           "energy": _energy(dev, len(frames), ac["steps"], lcfg.windows * lcfg.n_neurons * 10, model)}
    return res, {"features": r1, "digits": digits, "takes": takes}


def _fit_heads(zc, seed, img, aud, train_digits) -> ContrastiveHeads:
    """Heads trained on audio takes < heldout_takes_from of `train_digits` and the training
    images of the same digits."""
    a, ad, takes = aud["features"], aud["digits"], aud["takes"]
    i, il, n_tr = img["features"], img["labels"], img["n_train"]
    a_tr = np.isin(ad, train_digits) & (takes < zc["heldout_takes_from"])
    i_tr = np.nonzero(np.isin(il[:n_tr], train_digits))[0]
    heads = ContrastiveHeads(dim=zc["dim"], hidden=zc["hidden"], temperature=zc["temperature"],
                             steps=zc["steps"], per_class=zc["per_class"], seed=seed)
    return heads.fit(a[a_tr], ad[a_tr], i[i_tr], il[i_tr])


def _retrieval_acc(heads, zc, img, aud, queries, candidates, seed) -> float:
    """Audio -> image accuracy of the audio recordings `queries` (a mask) among `candidates`,
    the candidates' images being the test images."""
    i, il, n_tr = img["features"], img["labels"], img["n_train"]
    pred = heads.retrieve(aud["features"][queries], i[n_tr:], il[n_tr:], candidates, zc["mode"],
                          seed=seed)
    return float(np.mean(pred == aud["digits"][queries]))


def zeroshot_task(cfg, img, aud, note):
    """Heads trained on `train_digits`; audio -> image retrieval on held-out takes of those
    digits and on every recording of `unseen_digits`, for `seeds` head seeds. Validation
    (`validation_pairs`): each pair of training digits in turn is left out of training and
    retrieved as if unseen (one seed), the check of zero-shot transfer that uses no unseen data."""
    zc = cfg["zeroshot"]
    ad, takes = aud["digits"], aud["takes"]
    train_d, unseen_d = zc["train_digits"], zc["unseen_digits"]
    pairs = [list(p) for p in zc["validation_pairs"]]
    if any(len(p) != 2 or not set(p) <= set(train_d) for p in pairs):
        raise ValueError(f"zeroshot.validation_pairs {pairs}: each must be two of train_digits {train_d}")
    a_seen = np.isin(ad, train_d) & (takes >= zc["heldout_takes_from"])
    a_unseen = np.isin(ad, unseen_d)
    rows = []
    for s in range(zc["seeds"]):
        note(f"zero-shot heads, seed {s}")
        heads = _fit_heads(zc, cfg["seed"] + s, img, aud, train_d)
        rows.append({"seed": cfg["seed"] + s,
                     "acc_seen": _retrieval_acc(heads, zc, img, aud, a_seen, train_d, s),
                     "acc_unseen": _retrieval_acc(heads, zc, img, aud, a_unseen, unseen_d, s)})
    val = []
    for p in pairs:
        note(f"zero-shot validation, {p[0]} and {p[1]} left out")
        heads = _fit_heads(zc, cfg["seed"], img, aud, [d for d in train_d if d not in p])
        val.append({"pair": p, "acc": _retrieval_acc(heads, zc, img, aud, np.isin(ad, p), p, 0)})
    out = {"per_seed": rows, "acc_seen": float(np.mean([r["acc_seen"] for r in rows])),
           "acc_unseen": float(np.mean([r["acc_unseen"] for r in rows])),
           "acc_unseen_min": float(min(r["acc_unseen"] for r in rows)),
           "acc_unseen_max": float(max(r["acc_unseen"] for r in rows)),
           "n_seen_queries": int(a_seen.sum()), "n_unseen_queries": int(a_unseen.sum()),
           "chance_seen": 1 / len(train_d), "chance_unseen": 1 / len(unseen_d), "validation": val}
    if val:
        out["acc_validation"] = float(np.mean([v["acc"] for v in val]))
    return out


def _blas_limit(threads: int):
    """Limit BLAS threads when threadpoolctl is installed (else a no-op)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(threads) if threads else contextlib.nullcontext()


def run_experiments(config: dict | None = None, progress=None) -> dict:
    """Run the configured tasks; returns the results dict (also written to output_dir)."""
    cfg = merge(DEFAULTS, config or {})
    with _blas_limit(cfg["blas_threads"]):
        return _run(cfg, progress)


def _run(cfg: dict, progress) -> dict:
    device = Device.from_dict({"seed": cfg["seed"], **cfg["device"]})
    model = EnergyModel(**cfg["energy"])
    t0 = time.time()
    out = {"config": cfg, "device": device.to_dict(), "energy_model": model.to_dict()}

    def note(msg):
        if progress:
            progress(msg)

    img = aud = None
    if cfg["image"]["enabled"]:
        out["image"], img = image_task(cfg, device, model, note)
    if cfg["audio"]["enabled"]:
        out["audio"], aud = audio_task(cfg, device, model, note)
    if cfg["zeroshot"]["enabled"] and img and aud:
        out["zeroshot"] = zeroshot_task(cfg, img, aud, note)
    if cfg["sweep"]["enabled"] and img:
        grid = {k: v for k, v in cfg["sweep"].items() if k not in ("enabled", "n_test")}
        n = cfg["sweep"]["n_test"]
        out["sweep"] = noise_sweep(img["lsm"], img["readout"], img["test_frames"][:n],
                                   img["labels"][img["n_train"]:][:n], grid, note)
    out["seconds"] = time.time() - t0
    if cfg["output_dir"]:
        out["files"] = write_outputs(out, Path(cfg["output_dir"]))
    return out


def write_outputs(res: dict, folder: Path) -> dict:
    import json

    folder.mkdir(parents=True, exist_ok=True)
    files = {"results": str(folder / "results.json")}
    try:
        from tinymem.imc.plots import plot_energy, plot_sweep
    except ImportError:  # matplotlib is an optional extra
        plot_energy = plot_sweep = None
    if plot_sweep and "sweep" in res:
        ref = res.get("image", {}).get("acc_noiseless")
        files["sweep_png"] = str(plot_sweep(res["sweep"], folder / "noise_sweep.png", ref))
    rows = [{"task": k, **res[k]["energy"]} for k in ("image", "audio") if k in res]
    if plot_energy and rows:
        files["energy_png"] = str(plot_energy(rows, folder / "energy.png"))
    Path(files["results"]).write_text(json.dumps({**res, "files": files}, indent=1, default=float))
    return files
