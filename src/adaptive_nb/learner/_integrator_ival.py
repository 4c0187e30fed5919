"""The intervals of :class:`~adaptive_nb.learner.integrator_learner.IntegratorLearner`.

An interval ``[a, b]`` is a node of a binary tree (the root is the whole domain). It asks for
the nodes of one quadrature rule at a time (its ``target`` level, 0-3 for 5, 9, 17 and 33
points); once all of them are known the rule is *complete* and the interval has an interpolant
(Legendre coefficients ``c``), an integral ``igral`` and an error estimate ``err``:

- the root starts with the 33-point rule; its error is the distance between the
  interpolants of the 33 and of the 17 points;
- a child starts with the 5-point rule; its error is the distance between its interpolant
  and its parent's (projected on the child's half);
- a refined interval compares its new interpolant with the one of the previous level.

Distances are in the L2 sense, times the width: ``err = (b - a) * ||c_new - c_old||``.
Here only arithmetic lives; the learner decides what to refine or split.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._integrator_coeffs import LEVEL_INDICES, NLEVELS, XI, coefficients, projection

__all__ = ["Interval"]

_SQRT2 = math.sqrt(2.0)
_EPS = np.finfo(float).eps
#: refine no further, split at once, when a refinement changes the interpolant by more
#: than this share of its norm (Gonnet's "split prematurely" hint)
SPLIT_HINT = 0.1
#: an interval whose interpolant changes by less than this many rounding errors is final
ROUNDOFF = 10 * _EPS
#: divergence: the mean value grew by more than this factor from parent to child, on the
#: same (5-point) rule. An integrable singularity |x|^-s gives 2**s (1.87 for s = 0.9) and a
#: non-integrable one (s >= 1) at least 2: so integrals converging more slowly than
#: |x|^-0.96 are reported as divergent (they would need more than 1e-100 wide intervals).
DIV_RATIO = 1.95


def rule_nodes(a: float, b: float, level: int) -> list[float]:
    """The nodes of the rule ``level`` on ``[a, b]``: the ends exactly, then ``m + h * xi``."""
    m, h = 0.5 * a + 0.5 * b, 0.5 * b - 0.5 * a
    inner = (m + h * XI[LEVEL_INDICES[level][1:-1]]).tolist()
    return [a, *inner, b]


def _strictly_increasing(xs: list[float]) -> bool:
    return all(p < q for p, q in zip(xs, xs[1:]))


class Interval:
    """One interval of the tree.

    Attributes
    ----------
    a, b : float
        The ends.
    rdepth : int
        The depth in the tree (the root has 1).
    depth : int
        The level of the last complete rule (0-3 for 5, 9, 17, 33 points), -1 before any.
    target : int
        The level whose points have been asked for (``depth == target`` when complete).
    igral, err : float
        The integral and its error estimate from the rule of level ``depth`` (``err`` is
        None until it can be computed: a child needs its parent's final rule).
    parent : Interval or None
    children : tuple of two Intervals, or None while the interval is not split.
    ndiv : int
        How many times, going down the tree, the mean value more than doubled from parent
        to child (for divergence detection).
    final : bool
        Nothing more will be done here (converged to rounding, too narrow, or set aside).
    """

    __slots__ = (
        "a",
        "action",
        "b",
        "bad_inside",
        "c",
        "children",
        "depth",
        "err",
        "final",
        "igral",
        "mean0",
        "missing",
        "ndiv",
        "nused",
        "parent",
        "premature",
        "rdepth",
        "sub",
        "target",
    )

    def __init__(self, a: float, b: float, target: int, parent: Interval | None = None) -> None:
        self.a, self.b = a, b
        self.parent = parent
        self.rdepth = 1 if parent is None else parent.rdepth + 1
        self.children: tuple[Interval, Interval] | None = None
        self.depth = -1
        self.target = target
        self.missing = 0  # nodes of the target rule whose value is unknown
        self.c: np.ndarray | None = None
        self.nused = 0  # the number of finite values behind c
        self.bad_inside = False  # a NaN or inf value at a node other than the ends
        self.mean0 = 0.0  # c[0] of the 5-point rule (its mean value times sqrt 2)
        self.action: str | None = None  # what to do next once settled: "refine" or "split"
        self.igral = 0.0
        self.err: float | None = None
        self.ndiv = 0
        self.final = False
        self.premature = False
        # (igral, err, err of the final intervals) of the approximation below
        self.sub: tuple[float, float, float] | None = None

    def __repr__(self) -> str:
        return (
            f"Interval(a={self.a!r}, b={self.b!r}, depth={self.depth}, rdepth={self.rdepth}, "
            f"igral={self.igral!r}, err={self.err!r})"
        )

    # -- structure ------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Whether every point of the rule asked for is known."""
        return self.depth == self.target

    @property
    def is_leaf(self) -> bool:
        return self.children is None

    def nodes(self, level: int | None = None) -> list[float]:
        """The nodes of the rule ``level`` (default: the target rule)."""
        return rule_nodes(self.a, self.b, self.target if level is None else level)

    def can_refine(self) -> bool:
        return self.target < NLEVELS - 1 and _strictly_increasing(self.nodes(self.target + 1))

    def child_bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        m = 0.5 * self.a + 0.5 * self.b
        return (self.a, m), (m, self.b)

    def can_split(self) -> bool:
        (a, m), (_, b) = self.child_bounds()
        if not a < m < b:
            return False
        left, right = rule_nodes(a, m, 0), rule_nodes(m, b, 0)
        return _strictly_increasing(left[:-1] + right)

    # -- arithmetic -----------------------------------------------------------------------

    def compute(self, data: dict[float, float]) -> bool:
        """The target rule is complete: compute ``c`` and ``igral``, and ``err`` when possible
        (a child's first rule needs its parent's final one). Return True when ``err`` is known.

        Everything follows from the values alone, so the result does not depend on the order
        in which they arrived: the previous interpolant is rebuilt from the nested nodes.
        """
        values = np.array([data[x] for x in self.nodes()], dtype=float)
        self.c, self.nused = coefficients(values, self.target)
        self.depth = self.target
        self.bad_inside = not np.isfinite(values[1:-1]).all()
        h = 0.5 * self.b - 0.5 * self.a
        self.igral = h * _SQRT2 * float(self.c[0]) if self.nused else math.nan
        positions = LEVEL_INDICES[self.target]
        self.mean0 = float(
            coefficients(values[np.searchsorted(positions, LEVEL_INDICES[0])], 0)[0][0]
        )
        if self.target == 0:
            self.err = None
            return self.compute_child_error()
        lower = np.searchsorted(positions, LEVEL_INDICES[self.target - 1])
        previous, _ = coefficients(values[lower], self.target - 1)
        self._set_error(previous)
        return True

    def compute_child_error(self) -> bool:
        """A child on its first rule: compare with the parent's final interpolant, once
        the parent has one. Return True when ``err`` is known."""
        parent = self.parent
        if parent is None or not parent.complete or self.c is None or parent.c is None:
            return False
        side = 0 if self.a == parent.a else 1
        self._set_error(projection(side) @ parent.c)
        self.premature = self.premature and self.bad_inside  # a new child refines first
        grew = parent.mean0 != 0 and self.mean0 / parent.mean0 > DIV_RATIO
        self.ndiv = parent.ndiv + (1 if grew else 0)
        return True

    def _set_error(self, previous: np.ndarray) -> None:
        """Set ``err`` from the previous interpolant. NaN or inf values at the ends of an
        interval are dropped (a singularity there); inside it they are not trusted, and the
        interval gets ``err = inf`` and is split until they are isolated at ends (or it is too
        narrow to split)."""
        if not self.nused:  # no finite value at all: the integral is unknown here
            self.err = math.inf
            self.final = True
            return
        h = 0.5 * self.b - 0.5 * self.a
        with np.errstate(over="ignore", invalid="ignore"):
            diff = float(np.linalg.norm(self.c - previous))
            norm = float(np.linalg.norm(self.c))
            err = 2 * h * diff
        self.err = err if err == err else math.inf
        self.premature = norm > 0 and diff > SPLIT_HINT * norm
        # NaN or inf inside, or an overflow: trust nothing and split, while possible
        if (self.bad_inside or not math.isfinite(norm)) and self.can_split():
            self.err = math.inf
            self.premature = True
        elif diff <= ROUNDOFF * norm or self.err < ROUNDOFF * abs(self.igral):
            self.final = True  # converged to rounding: nothing to gain here

    def estimate(self) -> float:
        """The error estimate used to rank this interval: its own, or half its parent's."""
        factor, ival = 1.0, self
        while ival.err is None:
            if ival.parent is None:
                return math.inf
            factor, ival = 0.5 * factor, ival.parent
        return factor * ival.err

    def summary(self) -> tuple[Any, ...]:
        """A plain description (for tests and debugging)."""
        return (self.a, self.b, self.rdepth, self.depth, self.target, self.igral, self.err)
