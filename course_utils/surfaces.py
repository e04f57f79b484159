r"""Error surfaces with analytic value, gradient and Hessian.

Every surface is a :class:`Surface`: evaluate it at ``theta`` of shape ``(..., dim)`` — one
point ``(dim,)``, many runs ``(runs, dim)``, or a meshgrid stacked on the last axis
``(ny, nx, dim)``::

    s = surfaces.w1w2()                    # the lecture's y = w1·w2·x, L = (1 - w1 w2)^2
    s.value(theta)    # shape theta.shape[:-1]          (also s(theta))
    s.grad(theta)     # shape theta.shape
    s.hessian(theta)  # shape theta.shape + (dim,)
    X, Y, Z = s.grid()                     # ready for plt.contour over s.bounds

``step`` (0-based, as the optimizers count) is ignored by static surfaces and selects the
loss of that step on online ones (:func:`reddi_online`).

Attributes: ``dim``, ``name`` (short, for legends), ``formula`` (LaTeX), ``bounds`` (the
plotting window: ``((x_min, x_max), (y_min, y_max))`` in 2-D, ``(x_min, x_max)`` in 1-D),
``start`` (a good starting point), ``minimum`` (the known global minimiser, or ``None``),
``project`` (``None``, or a map of ``theta`` into the feasible set).

The factories: :func:`elongated`, :func:`quadratic`, :func:`product_loss` (alias
:func:`w1w2`), :func:`rosenbrock`, :func:`saddle`, :func:`himmelblau`, :func:`bumpy_1d`,
:func:`reddi_online`; :data:`ALL` / :func:`catalogue` map names to factories.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from . import _validate

__all__ = [
    "Surface",
    "QuadraticForm",
    "ProductLoss",
    "Rosenbrock",
    "Himmelblau",
    "Bumpy1D",
    "ReddiOnline",
    "elongated",
    "quadratic",
    "product_loss",
    "w1w2",
    "rosenbrock",
    "saddle",
    "himmelblau",
    "bumpy_1d",
    "reddi_online",
    "ALL",
    "catalogue",
]


def _as_matrix(rows):
    """Stack nested lists of equally broadcastable arrays into shape (..., n, m)."""
    flat = np.broadcast_arrays(*[entry for row in rows for entry in row])
    n, m = len(rows), len(rows[0])
    return np.stack(flat, axis=-1).reshape(flat[0].shape + (n, m))


def _scalar_if_0d(result):
    result = np.asarray(result)
    return result[()] if result.ndim == 0 else result


class Surface:
    """Base class: validates ``theta`` and dispatches to ``_value``, ``_grad``, ``_hessian``.

    A subclass implements the three private methods for a checked float array ``theta`` of shape
    ``(..., dim)``; the public methods add the shape check and turn 0-d results into scalars.
    """

    def __init__(self, *, dim, name, formula, bounds, start, minimum=None, project=None):
        self.dim = int(dim)
        self.name = name
        self.formula = formula
        self.bounds = bounds
        self._start = np.array(start, dtype=float).reshape(self.dim)
        self._minimum = None if minimum is None else np.array(minimum, dtype=float).reshape(self.dim)
        self.project = project

    @property
    def start(self):
        """A good starting point: a fresh array each time, so an optimizer may update it in place."""
        return self._start.copy()

    @property
    def minimum(self):
        """The known global minimiser (a fresh array), or ``None``."""
        return None if self._minimum is None else self._minimum.copy()

    # -- the public interface -------------------------------------------------------------
    def value(self, theta, step=None):
        """Loss at ``theta`` (shape ``theta.shape[:-1]``)."""
        return _scalar_if_0d(self._value(self._theta(theta), step))

    def grad(self, theta, step=None):
        """Gradient :math:`\\nabla L(\\theta)` (shape ``theta.shape``)."""
        return self._grad(self._theta(theta), step)

    def hessian(self, theta, step=None):
        """Hessian :math:`H_{ij} = \\partial^2 L / \\partial\\theta_i \\partial\\theta_j` (shape ``theta.shape + (dim,)``)."""
        return self._hessian(self._theta(theta), step)

    def __call__(self, theta, step=None):
        return self.value(theta, step)

    def grid(self, n=200):
        """Evaluate over ``self.bounds``: ``(X, Y, Z)`` meshgrids (2-D) or ``(x, y)`` (1-D), ``n`` points per axis."""
        n = _validate.number("n", n, low=2, integer=True)
        if self.dim == 1:
            x = np.linspace(*self.bounds, n)
            return x, self.value(x[:, None])
        if self.dim == 2:
            (x0, x1), (y0, y1) = self.bounds
            X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
            return X, Y, self.value(np.stack([X, Y], axis=-1))
        raise ValueError(f"grid needs a surface with dim 1 or 2; {self.name!r} has dim={self.dim}")

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} dim={self.dim}>"

    # -- helpers for subclasses -------------------------------------------------------------
    def _theta(self, theta):
        theta = np.asarray(theta)
        if not (np.issubdtype(theta.dtype, np.floating) or np.issubdtype(theta.dtype, np.integer)):
            raise ValueError(f"theta must be an array of numbers of shape (..., {self.dim}); got dtype {theta.dtype}")
        if theta.ndim == 0 or theta.shape[-1] != self.dim:
            raise ValueError(
                f"theta must have shape (..., {self.dim}) for the surface {self.name!r} (last axis = dim = "
                f"{self.dim}); got shape {theta.shape}"
            )
        return theta if np.issubdtype(theta.dtype, np.floating) else theta.astype(np.float64)

    def _value(self, theta, step):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, theta, step):  # pragma: no cover - abstract
        raise NotImplementedError

    def _hessian(self, theta, step):  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Quadratic bowls: the elongated surface of the lecture and the condition-number family
# ---------------------------------------------------------------------------------------------
class QuadraticForm(Surface):
    r"""A quadratic :math:`L(\theta) = \tfrac12 (\theta-\theta^*)^\top A\,(\theta-\theta^*)`.

    .. math:: \nabla L = A(\theta-\theta^*), \qquad H = A.

    Attributes: ``A``, ``center`` (:math:`\theta^*`), ``eigenvalues`` (ascending), ``L`` (largest
    eigenvalue), ``mu`` (smallest), ``condition_number`` (``L / mu``; ``inf`` unless ``mu > 0``).
    """

    def __init__(self, A, center, *, eigenvalues=None, **surface_kwargs):
        A = np.array(A, dtype=float)
        self.A = (A + A.T) / 2
        self.center = np.array(center, dtype=float)
        self.eigenvalues = np.sort(
            np.linalg.eigvalsh(self.A) if eigenvalues is None else np.array(eigenvalues, dtype=float)
        )
        self.L, self.mu = float(self.eigenvalues[-1]), float(self.eigenvalues[0])
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        super().__init__(dim=len(self.center), **surface_kwargs)

    def _value(self, theta, step):
        d = theta - self.center
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.A, d)

    def _grad(self, theta, step):
        return (theta - self.center) @ self.A  # A is symmetric: (A d)^T = d^T A

    def _hessian(self, theta, step):
        return np.broadcast_to(self.A, theta.shape + (self.dim,)).copy()

    def _require_convex(self, what):
        if not self.mu > 0:
            raise ValueError(f"{what} needs a positive definite A (smallest eigenvalue mu > 0); got mu={self.mu}")

    def optimal_gd(self):
        r"""Best constant step of gradient descent and its rate: ``(lr, rate)``.

        .. math:: \eta = \frac{2}{L+\mu}, \qquad
                  \|\theta_t-\theta^*\| \le \Big(\frac{\kappa-1}{\kappa+1}\Big)^t \|\theta_0-\theta^*\|,
                  \quad \kappa = L/\mu.
        """
        self._require_convex("optimal_gd")
        kappa = self.condition_number
        return 2.0 / (self.L + self.mu), (kappa - 1.0) / (kappa + 1.0)

    def optimal_heavy_ball(self):
        r"""Polyak's optimal heavy-ball parameters and rate: ``(lr, beta, rate)``.

        For :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t) + \beta(\theta_t-\theta_{t-1})`:

        .. math:: \eta = \frac{4}{(\sqrt L+\sqrt\mu)^2}, \qquad
                  \beta = \Big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\Big)^2, \qquad
                  \text{rate} = \frac{\sqrt\kappa-1}{\sqrt\kappa+1}.

        (The rate is asymptotic: at these parameters the error also carries a factor linear in t.)
        """
        self._require_convex("optimal_heavy_ball")
        root = math.sqrt(self.condition_number)
        rate = (root - 1.0) / (root + 1.0)
        return 4.0 / (math.sqrt(self.L) + math.sqrt(self.mu)) ** 2, rate**2, rate


def elongated(flat=0.01, steep=200.0):
    r"""The lecture's convex, elongated error surface (adaptive learning rate, 自适应学习率).

    .. math:: L(\theta) = \tfrac12\,(0.01\,\theta_1^2 + 200\,\theta_2^2), \qquad
              \theta_0 = (-10,\ 0.1), \qquad \theta^* = (0, 0).

    The valley runs along :math:`\theta_1` (curvature :math:`\lambda_{\min} = 0.01`, very flat) and
    its walls rise along :math:`\theta_2` (curvature :math:`\lambda_{\max} = 200`, very steep):
    condition number :math:`\kappa = 2\cdot10^4`. Plain gradient descent multiplies each
    coordinate's distance to the minimum by :math:`1-\eta\lambda` per step, so

    * :math:`\eta = 10^{-2}`: :math:`1-\eta\lambda_{\max} = -1`. This is the edge of stability
      :math:`\eta = 2/\lambda_{\max}`: :math:`\theta_2` flips from one wall to the other every step
      with constant amplitude 0.1 and never settles (any :math:`\eta\lambda_{\max}\in(1,2)` bounces
      too, with amplitude shrinking by :math:`|1-\eta\lambda_{\max}|` per step; above 2 it diverges).
      The loss stalls near 1.4 while :math:`\|g\|` stays at 20; along the floor
      :math:`\eta\lambda_{\min} = 10^{-4}`, so after 1000 steps :math:`\theta_1` is still at -9.05.
    * :math:`\eta = 10^{-7}`: no oscillation (:math:`\eta\lambda_{\max} = 2\cdot10^{-5}`), the point
      slides down the wall (:math:`\theta_2` shrinks to :math:`e^{-2}\approx 0.135` of its start in
      :math:`10^5` steps) but crawls along the floor: :math:`\eta\lambda_{\min} = 10^{-9}`, so after
      :math:`10^5` steps :math:`\theta_1` has moved by 0.001 of its 10 units to go.

    No single learning rate serves both directions: stability needs :math:`\eta < 2/\lambda_{\max}`,
    which caps the progress along the floor at :math:`2\lambda_{\min}/\lambda_{\max} = 10^{-4}` per
    step. A per-parameter rate (Adagrad, RMSProp, Adam) fixes this: the surface is axis-aligned.
    """
    flat = _validate.number("flat", flat, low=0, low_open=True)
    steep = _validate.number("steep", steep, low=0, low_open=True)
    return QuadraticForm(
        np.diag([flat, steep]),
        np.zeros(2),
        eigenvalues=[flat, steep],
        name="elongated",
        formula=rf"L(\theta) = \tfrac{{1}}{{2}}\,({flat:g}\,\theta_1^2 + {steep:g}\,\theta_2^2)",
        bounds=((-12.0, 4.0), (-0.15, 0.15)),
        start=(-10.0, 0.1),
        minimum=(0.0, 0.0),
    )


def _rotation(dim, angle, seed):
    if angle is not None and seed is not None:
        raise ValueError("give either angle (2-D rotation) or seed (random rotation), not both")
    if angle is not None:
        if dim != 2:
            raise ValueError(f"angle rotates a 2-D quadratic only; got dim={dim} (use seed= for a random rotation)")
        angle = _validate.number("angle", angle)
        c, s = math.cos(angle), math.sin(angle)
        return np.array([[c, -s], [s, c]])
    if seed is not None:
        q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
        return q * np.sign(np.diag(r))  # Haar-distributed orthogonal matrix
    return np.eye(dim)


def quadratic(condition_number, dim=2, *, angle=None, seed=None):
    r"""A quadratic bowl with condition number :math:`\kappa`:
    :math:`L(\theta) = \tfrac12\,\theta^\top A\,\theta` with :math:`A = R\,\mathrm{diag}(\lambda)\,R^\top`.

    The eigenvalues run from :math:`\mu = 1` to :math:`L = \kappa` exactly, geometrically spaced
    in between when ``dim > 2``. ``R`` is the identity, a rotation by ``angle`` radians (2-D), or a
    random orthogonal matrix drawn with ``seed``. The minimum is :math:`\theta^* = 0`; the start is
    :math:`R\,(1,\dots,1)`, which excites every eigen-direction equally.

    Chapter 03's rates: :meth:`QuadraticForm.optimal_gd` (:math:`\eta = 2/(L+\mu)`, rate
    :math:`(\kappa-1)/(\kappa+1)`) and :meth:`QuadraticForm.optimal_heavy_ball`
    (:math:`\eta = 4/(\sqrt L+\sqrt\mu)^2`, :math:`\beta = ((\sqrt\kappa-1)/(\sqrt\kappa+1))^2`,
    rate :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`).
    """
    kappa = _validate.number("condition_number", condition_number, low=1)
    dim = _validate.number("dim", dim, low=2, integer=True)
    rotation = _rotation(dim, angle, seed)
    eigenvalues = np.geomspace(1.0, kappa, dim)
    eigenvalues[0], eigenvalues[-1] = 1.0, kappa
    start = rotation @ np.ones(dim)
    half = math.ceil(15 * float(np.max(np.abs(start)))) / 10  # 1.5 x the start, rounded up
    return QuadraticForm(
        rotation @ np.diag(eigenvalues) @ rotation.T,
        np.zeros(dim),
        eigenvalues=eigenvalues,
        name=f"quadratic κ={kappa:g}",
        formula=rf"L(\theta) = \tfrac{{1}}{{2}}\,\theta^\top A\,\theta,\quad \kappa(A) = {kappa:g}",
        bounds=((-half, half), (-half, half)) if dim == 2 else None,
        start=start,
        minimum=np.zeros(dim),
    )


def saddle():
    r"""The plain saddle point (鞍点) :math:`L(\theta) = \theta_1^2 - \theta_2^2`: :math:`H = \mathrm{diag}(2, -2)`.

    Unbounded below (``minimum`` is None). Gradient descent from the start, close to the
    :math:`\theta_1` axis, first slows down near the saddle, then leaves along :math:`\theta_2`.
    """
    return QuadraticForm(
        np.diag([2.0, -2.0]),
        np.zeros(2),
        name="saddle",
        formula=r"L(\theta) = \theta_1^2 - \theta_2^2",
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.01),
        minimum=None,
    )


# ---------------------------------------------------------------------------------------------
# The lecture's two-weight network y = w1·w2·x
# ---------------------------------------------------------------------------------------------
class ProductLoss(Surface):
    r"""Squared error of the one-path network :math:`y = w_1 w_2 x`:

    .. math:: L(w) = \sum_n (\hat y_n - w_1 w_2 x_n)^2.

    With :math:`p = w_1 w_2`, :math:`L'(p) = -2\sum_n (\hat y_n - p\,x_n)\,x_n` and
    :math:`L''(p) = 2\sum_n x_n^2`, so

    .. math:: \nabla L = L'(p)\,(w_2,\ w_1), \qquad
              H = L''(p)\begin{pmatrix} w_2^2 & w_1 w_2 \\ w_1 w_2 & w_1^2 \end{pmatrix}
                  + L'(p)\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}.

    For the lecture's single sample :math:`x = \hat y = 1`: :math:`L = (1 - w_1 w_2)^2`, at the
    origin :math:`g = 0` and :math:`H = \begin{pmatrix} 0 & -2 \\ -2 & 0 \end{pmatrix}` with
    eigenvalues 2 and -2; the eigenvector :math:`u = (1, 1)/\sqrt2` of -2 leads downhill.
    The minima form the hyperbola :math:`w_1 w_2 = p^* = \sum x\hat y / \sum x^2` (two valleys);
    ``minimum`` is the point of that hyperbola on the diagonal, :math:`(\sqrt{p^*}, \sqrt{p^*})`
    (or :math:`(\sqrt{-p^*}, -\sqrt{-p^*})` when :math:`p^* < 0`). Along the valley the loss is
    constant, so there :math:`H` has a zero eigenvalue: these minima are not strict, and the
    Hessian alone classifies them as degenerate.
    Attributes: ``x``, ``y_hat``, ``best_product`` (:math:`p^*`), ``min_value``.
    """

    def __init__(self, x=1.0, y_hat=1.0):
        self.x = np.atleast_1d(np.array(x, dtype=float))
        self.y_hat = np.atleast_1d(np.array(y_hat, dtype=float))
        if self.x.ndim != 1 or not np.all(np.isfinite(self.x)):
            raise ValueError(f"x must be a finite number or 1-D array of inputs; got {x!r}")
        if not np.all(np.isfinite(self.y_hat)):
            raise ValueError(f"y_hat must be a finite number or 1-D array of targets; got {y_hat!r}")
        _validate.same_shape("x", self.x, "y_hat", self.y_hat)
        if not np.any(self.x != 0):
            raise ValueError("x must contain at least one non-zero input (else L does not depend on w)")
        self.best_product = float(self.x @ self.y_hat / (self.x @ self.x))
        root = math.sqrt(abs(self.best_product))
        minimum = (root, root) if self.best_product >= 0 else (root, -root)
        one_sample = self.x.shape == (1,) and self.x[0] == 1 and self.y_hat[0] == 1
        formula = r"L(w) = (1 - w_1 w_2)^2" if one_sample else r"L(w) = \sum_n (\hat y_n - w_1 w_2 x_n)^2"
        super().__init__(
            dim=2,
            name="w1·w2·x",
            formula=formula,
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            start=(-1.5, 1.4),
            minimum=minimum,
        )
        self.min_value = float(self.value(self.minimum))

    def _residuals(self, theta):
        product = theta[..., 0] * theta[..., 1]
        return product, self.y_hat - product[..., None] * self.x

    def _value(self, theta, step):
        _, r = self._residuals(theta)
        return np.sum(r**2, axis=-1)

    def _grad(self, theta, step):
        _, r = self._residuals(theta)
        dL_dp = -2.0 * (r @ self.x)
        return np.stack([dL_dp * theta[..., 1], dL_dp * theta[..., 0]], axis=-1)

    def _hessian(self, theta, step):
        product, r = self._residuals(theta)
        dL_dp, d2L_dp2 = -2.0 * (r @ self.x), 2.0 * (self.x @ self.x)
        w1, w2 = theta[..., 0], theta[..., 1]
        off = d2L_dp2 * product + dL_dp
        return _as_matrix([[d2L_dp2 * w2**2, off], [off, d2L_dp2 * w1**2]])


def product_loss(x=1.0, y_hat=1.0):
    """The lecture's :math:`y = w_1 w_2 x` network and its squared error (see :class:`ProductLoss`).

    Default: one sample :math:`x = \\hat y = 1`, :math:`L = (1 - w_1 w_2)^2`, a saddle at the origin.
    """
    return ProductLoss(x, y_hat)


#: The lecture's name for :func:`product_loss`.
w1w2 = product_loss


# ---------------------------------------------------------------------------------------------
# Classic test functions for the optimizer playground
# ---------------------------------------------------------------------------------------------
class Rosenbrock(Surface):
    r"""Rosenbrock's banana valley :math:`L = (a - x)^2 + b\,(y - x^2)^2`, minimum :math:`(a, a^2)`.

    .. math:: \nabla L = \begin{pmatrix} -2(a-x) - 4bx(y-x^2) \\ 2b(y-x^2) \end{pmatrix}, \qquad
              H = \begin{pmatrix} 2 - 4b(y - x^2) + 8bx^2 & -4bx \\ -4bx & 2b \end{pmatrix}.
    """

    def __init__(self, a=1.0, b=100.0):
        self.a = _validate.number("a", a)
        self.b = _validate.number("b", b, low=0, low_open=True)
        s = max(1.0, abs(self.a))
        super().__init__(
            dim=2,
            name="rosenbrock",
            formula=rf"L = ({self.a:g} - x)^2 + {self.b:g}\,(y - x^2)^2",
            bounds=((-2.0 * s, 2.0 * s), (-1.0 * s, 3.0 * s)),
            start=(-1.2 * s, 1.0 * s),
            minimum=(self.a, self.a**2),
        )

    def _value(self, theta, step):
        x, y = theta[..., 0], theta[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, theta, step):
        x, y = theta[..., 0], theta[..., 1]
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * (y - x**2), 2 * self.b * (y - x**2)], axis=-1)

    def _hessian(self, theta, step):
        x, y = theta[..., 0], theta[..., 1]
        b = self.b
        return _as_matrix([[2 - 4 * b * (y - x**2) + 8 * b * x**2, -4 * b * x], [-4 * b * x, 2 * b]])


def rosenbrock(a=1.0, b=100.0):
    """Rosenbrock's function (see :class:`Rosenbrock`); start (-1.2, 1) for the default a = 1."""
    return Rosenbrock(a, b)


