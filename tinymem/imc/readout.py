"""`SoftmaxReadout` and `MLPReadout`: the trainable digital readouts of a reservoir.

Both standardise the features with the training mean and deviation. The softmax (multinomial
logistic) readout minimises cross-entropy + l2/2 |W|^2 with scipy's L-BFGS; the MLP (one ReLU
hidden layer) uses Adam on mini-batches. Both are deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _Standardised:
    def _fit_scaler(self, x):
        self.mean = x.mean(axis=0)
        self.std = x.std(axis=0) + 1e-6

    def _scale(self, x):
        return (np.asarray(x, np.float64) - self.mean) / self.std

    def predict(self, x) -> np.ndarray:
        return np.argmax(self.decision(x), axis=1)

    def score(self, x, y) -> float:
        return float(np.mean(self.predict(x) == np.asarray(y)))


class SoftmaxReadout(_Standardised):
    def __init__(self, l2: float = 1e-3, max_iter: int = 500):
        self.l2, self.max_iter = l2, max_iter

    def fit(self, x, y, n_classes: int | None = None) -> "SoftmaxReadout":
        y = np.asarray(y)
        self._fit_scaler(np.asarray(x, np.float64))
        z = self._scale(x)
        n, d = z.shape
        k = n_classes or int(y.max()) + 1
        onehot = np.eye(k)[y]
        zb = np.hstack([z, np.ones((n, 1))])

        def loss(flat):
            w = flat.reshape(d + 1, k)
            p = _softmax(zb @ w)
            ce = -np.sum(onehot * np.log(p + 1e-12)) / n
            reg = 0.5 * self.l2 * np.sum(w[:-1] ** 2)
            grad = zb.T @ (p - onehot) / n
            grad[:-1] += self.l2 * w[:-1]
            return ce + reg, grad.ravel()

        res = minimize(loss, np.zeros((d + 1) * k), jac=True, method="L-BFGS-B",
                       options={"maxiter": self.max_iter})
        self.w = res.x.reshape(d + 1, k)
        return self

    def decision(self, x) -> np.ndarray:
        z = self._scale(x)
        return z @ self.w[:-1] + self.w[-1]

    @property
    def macs(self) -> int:
        return int(self.w[:-1].size)


class MLPReadout(_Standardised):
    def __init__(self, hidden: int = 128, epochs: int = 60, lr: float = 1e-3, l2: float = 1e-4,
                 batch: int = 128, seed: int = 0):
        self.hidden, self.epochs, self.lr, self.l2 = hidden, epochs, lr, l2
        self.batch, self.seed = batch, seed

    def fit(self, x, y, n_classes: int | None = None) -> "MLPReadout":
        y = np.asarray(y)
        self._fit_scaler(np.asarray(x, np.float64))
        z = self._scale(x)
        n, d = z.shape
        k = n_classes or int(y.max()) + 1
        rng = np.random.default_rng(self.seed)
        p = [rng.standard_normal((d, self.hidden)) * np.sqrt(2.0 / d), np.zeros(self.hidden),
             rng.standard_normal((self.hidden, k)) * np.sqrt(1.0 / self.hidden), np.zeros(k)]
        m = [np.zeros_like(a) for a in p]
        v = [np.zeros_like(a) for a in p]
        onehot = np.eye(k)[y]
        step = 0
        for _ in range(self.epochs):
            order = rng.permutation(n)
            for i in range(0, n, self.batch):
                idx = order[i:i + self.batch]
                h = np.maximum(z[idx] @ p[0] + p[1], 0)
                g_out = (_softmax(h @ p[2] + p[3]) - onehot[idx]) / len(idx)
                g_h = (g_out @ p[2].T) * (h > 0)
                grads = [z[idx].T @ g_h + self.l2 * p[0], g_h.sum(0),
                         h.T @ g_out + self.l2 * p[2], g_out.sum(0)]
                step += 1
                for j, g in enumerate(grads):
                    m[j] = 0.9 * m[j] + 0.1 * g
                    v[j] = 0.999 * v[j] + 0.001 * g * g
                    mh, vh = m[j] / (1 - 0.9 ** step), v[j] / (1 - 0.999 ** step)
                    p[j] -= self.lr * mh / (np.sqrt(vh) + 1e-8)
        self.params = p
        return self

    def decision(self, x) -> np.ndarray:
        p = self.params
        h = np.maximum(self._scale(x) @ p[0] + p[1], 0)
        return h @ p[2] + p[3]

    @property
    def macs(self) -> int:
        return int(self.params[0].size + self.params[2].size)
