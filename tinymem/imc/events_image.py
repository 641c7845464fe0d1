"""Saccade DVS events from still images, the way N-MNIST was recorded, and binned spike frames.

N-MNIST (Orchard et al., Front. Neurosci. 2015) moved an ATIS event camera in three micro-saccades
(a triangle, about 100 ms each) in front of MNIST digits on a monitor; the recordings are 34 x 34
pixels. Here the sensor is simulated: the 28 x 28 digit moves across a 34 x 34 pixel array along a
triangular path (bilinear sub-pixel motion); each pixel keeps a reference log intensity and emits
an ON (OFF) event each time the log intensity rises (falls) by its contrast threshold, which varies
from pixel to pixel (fixed-pattern mismatch, seeded). Optional background-activity noise events.
`saccade_frames` computes the binned spike frames of many images at once (centre crop, as the
paper's 16 x 16 input); `bin_events` bins an event stream (real or simulated) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymem.imc.nmnist import EVENT_DTYPE, SENSOR


@dataclass(frozen=True)
class SaccadeParams:
    path: tuple = ((3.0, 0.0), (6.0, 6.0), (0.0, 6.0))  # (dx, dy) vertices in pixels, a triangle
    saccade_ms: float = 100.0  # duration of each of the 3 edges
    dt_ms: float = 1.0  # simulation step
    threshold: float = 0.25  # mean log-intensity contrast threshold
    threshold_std: float = 0.03  # pixel-to-pixel mismatch of the threshold
    eps: float = 0.2  # log(I + eps): dark offset of the photoreceptor, I in [0, 1]
    noise_hz: float = 0.0  # background-activity events per pixel per second
    sensor_seed: int = 0  # fixed-pattern mismatch of this simulated sensor

    @property
    def steps(self) -> int:
        return int(round(3 * self.saccade_ms / self.dt_ms))

    @property
    def duration_us(self) -> int:
        return int(round(3 * self.saccade_ms * 1000))


def _offsets(p: SaccadeParams) -> np.ndarray:
    """(steps + 1, 2) sensor offsets (dx, dy) of the digit at each step boundary."""
    verts = np.array(p.path + (p.path[0],), dtype=np.float64)
    n = int(round(p.saccade_ms / p.dt_ms))
    pts = [verts[k] + (verts[k + 1] - verts[k]) * (i / n) for k in range(3) for i in range(n)]
    pts.append(verts[0])
    return np.array(pts)


def _thresholds(p: SaccadeParams) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence([p.sensor_seed, 0x5AC]))
    th = p.threshold + p.threshold_std * rng.standard_normal((SENSOR, SENSOR))
    return np.maximum(th, 0.25 * p.threshold)


def _log_frames(images: np.ndarray, p: SaccadeParams, rows: slice, cols: slice):
    """Yield (step, log intensity [B, h, w]) of the sensor window rows x cols, steps 0..steps."""
    b, h, w = images.shape
    pad = 8  # room for the largest offset (+1 for interpolation) on either side
    canvas = np.zeros((b, SENSOR + 2 * pad, SENSOR + 2 * pad), dtype=np.float32)
    canvas[:, pad:pad + h, pad:pad + w] = images.astype(np.float32) / 255.0
    r0, r1, c0, c1 = rows.start, rows.stop, cols.start, cols.stop
    for step, (dx, dy) in enumerate(_offsets(p)):
        ix, iy = int(np.floor(dx)), int(np.floor(dy))
        fx, fy = float(dx - ix), float(dy - iy)
        # sensor pixel (r, c) sees the image at (r - dy, c - dx)
        def sl(oy, ox):
            return canvas[:, pad + r0 - iy - oy:pad + r1 - iy - oy, pad + c0 - ix - ox:pad + c1 - ix - ox]
        img = ((1 - fx) * (1 - fy) * sl(0, 0) + fx * (1 - fy) * sl(0, 1)
               + (1 - fx) * fy * sl(1, 0) + fx * fy * sl(1, 1))
        yield step, np.log(img + np.float32(p.eps))


def _simulate(images: np.ndarray, p: SaccadeParams, rows: slice, cols: slice):
    """Yield (step index 0..steps-1, ON counts, OFF counts) per simulation step, [B, h, w] int."""
    th = _thresholds(p)[rows, cols][None].astype(np.float32)
    inv = 1.0 / th
    ref = None
    for step, logi in _log_frames(images, p, rows, cols):
        if ref is None:
            ref = logi.copy()
            continue
        d = logi - ref
        n = np.trunc(d * inv)  # whole thresholds crossed, signed (floor of |d| / th)
        ref += n * th
        on = np.maximum(n, 0).astype(np.int32)
        off = np.maximum(-n, 0).astype(np.int32)
        yield step - 1, on, off


def _noise_events(p: SaccadeParams, seed, index: int) -> np.ndarray:
    if p.noise_hz <= 0:
        return np.empty(0, dtype=EVENT_DTYPE)
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, 0xBA]))
    n = rng.poisson(p.noise_hz * SENSOR * SENSOR * p.duration_us * 1e-6)
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["x"], ev["y"] = rng.integers(0, SENSOR, n), rng.integers(0, SENSOR, n)
    ev["p"], ev["t"] = rng.integers(0, 2, n), rng.integers(0, p.duration_us, n)
    return ev


def saccade_events(image: np.ndarray, params: SaccadeParams = SaccadeParams(), seed: int = 0,
                   index: int = 0) -> np.ndarray:
    """Events (x, y, p, t in us; p = 1 for ON) of one 28 x 28 uint8 image, sorted by time."""
    p = params
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, 0xE7]))
    dt_us = p.dt_ms * 1000.0
    chunks = []
    full = slice(0, SENSOR)
    for step, on, off in _simulate(image[None], p, full, full):
        for pol, cnt in ((1, on[0]), (0, off[0])):
            ys, xs = np.nonzero(cnt)
            if ys.size == 0:
                continue
            reps = cnt[ys, xs]
            ev = np.empty(int(reps.sum()), dtype=EVENT_DTYPE)
            ev["x"], ev["y"] = np.repeat(xs, reps), np.repeat(ys, reps)
            ev["p"] = pol
            ev["t"] = np.floor((step + rng.random(ev.size)) * dt_us).astype(np.uint32)
            chunks.append(ev)
    chunks.append(_noise_events(p, seed, index))
    ev = np.concatenate(chunks) if chunks else np.empty(0, dtype=EVENT_DTYPE)
    return ev[np.argsort(ev["t"], kind="stable")]


def crop_window(crop: int, pool: int = 1) -> slice:
    """The central window of the sensor that `crop` x `crop` inputs of `pool` x `pool` pixels see."""
    size = crop * pool
    if size > SENSOR:
        raise ValueError(f"{crop} x {pool} pixels do not fit the {SENSOR}-pixel sensor")
    start = (SENSOR - size) // 2
    return slice(start, start + size)


def bin_events(events: np.ndarray, steps: int, duration_us: int, crop: int = 16,
               polarity: str = "merge", pool: int = 1) -> np.ndarray:
    """Spike frames [steps, inputs] (uint8 0/1) of an event stream: `crop` x `crop` inputs, each
    the OR of `pool` x `pool` sensor pixels of the central window (pool 1: the literal centre
    crop); `steps` equal time bins over `duration_us`; polarity "merge" (crop^2 inputs) or "split"
    (ON then OFF, 2 crop^2 inputs). An input spikes in a bin if it had at least one event there."""
    win = crop_window(crop, pool)
    keep = ((events["x"] >= win.start) & (events["x"] < win.stop)
            & (events["y"] >= win.start) & (events["y"] < win.stop) & (events["t"] < duration_us))
    ev = events[keep]
    b = (ev["t"].astype(np.int64) * steps) // duration_us
    row = (ev["y"].astype(np.int64) - win.start) // pool
    pix = row * crop + (ev["x"].astype(np.int64) - win.start) // pool
    if polarity == "split":
        pix = pix + (1 - ev["p"].astype(np.int64)) * crop * crop
    n_in = crop * crop * (2 if polarity == "split" else 1)
    out = np.zeros((steps, n_in), dtype=np.uint8)
    out[b, pix] = 1
    return out


def saccade_frames(images: np.ndarray, steps: int = 50, crop: int = 16, polarity: str = "merge",
                   params: SaccadeParams = SaccadeParams(), seed: int = 0, batch: int = 256,
                   first_index: int = 0, pool: int = 1) -> np.ndarray:
    """Spike frames [N, steps, inputs] of many images; equal to `bin_events(saccade_events(...))`
    per image (the simulation is the same; only the crop window is simulated)."""
    p = params
    if p.steps % steps:
        raise ValueError(f"{p.steps} simulation steps do not divide into {steps} bins")
    per_bin = p.steps // steps
    win = crop_window(crop, pool)
    n_in = crop * crop * (2 if polarity == "split" else 1)
    out = np.zeros((images.shape[0], steps, n_in), dtype=np.uint8)
    for s in range(0, images.shape[0], batch):
        chunk = images[s:s + batch]
        for step, on, off in _simulate(chunk, p, win, win):
            t = step // per_bin
            shape = (len(chunk), crop, pool, crop, pool)
            on = (on.reshape(shape) > 0).any(axis=(2, 4)).reshape(len(chunk), -1)
            off = (off.reshape(shape) > 0).any(axis=(2, 4)).reshape(len(chunk), -1)
            if polarity == "split":
                out[s:s + len(chunk), t] |= np.concatenate([on, off], axis=1)
            else:
                out[s:s + len(chunk), t] |= on | off
    if p.noise_hz > 0:
        for i in range(images.shape[0]):
            out[i] |= bin_events(_noise_events(p, seed, first_index + i), steps, p.duration_us,
                                 crop, polarity, pool)
    return out