class Himmelblau(Surface):
    r"""Himmelblau's function :math:`L = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four minima of value 0.

    .. math:: \nabla L = \begin{pmatrix} 4x\,u + 2v \\ 2u + 4y\,v \end{pmatrix},\quad
              H = \begin{pmatrix} 4u + 8x^2 + 2 & 4x + 4y \\ 4x + 4y & 2 + 4v + 8y^2 \end{pmatrix},
              \quad u = x^2 + y - 11,\ v = x + y^2 - 7.

    ``minima`` lists all four; ``minimum`` is (3, 2), where gradient descent from the start (0, 0) ends.
    """

    def __init__(self):
        self.minima = np.array([[3.0, 2.0], [-2.805118, 3.131313], [-3.779310, -3.283186], [3.584428, -1.848127]])
        super().__init__(
            dim=2,
            name="himmelblau",
            formula=r"L = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            start=(0.0, 0.0),
            minimum=(3.0, 2.0),
        )

    @staticmethod
    def _uv(theta):
        x, y = theta[..., 0], theta[..., 1]
        return x, y, x**2 + y - 11, x + y**2 - 7

    def _value(self, theta, step):
        _, _, u, v = self._uv(theta)
        return u**2 + v**2

    def _grad(self, theta, step):
        x, y, u, v = self._uv(theta)
        return np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v], axis=-1)

    def _hessian(self, theta, step):
        x, y, u, v = self._uv(theta)
        return _as_matrix([[4 * u + 8 * x**2 + 2, 4 * x + 4 * y], [4 * x + 4 * y, 2 + 4 * v + 8 * y**2]])


