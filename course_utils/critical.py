"""Converging to critical points for real, and reading the Hessian's spectrum there.

Training that stops because a learning-rate schedule reached zero stops where it happens to be,
not at a critical point. This module takes many small problems *at once* (parameters of shape
``(runs, dim)``) to points where the gradient really vanishes:

- :func:`levenberg_marquardt` minimises a sum of squared residuals (plus an optional weight decay)
  with damped Gauss-Newton steps. It is a descent method: a step is kept only if the loss goes down,
  so it ends where *training* can end (usually a minimum), much faster than first-order methods.
- :func:`newton_polish` solves :math:`\\nabla L = 0` by Newton's method, damped like Levenberg-Marquardt
  on :math:`\\tfrac12\\|\\nabla L\\|^2`; it drives :math:`\\|\\nabla L\\|` down to rounding error near a critical
  point of any kind (minimum, maximum or saddle).
- :func:`spectrum_counts` sorts eigenvalues into negative, flat and positive, relative to the largest
  one, so that flat directions are not mistaken for directions that curve down.
"""

from __future__ import annotations

import numpy as np

from . import _validate


def _runs(name, theta) -> np.ndarray:
    theta = np.array(theta, dtype=float)  # a copy: the caller's array is never changed
    if theta.ndim != 2 or theta.shape[0] == 0 or theta.shape[1] == 0:
        raise ValueError(f"{name} must be an array of shape (runs, dim) with runs, dim >= 1, got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} must hold finite numbers only")
    return theta


def levenberg_marquardt(residual_jacobian, theta, steps, *, weight_decay=0.0, mu=1e-2, mean=True):
    r"""Minimise :math:`L(\theta) = \frac1N\|r(\theta)\|^2 + \alpha\|\theta\|^2` for many runs at once.

    Each step solves :math:`(A + \mu I)\,\delta = \nabla L` with the Gauss-Newton matrix
    :math:`A = \frac2N J^\top J + 2\alpha I` and keeps :math:`\theta - \delta` only if the loss went down;
    then :math:`\mu` shrinks (÷3, towards Gauss-Newton), otherwise it grows (×4, towards a short
    gradient step). Every run has its own :math:`\mu`.

    Parameters
    ----------
    residual_jacobian : callable
        ``residual_jacobian(theta)`` for ``theta`` of shape ``(runs, dim)`` returns the residuals
        ``r`` of shape ``(runs, N)`` and their Jacobian ``J`` of shape ``(runs, N, dim)``.
    theta : array_like, shape (runs, dim)
        Starting points (not modified).
    steps : int
        Number of steps, >= 0.
    weight_decay : float
        :math:`\alpha \ge 0`.
    mu : float
        Initial damping, > 0.
    mean : bool
        If True the data term is the mean of the squared residuals (:math:`N` = number of residuals),
        else their sum (:math:`N = 1`).

    Returns
    -------
    theta : ndarray, shape (runs, dim)
        The end points.
    loss : ndarray, shape (runs,)
        The loss at each end point.
    """
    theta = _runs("theta", theta)
    steps = _validate.number("steps", steps, low=0, integer=True)
    alpha = _validate.number("weight_decay", weight_decay, low=0)
    mu = np.full(len(theta), _validate.number("mu", mu, low=0, low_open=True))
    dim = theta.shape[1]
    eye = np.eye(dim)

    def evaluate(th):
        r, J = residual_jacobian(th)
        r, J = np.asarray(r, dtype=float), np.asarray(J, dtype=float)
        if r.ndim != 2 or J.shape != r.shape + (dim,):
            raise ValueError(
                f"residual_jacobian must return r of shape (runs, N) and J of shape (runs, N, {dim}), "
                f"got {r.shape} and {J.shape}"
            )
        scale = 1.0 / r.shape[1] if mean else 1.0
        return scale * np.sum(r * r, axis=1) + alpha * np.sum(th * th, axis=1), r, J, scale

    loss, r, J, scale = evaluate(theta)
    for _ in range(steps):
        grad = 2 * scale * np.einsum("knd,kn->kd", J, r) + 2 * alpha * theta
        A = 2 * scale * np.einsum("knd,kne->kde", J, J) + (2 * alpha + mu)[:, None, None] * eye
        candidate = theta - np.linalg.solve(A, grad[..., None])[..., 0]
        new_loss, new_r, new_J, _ = evaluate(candidate)
        better = np.isfinite(new_loss) & (new_loss <= loss)
        theta = np.where(better[:, None], candidate, theta)
        loss = np.where(better, new_loss, loss)
        r = np.where(better[:, None], new_r, r)
        J = np.where(better[:, None, None], new_J, J)
        mu = np.clip(np.where(better, mu / 3, mu * 4), 1e-15, 1e10)
    return theta, loss


