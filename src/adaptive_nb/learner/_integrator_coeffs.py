"""The quadrature rules of :class:`~adaptive_nb.learner.integrator_learner.IntegratorLearner`.

Four nested Clenshaw-Curtis rules with 5, 9, 17 and 33 nodes ("levels" 0 to 3) on [-1, 1].
On each interval the function is represented by its interpolant on the nodes of a level,
written in the orthonormal Legendre basis ``q_k = sqrt((2k+1)/2) P_k``, as in P. Gonnet,
"Increasing the reliability of adaptive quadrature using explicit interpolants",
ACM TOMS 37 (2010). With that basis

- the integral over [-1, 1] is ``sqrt(2) * c[0]``;
- the L2 distance of two interpolants is the Euclidean distance of their coefficients.

Everything here is computed with numpy on first use and cached; no table is copied from
anywhere. The interpolation matrices are built in a well-conditioned way: the Chebyshev
coefficients of the interpolant (an exact discrete cosine transform on these nodes), then
their Legendre coefficients by an exact (Clenshaw-Curtis) projection, then one step of
iterative refinement.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["LEVEL_INDICES", "NLEVELS", "XI", "coefficients", "legendre", "projection"]

NLEVELS = 4
_N = 32  # intervals of the finest rule: 33 nodes

#: The 33 nodes of the finest rule, increasing: ``-cos(i*pi/32) = sin(pi*(i-16)/32)``
#: (the sine form is exactly antisymmetric, and exactly -1, 0, 1 at i = 0, 16, 32).
XI = np.sin(np.pi * (np.arange(_N + 1) - _N // 2) / _N)
XI[0], XI[_N // 2], XI[_N] = -1.0, 0.0, 1.0

#: For each level, the indices into ``XI`` of its nodes (each level contains the previous).
LEVEL_INDICES = tuple(np.arange(0, _N + 1, 2 ** (NLEVELS - 1 - d)) for d in range(NLEVELS))


def legendre(x: np.ndarray, n: int) -> np.ndarray:
    """The orthonormal Legendre polynomials ``q_0 .. q_{n-1}`` at ``x``: shape ``(len(x), n)``."""
    x = np.asarray(x, dtype=float)
    out = np.empty((x.size, n))
    p_prev, p = np.zeros_like(x), np.ones_like(x)
    for k in range(n):
        out[:, k] = p * math.sqrt((2 * k + 1) / 2)
        p_prev, p = p, ((2 * k + 1) * x * p - k * p_prev) / (k + 1)
    return out


@functools.cache
def _quadrature(n: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Clenshaw-Curtis nodes and weights with ``n + 1`` nodes: exact up to degree ``n``.

    Used to project polynomials of degree <= 64 exactly (numpy's Gauss-Legendre weights of
    this size are off by about 1e-14; these sums of cosines are accurate to rounding).
    """
    theta = np.pi * np.arange(n + 1) / n
    k = np.arange(1, n // 2 + 1)
    b = np.where(k == n // 2, 1.0, 2.0)
    w = 1.0 - (b / (4.0 * k**2 - 1.0)) @ np.cos(2.0 * np.outer(k, theta))
    w *= 2.0 / n
    w[0] *= 0.5
    w[-1] *= 0.5
    return -np.cos(theta), w


@functools.cache
def _interpolation_matrix(level: int) -> np.ndarray:
    """The matrix that maps the values on the nodes of ``level`` to Legendre coefficients."""
    nodes = XI[LEVEL_INDICES[level]]
    n = len(nodes) - 1
    # Chebyshev coefficients: a_k = (2/n) sum'' f_j T_k(x_j), with x_j = -cos(j pi / n)
    j = np.arange(n + 1)
    cheb = (2.0 / n) * np.cos(np.outer(j, np.pi - np.pi * j / n))  # T_k(x_j) = cos(k*acos x_j)
    cheb[:, 0] *= 0.5
    cheb[:, n] *= 0.5
    cheb[0, :] *= 0.5
    cheb[n, :] *= 0.5
    # Legendre coefficients of T_k: an exact projection (the integrands have degree <= 64)
    x, w = _quadrature()
    t = np.empty((x.size, n + 1))  # T_k(x) by the (stable) three-term recurrence
    t[:, 0] = 1.0
    t[:, 1] = x
    for k in range(2, n + 1):
        t[:, k] = 2 * x * t[:, k - 1] - t[:, k - 2]
    project = legendre(x, n + 1).T @ (w[:, None] * t)
    inverse = project @ cheb
    # one step of iterative refinement against the Legendre Vandermonde matrix: the residual
    # of the projection (about 1e-14 on 33 nodes) drops to rounding
    vandermonde = legendre(nodes, n + 1)
    return inverse + inverse @ (np.eye(n + 1) - vandermonde @ inverse)


@functools.cache
def projection(side: int) -> np.ndarray:
    """The 33 x 33 matrix that maps coefficients on [-1, 1] to the coefficients of the same
    polynomial on the left (``side=0``) or right (``side=1``) half, rescaled to [-1, 1]."""
    x, w = _quadrature()
    parent_x = 0.5 * x + (0.5 if side else -0.5)
    return legendre(x, _N + 1).T @ (w[:, None] * legendre(parent_x, _N + 1))


def coefficients(values: np.ndarray, level: int) -> tuple[np.ndarray, int]:
    """The Legendre coefficients (length 33, zero-padded) of the interpolant of ``values`` on
    the nodes of ``level``, and the number of nodes used.

    Nodes whose value is NaN or infinite are dropped, and the interpolant has a degree lower
    by one for each (Gonnet's treatment of singularities). With no finite value the
    coefficients are zero and the count 0.
    """
    out = np.zeros(_N + 1)
    finite = np.isfinite(values)
    if finite.all():
        out[: len(values)] = _interpolation_matrix(level) @ values
        return out, len(values)
    m = int(finite.sum())
    if m:
        nodes = XI[LEVEL_INDICES[level]][finite]
        out[:m] = np.linalg.solve(legendre(nodes, m), values[finite])
    return out, m