def himmelblau():
    """Himmelblau's function (see :class:`Himmelblau`)."""
    return Himmelblau()


# ---------------------------------------------------------------------------------------------
# 1-D: a curve where momentum helps
# ---------------------------------------------------------------------------------------------
class Bumpy1D(Surface):
    r"""A 1-D loss with a slope, a shallow local minimum, a plateau and a deeper global minimum.

    .. math:: L(x) = \underbrace{1 - \tanh(2(x+3))}_{\text{left slope}}
              \;-\; \underbrace{0.3\,e^{-(x+1.5)^2/0.18}}_{\text{local well}}
              \;-\; \underbrace{e^{-(x-3)^2/0.32}}_{\text{global well}}
              \;+\; \underbrace{1 + \tanh(2(x-4.5))}_{\text{right wall}}

    From the start :math:`x_0 = -4` (on the slope, :math:`L \approx 1.96`):

    * the local minimum is at :math:`x \approx -1.494` (:math:`L \approx -0.295`);
    * the plateau :math:`x \in [-0.45, 1.5]` is nearly flat: :math:`|L'| < 10^{-2}` there, and
      :math:`< 10^{-3}` on :math:`[-0.25, 1.25]`;
    * the global minimum is at :math:`x \approx 2.997` (:math:`L \approx -0.995`).

    Plain gradient descent :math:`x \leftarrow x - \eta L'(x)` stops in the local minimum for every
    stable :math:`\eta` (tested: 0.01 to 0.2); started on the plateau (:math:`x_0 = 0.5`,
    :math:`\eta = 0.1`) it moves by less than :math:`10^{-3}` in 1000 steps. Momentum
    (动量, movement :math:`m \leftarrow \lambda m - \eta L'(x)`, :math:`x \leftarrow x + m`) with
    :math:`\lambda = 0.9` and :math:`\eta = 0.1` (tested: 0.07 to 0.2) rolls through the local well,
    over its rim, across the plateau and settles in the global minimum. Too little momentum for
    the step size coasts out onto the plateau and stops there (:math:`\lambda = 0.85,\ \eta = 0.1`
    ends at :math:`x \approx 0.68`; :math:`\lambda = 0.9,\ \eta = 0.05` is at 1.02 after 1000 steps
    and only falls into the global well after about 4000), or stays in the local well
    (:math:`\lambda = 0.9,\ \eta = 0.02`).
    """

    LOCAL_MINIMUM = -1.494214  #: where gradient descent from ``start`` stops

    def __init__(self):
        super().__init__(
            dim=1,
            name="bumpy 1-D",
            formula=(
                r"L(x) = 1 - \tanh(2(x+3)) - 0.3\,e^{-(x+1.5)^2/0.18}"
                r" - e^{-(x-3)^2/0.32} + 1 + \tanh(2(x-4.5))"
            ),
            bounds=(-5.0, 5.5),
            start=(-4.0,),
            minimum=(2.996882,),
        )

    @staticmethod
    def _pieces(x):
        """(value, first, second derivative) of each term, summed."""
        t_left, t_right = np.tanh(2 * (x + 3)), np.tanh(2 * (x - 4.5))
        e_local = 0.3 * np.exp(-((x + 1.5) ** 2) / 0.18)
        e_global = np.exp(-((x - 3) ** 2) / 0.32)
        value = (1 - t_left) - e_local - e_global + (1 + t_right)
        # d/dx tanh(2u) = 2(1 - tanh²);  d/dx e^{-(x-m)²/c} = -2(x-m)/c · e
        first = (
            -2 * (1 - t_left**2) + 2 * (x + 1.5) / 0.18 * e_local + 2 * (x - 3) / 0.32 * e_global + 2 * (1 - t_right**2)
        )
        # d²/dx² tanh(2u) = -8 tanh (1 - tanh²);  d²/dx² e = (4(x-m)²/c² - 2/c) e
        second = (
            8 * t_left * (1 - t_left**2)
            - (4 * (x + 1.5) ** 2 / 0.18**2 - 2 / 0.18) * e_local
            - (4 * (x - 3) ** 2 / 0.32**2 - 2 / 0.32) * e_global
            - 8 * t_right * (1 - t_right**2)
        )
        return value, first, second

    def _value(self, theta, step):
        return self._pieces(theta[..., 0])[0]

    def _grad(self, theta, step):
        return self._pieces(theta[..., 0])[1][..., None]

    def _hessian(self, theta, step):
        return self._pieces(theta[..., 0])[2][..., None, None]