def newton_polish(grad, hess, theta, steps, *, mu=1e-8):
    r"""Drive :math:`\|\nabla L\|` to (near) zero from nearby points, many runs at once.

    Each step is :math:`\theta \leftarrow \theta - (H^2 + \mu I)^{-1} H g`, Levenberg-Marquardt on
    :math:`\tfrac12\|g\|^2` (with :math:`\mu \to 0` it is Newton's step :math:`-H^{-1}g`). A step is kept only if
    :math:`\|g\|` goes down. This finds critical points of any kind; it does not prefer minima.

    Parameters
    ----------
    grad : callable
        ``grad(theta)``, shape ``(runs, dim)`` -> ``(runs, dim)``.
    hess : callable
        ``hess(theta)``, shape ``(runs, dim)`` -> ``(runs, dim, dim)`` (exact, or accurate finite differences).
    theta : array_like, shape (runs, dim)
        Starting points (not modified).
    steps : int
        Number of steps, >= 0.
    mu : float
        Initial damping, > 0.

    Returns
    -------
    theta : ndarray, shape (runs, dim)
    grad_norm : ndarray, shape (runs,)
        :math:`\|\nabla L\|` at the end points.
    """
    theta = _runs("theta", theta)
    steps = _validate.number("steps", steps, low=0, integer=True)
    mu = np.full(len(theta), _validate.number("mu", mu, low=0, low_open=True))
    eye = np.eye(theta.shape[1])
    g = np.asarray(grad(theta), dtype=float)
    if g.shape != theta.shape:
        raise ValueError(f"grad must return an array of shape {theta.shape}, got {g.shape}")
    norm = np.linalg.norm(g, axis=1)
    for _ in range(steps):
        H = np.asarray(hess(theta), dtype=float)
        if H.shape != theta.shape + (theta.shape[1],):
            raise ValueError(f"hess must return an array of shape {theta.shape + (theta.shape[1],)}, got {H.shape}")
        candidate = theta - np.linalg.solve(H @ H + mu[:, None, None] * eye, (H @ g[..., None]))[..., 0]
        new_g = np.asarray(grad(candidate), dtype=float)
        new_norm = np.linalg.norm(new_g, axis=1)
        better = np.isfinite(new_norm) & (new_norm < norm)
        theta = np.where(better[:, None], candidate, theta)
        g = np.where(better[:, None], new_g, g)
        norm = np.where(better, new_norm, norm)
        mu = np.clip(np.where(better, mu / 10, mu * 10), 1e-30, 1e10)
    return theta, norm


def spectrum_counts(eigenvalues, rel_tol):
    r"""Count negative, flat and positive eigenvalues, relative to the largest :math:`|\lambda|`.

    An eigenvalue is *flat* if :math:`|\lambda| \le c\,\max|\lambda|` (``c = rel_tol``), *negative* if
    :math:`\lambda < -c\,\max|\lambda|`, *positive* if :math:`\lambda > c\,\max|\lambda|`. The lecture's minimum
    ratio is ``positive / dim``: a ratio below 1 can come from flat eigenvalues alone.

    Parameters
    ----------
    eigenvalues : array_like, shape (..., dim)
        Eigenvalues of one Hessian per row.
    rel_tol : float
        :math:`c \ge 0`.

    Returns
    -------
    negative, flat, positive : ndarray of int, shape (...)
    """
    try:
        lam = np.asarray(eigenvalues, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"eigenvalues must be an array of numbers, got {eigenvalues!r}") from None
    if not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues must be finite")
    if lam.ndim == 0 or lam.shape[-1] == 0:
        raise ValueError(f"eigenvalues must have a last axis of length >= 1, got shape {lam.shape}")
    c = _validate.number("rel_tol", rel_tol, low=0)
    scale = c * np.max(np.abs(lam), axis=-1, keepdims=True)
    negative = np.sum(lam < -scale, axis=-1)
    positive = np.sum(lam > scale, axis=-1)
    return negative, lam.shape[-1] - negative - positive, positive
