r"""Finite differences, gradient checks and what the Hessian says about a critical point.

Taylor around :math:`\theta'` (the lecture's "Warning of Math"):

.. math:: L(\theta) \approx L(\theta') + (\theta-\theta')^\top g + \tfrac12 (\theta-\theta')^\top H (\theta-\theta'),
          \qquad g_i = \frac{\partial L}{\partial\theta_i}, \quad H_{ij} = \frac{\partial^2 L}{\partial\theta_i\partial\theta_j}.

At a critical point (:math:`g = 0`) the eigenvalues of :math:`H` decide: all positive, local
minimum; all negative, local maximum; both signs, saddle point (鞍点), and the eigenvector
:math:`u` of a negative eigenvalue :math:`\lambda` is a way down:
:math:`L(\theta'+u) \approx L(\theta') + \tfrac12\lambda\|u\|^2 < L(\theta')`.

Functions ``f`` map a point of shape ``(dim,)`` to a number; a vectorised ``f`` (shape
``(..., dim)`` to ``(...)``, like every :mod:`course_utils.surfaces` surface) also works on
many points at once.
"""

from __future__ import annotations

import numpy as np

from . import _validate

__all__ = [
    "numerical_grad",
    "numerical_hessian",
    "grad_check",
    "hessian_check",
    "classify_critical_point",
    "eigen_directions",
    "minimum_ratio",
    "escape_direction",
    "taylor_error",
    "loglog_slope",
]

#: Default tolerance below which an eigenvalue counts as zero.
EIGEN_TOL = 1e-8


def _point(theta):
    theta = np.asarray(theta)
    if theta.ndim == 0 or not (np.issubdtype(theta.dtype, np.floating) or np.issubdtype(theta.dtype, np.integer)):
        raise ValueError(f"theta must be an array of numbers of shape (dim,) or (..., dim); got {theta!r}")
    return theta.astype(np.float64)


def _unit_vectors(theta):
    return np.eye(theta.shape[-1])


def numerical_grad(f, theta, eps=1e-6):
    r"""Central differences :math:`g_i \approx \dfrac{L(\theta + \epsilon e_i) - L(\theta - \epsilon e_i)}{2\epsilon}`.

    The error is :math:`O(\epsilon^2)` from truncation plus about :math:`\delta|L|/\epsilon` from
    rounding (:math:`\delta \approx 10^{-16}`); ``eps = 1e-6`` balances the two in float64.
    Costs ``2 * dim`` evaluations of ``f``.
    """
    theta = _point(theta)
    eps = _validate.number("eps", eps, low=0, low_open=True)
    columns = [
        (np.asarray(f(theta + eps * e)) - np.asarray(f(theta - eps * e))) / (2 * eps) for e in _unit_vectors(theta)
    ]
    return np.stack(columns, axis=-1)


def numerical_hessian(f=None, theta=None, *, grad=None, eps=None):
    r"""Finite-difference Hessian, from an analytic gradient if given, else from ``f`` alone.

    With ``grad`` (``2 * dim`` gradient evaluations, ``eps`` defaults to 1e-6), column :math:`j` is
    :math:`\dfrac{g(\theta + \epsilon e_j) - g(\theta - \epsilon e_j)}{2\epsilon}`, then symmetrised,
    :math:`\tfrac12(H + H^\top)`.

    Without it, second differences of ``f`` (``4 * dim**2`` evaluations, ``eps`` defaults to 1e-4
    because rounding now grows like :math:`\delta/\epsilon^2`):

    .. math:: H_{ij} \approx \frac{L(\theta+\epsilon e_i+\epsilon e_j) - L(\theta+\epsilon e_i-\epsilon e_j)
              - L(\theta-\epsilon e_i+\epsilon e_j) + L(\theta-\epsilon e_i-\epsilon e_j)}{4\epsilon^2}.
    """
    if theta is None:
        raise ValueError("theta is required: the point where the Hessian is taken")
    theta = _point(theta)
    if grad is None and f is None:
        raise ValueError("give f (a function of theta) or grad= (its gradient)")
    if grad is not None:
        eps = _validate.number("eps", 1e-6 if eps is None else eps, low=0, low_open=True)
        columns = [
            (np.asarray(grad(theta + eps * e)) - np.asarray(grad(theta - eps * e))) / (2 * eps)
            for e in _unit_vectors(theta)
        ]
        H = np.stack(columns, axis=-1)  # H[..., i, j] = d g_i / d theta_j
    else:
        eps = _validate.number("eps", 1e-4 if eps is None else eps, low=0, low_open=True)
        units = _unit_vectors(theta) * eps
        dim = theta.shape[-1]
        H = np.empty(theta.shape + (dim,))
        for i in range(dim):
            for j in range(i, dim):
                ei, ej = units[i], units[j]
                H[..., i, j] = H[..., j, i] = (
                    f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
                ) / (4 * eps**2)
    return (H + np.swapaxes(H, -1, -2)) / 2


def _relative_error(analytic, numeric, floor):
    analytic, numeric = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    _validate.same_shape("numerical derivative", numeric, "analytic derivative", analytic)
    floor = _validate.number("floor", floor, low=0, low_open=True)
    return float(np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)))


def grad_check(f, grad, theta, eps=1e-6, floor=1e-8):
    r"""Largest relative error between ``grad(theta)`` and central differences of ``f``:

    .. math:: \max_i \frac{|g_i - \tilde g_i|}{\max(|g_i| + |\tilde g_i|,\ \text{floor})}.

    About 1e-8 or less means the gradient is right; 1e-2 or more means a bug. ``floor`` keeps a
    component that is zero up to rounding (both values ~1e-11) from counting as a 100 % error.
    """
    return _relative_error(grad(_point(theta)), numerical_grad(f, theta, eps), floor)