def bumpy_1d():
    """The 1-D momentum demo (see :class:`Bumpy1D`): GD stops in a local minimum, heavy ball does not."""
    return Bumpy1D()


# ---------------------------------------------------------------------------------------------
# An online problem: the loss changes with the step
# ---------------------------------------------------------------------------------------------
class ReddiOnline(Surface):
    r"""Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond", Section 3:

    .. math:: f_t(x) = \begin{cases} C\,x & t \bmod 3 = 1 \\ -x & \text{otherwise} \end{cases},
              \qquad x \in [-1, 1],\ C > 2,

    with the paper's 1-based :math:`t`. The course's optimizers count 0-based steps
    :math:`k = t - 1`, so ``step=k`` gives :math:`f = Cx` when ``k % 3 == 0`` (steps 0, 3, 6, ...)
    and :math:`-x` otherwise. Over one period the mean loss is
    :math:`\bar f(x) = \frac{C-2}{3}\,x` (:meth:`average_value`; also what ``step=None`` gives),
    minimised on the feasible set at :math:`x = -1` (``minimum``). ``project`` clips to [-1, 1].

    With :math:`\beta_1 = 0`, :math:`\beta_2 = 1/(1+C^2)` and :math:`\alpha_t = \alpha/\sqrt t`, Adam
    drifts to the worst point :math:`x = +1`: the rare large gradient :math:`C` is divided by a
    large :math:`\sqrt{v_t}` that is forgotten two steps later, so the two :math:`-1` gradients
    win. AMSGrad keeps :math:`\hat v_t = \max(\hat v_{t-1}, v_t)` and converges to -1.
    """

    def __init__(self, C=3.0):
        self.C = _validate.number("C", C, low=2, low_open=True)
        super().__init__(
            dim=1,
            name=f"Reddi online (C={self.C:g})",
            formula=rf"f_t(x) = {self.C:g}\,x \ \text{{if }} t \bmod 3 = 1,\ -x \text{{ otherwise}}",
            bounds=(-1.0, 1.0),
            start=(0.0,),
            minimum=(-1.0,),
            project=self._clip,
        )

    @staticmethod
    def _clip(theta):
        return np.clip(theta, -1.0, 1.0)

    def slope(self, step):
        """:math:`f_k'(x)`: ``C`` when ``step % 3 == 0`` (0-based), ``-1`` otherwise; ``(C-2)/3`` for ``None``."""
        if step is None:
            return (self.C - 2.0) / 3.0
        if np.ndim(step) == 0:
            step = _validate.number("step", step, low=0, integer=True)
        else:
            step = np.asarray(step)
            if not np.issubdtype(step.dtype, np.integer) or np.any(step < 0):
                raise ValueError(f"step must be a non-negative integer or integer array; got {step!r}")
        return np.where(step % 3 == 0, self.C, -1.0)

    def _value(self, theta, step):
        return self.slope(step) * theta[..., 0]

    def _grad(self, theta, step):
        return np.broadcast_to(np.asarray(self.slope(step))[..., None], theta.shape).astype(float)

    def _hessian(self, theta, step):
        self.slope(step)  # validates step
        return np.zeros(theta.shape + (1,))

    def average_value(self, theta):
        r""":math:`\bar f(x) = \frac{C-2}{3}\,x`, the mean loss over one period (``theta`` of shape (..., 1))."""
        return self.value(theta, step=None)

    def regret(self, path):
        r"""Regret :math:`R_T = \sum_{k<T} f_k(x_k) - \min_{x\in[-1,1]} \sum_{k<T} f_k(x)` of ``path``.

        ``path[k]`` (shape ``(T, ..., 1)``) is the point played at 0-based step ``k``; the result has
        shape ``path.shape[1:-1]`` (one regret per run). An algorithm
        converges in the online sense when :math:`R_T / T \to 0`; Adam's stays near :math:`2(C-2)/3`.
        """
        path = self._theta(path)
        if path.ndim < 2:
            raise ValueError(f"path must have shape (T, ..., 1) (one point per step); got shape {path.shape}")
        steps = np.arange(path.shape[0]).reshape((-1,) + (1,) * (path.ndim - 2))
        slopes = self.slope(steps)
        played = np.sum(slopes * path[..., 0], axis=0)
        best = -abs(float(np.sum(self.slope(np.arange(path.shape[0])))))
        return _scalar_if_0d(played - best)


def reddi_online(C=3.0):
    """Reddi et al.'s online problem where Adam fails (see :class:`ReddiOnline`); needs ``C > 2``."""
    return ReddiOnline(C)


# ---------------------------------------------------------------------------------------------
# Catalogue for the optimizer playground
# ---------------------------------------------------------------------------------------------
#: name -> factory (each callable with no arguments) for the optimizer playground.
ALL = {
    "elongated": elongated,
    "quadratic": partial(quadratic, condition_number=10.0),
    "w1w2": product_loss,
    "saddle": saddle,
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "bumpy_1d": bumpy_1d,
    "reddi_online": reddi_online,
}


def catalogue(dim=None):
    """A fresh dict name -> factory of every surface, or only those of dimension ``dim`` (1 or 2)."""
    if dim is None:
        return dict(ALL)
    dim = _validate.choice("dim", dim, (1, 2))
    return {name: factory for name, factory in ALL.items() if factory().dim == dim}
