"""`ContrastiveHeads`: CLIP-style projection heads on two fixed encoders, and zero-shot retrieval.

Two trainable heads (linear, or one ReLU hidden layer) map standardised audio and image features
to unit-norm embeddings. Training minimises the symmetric contrastive loss of CLIP (Radford et al.
2021): cross-entropy of the audio->image and image->audio similarity logits / temperature against
the pairing. A batch holds `per_class` (audio, image) pairs of each training class; pairs of the
same class are all positives (soft targets), so with per_class = 1 this is exactly CLIP's loss.
Adam, seeded. `retrieve` ranks candidate classes for each audio query by cosine similarity to
the images of each class (their mean embedding, or one random image per class).
"""

from __future__ import annotations

import numpy as np


def _norm(z):
    n = np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
    return z / n, n


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


class _Head:
    def __init__(self, d_in, d_out, hidden, rng):
        self.hidden = hidden
        if hidden:
            self.p = [rng.standard_normal((d_in, hidden)) * np.sqrt(2.0 / d_in), np.zeros(hidden),
                      rng.standard_normal((hidden, d_out)) * np.sqrt(1.0 / hidden), np.zeros(d_out)]
        else:
            self.p = [rng.standard_normal((d_in, d_out)) * np.sqrt(1.0 / d_in), np.zeros(d_out)]

    def forward(self, x):
        if self.hidden:
            h = np.maximum(x @ self.p[0] + self.p[1], 0)
            return h @ self.p[2] + self.p[3], (x, h)
        return x @ self.p[0] + self.p[1], (x,)

    def backward(self, g, cache, l2):
        if self.hidden:
            x, h = cache
            gh = (g @ self.p[2].T) * (h > 0)
            return [x.T @ gh + l2 * self.p[0], gh.sum(0), h.T @ g + l2 * self.p[2], g.sum(0)]
        (x,) = cache
        return [x.T @ g + l2 * self.p[0], g.sum(0)]


class ContrastiveHeads:
    def __init__(self, dim: int = 64, hidden: int = 0, temperature: float = 0.1, lr: float = 1e-3,
                 steps: int = 3000, per_class: int = 4, l2: float = 1e-4, seed: int = 0):
        self.dim, self.hidden, self.tau, self.lr = dim, hidden, temperature, lr
        self.steps, self.per_class, self.l2, self.seed = steps, per_class, l2, seed

    def _std(self, x, which):
        m, s = self.scalers[which]
        return (np.asarray(x, np.float64) - m) / s

    def fit(self, audio, audio_y, image, image_y) -> "ContrastiveHeads":
        audio_y, image_y = np.asarray(audio_y), np.asarray(image_y)
        self.scalers = {k: (v.mean(0), v.std(0) + 1e-6) for k, v in (("a", audio), ("i", image))}
        a, im = self._std(audio, "a"), self._std(image, "i")
        rng = np.random.default_rng(self.seed)
        self.heads = {"a": _Head(a.shape[1], self.dim, self.hidden, rng),
                      "i": _Head(im.shape[1], self.dim, self.hidden, rng)}
        classes = np.unique(audio_y)
        by_a = {c: np.nonzero(audio_y == c)[0] for c in classes}
        by_i = {c: np.nonzero(image_y == c)[0] for c in classes}
        labels = np.repeat(classes, self.per_class)
        target = (labels[:, None] == labels[None, :]).astype(np.float64)
        target /= target.sum(axis=1, keepdims=True)
        params = self.heads["a"].p + self.heads["i"].p
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        self.losses = []
        for step in range(1, self.steps + 1):
            ia = np.concatenate([rng.choice(by_a[c], self.per_class) for c in classes])
            ii = np.concatenate([rng.choice(by_i[c], self.per_class) for c in classes])
            za, ca = self.heads["a"].forward(a[ia])
            zi, ci = self.heads["i"].forward(im[ii])
            ea, na = _norm(za)
            ei, ni = _norm(zi)
            logits = ea @ ei.T / self.tau
            lr_, lc_ = _log_softmax(logits), _log_softmax(logits.T)
            n = len(labels)
            self.losses.append(float(-(target * lr_).sum() / n - (target * lc_).sum() / n) / 2)
            g = ((np.exp(lr_) - target) + (np.exp(lc_) - target).T) / (2 * n) / self.tau
            gea, gei = g @ ei, g.T @ ea
            gza = (gea - ea * (ea * gea).sum(1, keepdims=True)) / na
            gzi = (gei - ei * (ei * gei).sum(1, keepdims=True)) / ni
            grads = self.heads["a"].backward(gza, ca, self.l2) + self.heads["i"].backward(gzi, ci, self.l2)
            for j, gr in enumerate(grads):
                m[j] = 0.9 * m[j] + 0.1 * gr
                v[j] = 0.999 * v[j] + 0.001 * gr * gr
                params[j] -= self.lr * (m[j] / (1 - 0.9 ** step)) / (np.sqrt(v[j] / (1 - 0.999 ** step)) + 1e-8)
        return self

    def embed(self, x, which: str) -> np.ndarray:
        """Unit-norm embeddings of audio ("a") or image ("i") features."""
        return _norm(self.heads[which].forward(self._std(x, which))[0])[0]

    def retrieve(self, audio, image, image_y, candidates, mode: str = "prototype",
                 seed: int = 0) -> np.ndarray:
        """Predicted class of each audio query among `candidates`, from the images' embeddings."""
        ea, ei = self.embed(audio, "a"), self.embed(image, "i")
        image_y = np.asarray(image_y)
        candidates = np.asarray(candidates)
        if mode == "prototype":
            protos = _norm(np.stack([ei[image_y == c].mean(0) for c in candidates]))[0]
            return candidates[np.argmax(ea @ protos.T, axis=1)]
        rng = np.random.default_rng(seed)
        pick = np.stack([rng.choice(np.nonzero(image_y == c)[0], len(ea)) for c in candidates], 1)
        sims = np.einsum("qd,qkd->qk", ea, ei[pick])
        return candidates[np.argmax(sims, axis=1)]