def hessian_check(f, hess, theta, *, grad=None, eps=None, floor=1e-8):
    """Largest relative error between ``hess(theta)`` and :func:`numerical_hessian` (same formula as
    :func:`grad_check`). Pass ``grad=`` to difference the analytic gradient (more accurate); ``f`` may
    then be ``None``."""
    return _relative_error(hess(_point(theta)), numerical_hessian(f, theta, grad=grad, eps=eps), floor)


def _square(H):
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"H must be a square matrix of shape (dim, dim); got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError("H must be finite (no nan or inf entries)")
    return (H + H.T) / 2


def eigen_directions(H):
    """Eigenvalues of the (symmetrised) Hessian in ascending order and the unit eigenvectors as columns.

    Each eigenvector's sign is fixed so its first non-zero entry is positive (the lecture's
    u = (1, 1)/√2, not -(1, 1)/√2).
    """
    eigenvalues, vectors = np.linalg.eigh(_square(H))
    for k in range(vectors.shape[1]):
        first = vectors[np.flatnonzero(np.abs(vectors[:, k]) > 1e-12)[0], k]
        vectors[:, k] *= np.sign(first)
    return eigenvalues, vectors


def classify_critical_point(H, tol=EIGEN_TOL):
    """Classify a critical point from its Hessian's eigenvalues λ.

    Returns ``"local minimum"`` (all λ > tol), ``"local maximum"`` (all λ < -tol), ``"saddle point"``
    (some λ > tol and some λ < -tol) or ``"degenerate"``: some |λ| <= tol and no two opposite signs.
    Then the second-order Taylor term is flat along that eigenvector and higher-order terms
    decide: x⁴ (minimum), -x⁴ (maximum) and x³ (neither) all have H = 0 at 0. The Hessian alone
    cannot tell them apart.
    """
    tol = _validate.number("tol", tol, low=0)
    eigenvalues = np.linalg.eigvalsh(_square(H))
    positive, negative = np.any(eigenvalues > tol), np.any(eigenvalues < -tol)
    if positive and negative:
        return "saddle point"
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    return "local minimum" if positive else "local maximum"


def minimum_ratio(H, tol=EIGEN_TOL):
    r"""The lecture's minimum ratio :math:`\dfrac{\#\{\lambda > \text{tol}\}}{\#\{\lambda\}}`: 1 at a strict local minimum."""
    tol = _validate.number("tol", tol, low=0)
    eigenvalues = np.linalg.eigvalsh(_square(H))
    return float(np.count_nonzero(eigenvalues > tol) / eigenvalues.size)


def escape_direction(H, tol=EIGEN_TOL):
    r"""Unit eigenvector :math:`u` of the most negative eigenvalue :math:`\lambda`.

    At a saddle, :math:`L(\theta' + r u) \approx L(\theta') + \tfrac12 \lambda r^2 < L(\theta')`: step
    along :math:`u` (or :math:`-u`) to lower the loss. Raises ``ValueError`` when no eigenvalue is
    below ``-tol`` (no direction of negative curvature).
    """
    tol = _validate.number("tol", tol, low=0)
    eigenvalues, vectors = eigen_directions(H)
    if not eigenvalues[0] < -tol:
        raise ValueError(
            f"H has no negative eigenvalue (smallest is {eigenvalues[0]:.3g} >= -tol = {-tol:g}): "
            "no direction of negative curvature to escape along"
        )
    return vectors[:, 0]


def taylor_error(f, grad, hess, theta0, direction, radii):
    r"""Error of the second-order Taylor model along a unit direction :math:`u`, for each radius :math:`r`:

    .. math:: e(r) = \big| L(\theta_0 + r u) - \big[L(\theta_0) + r\,u^\top g + \tfrac12 r^2\,u^\top H u\big] \big|.

    It shrinks like :math:`r^3` (:func:`loglog_slope` of ``(radii, errors)`` is about 3) where the
    third derivative along :math:`u` is non-zero. ``direction`` is normalised to length 1.
    """
    theta0 = _point(theta0)
    u = np.asarray(direction, dtype=float)
    _validate.same_shape("theta0", theta0, "direction", u)
    norm = float(np.linalg.norm(u))
    if not norm > 0 or not np.isfinite(norm):
        raise ValueError(f"direction must be a finite non-zero vector; got {direction!r}")
    u = u / norm
    radii = np.asarray(radii, dtype=float)
    if radii.ndim != 1 or radii.size == 0 or not np.all(np.isfinite(radii)) or np.any(radii <= 0):
        raise ValueError(f"radii must be a 1-D array of positive numbers; got {radii!r}")
    value0, slope, curvature = float(f(theta0)), float(u @ grad(theta0)), float(u @ hess(theta0) @ u)
    model = value0 + radii * slope + 0.5 * radii**2 * curvature
    actual = np.array([float(f(theta0 + r * u)) for r in radii])
    return np.abs(actual - model)


def loglog_slope(x, y):
    r"""Least-squares slope of :math:`\log y` against :math:`\log x` (the exponent :math:`p` in :math:`y \propto x^p`)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    _validate.same_shape("x", x, "y", y)
    if x.ndim != 1 or x.size < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be 1-D arrays of at least two positive numbers")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
