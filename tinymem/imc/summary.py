"""`summary_rows`: the headline figures of a results dict, with targets and the paper's figures."""

from __future__ import annotations


def _pct(x):
    return f"{100 * x:.2f} %"


def _pct_range(mean, values):
    return f"{_pct(mean)} [{100 * min(values):.1f}-{100 * max(values):.1f}]"


def summary_rows(res: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, acceptance target, paper) rows."""
    rows = []
    if "image" in res:
        im = res["image"]
        rows += [("image LSM, 10 digits, noiseless reservoir", _pct(im["acc_noiseless"]), "",
                  "89.11 % (software, N-MNIST)"),
                 ("image LSM, 10 digits, device model", _pct(im["acc_device"]), ">= 85 %",
                  "89.66 % (on chip, N-MNIST)"),
                 ("image LSM, noiseless - device", f"{im['gap_points']:.2f} points", "<= 2 points", "")]
    if "audio" in res:
        au = res["audio"]
        n = len(au["per_speaker"])
        rows += [(f"audio LSM, unseen speaker (mean of {n}), noiseless", _pct(au["acc_noiseless"]),
                  "", "70.79 % (software, N-TIDIGITS)"),
                 (f"audio LSM, unseen speaker (mean of {n}), device", _pct(au["acc_device"]),
                  ">= 65 %", "70.11 % (on chip, N-TIDIGITS)"),
                 ("audio LSM, worst held-out speaker, device",
                  _pct(au["acc_device_worst_speaker"]), "", "")]
    if "zeroshot" in res:
        z = res["zeroshot"]
        k = len(z["per_seed"])
        rows += [(f"zero-shot audio->image, held-out 1-7 (mean of {k} seeds)", _pct(z["acc_seen"]),
                  ">= 60 %", "67.42 %"),
                 (f"zero-shot audio->image, unseen 8 vs 9 (mean of {k} seeds)",
                  _pct_range(z["acc_unseen"], [r["acc_unseen"] for r in z["per_seed"]]), ">= 80 %",
                  "87.5 % (see docs/imc.md)")]
        if "acc_validation" in z:
            rows.append((f"zero-shot validation: pairs of 1-7 left out (mean of {len(z['validation'])})",
                         _pct_range(z["acc_validation"], [v["acc"] for v in z["validation"]]), "", ""))
    for task in ("image", "audio"):
        if task in res:
            e = res[task]["energy"]
            rows.append((f"energy per inference, {task}: crossbar / MCU / int8 MACs alone",
                         f"{e['imc_joules'] * 1e9:.0f} nJ / {e['mcu_joules'] * 1e6:.0f} uJ / "
                         f"{e['digital_mac_joules'] * 1e9:.0f} nJ", "reported",
                         "23.34x-160x vs digital hardware"))
    return rows
