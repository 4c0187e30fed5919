"""AverageLearner1D: learn a noisy function of one real variable by averaging samples.

A point is ``(seed, x)``; ``function((seed, x))`` draws one noisy sample of f(x). ``data`` maps
each x to the mean of its samples, ``error`` to the half-width of the Student-t confidence
interval of that mean (level ``1 - 2 alpha``).

``ask`` gives each new x its initial samples first (``min_samples``, or more: a
``neighbor_sampling`` share of the mean number of samples of its neighbours). After that it
resamples the x whose *rescaled error* (the error divided by the y-scale and by the smaller
loss of the two intervals next to it) is largest, if it exceeds ``delta``; otherwise it adds
a new x in the middle of the interval with the largest loss, as Learner1D does. Pending
samples count as if told, so a parallel ``ask(n)`` spreads its samples. A point is never
resampled beyond ``max_samples``, once its error is at most ``min_error``, or once a sample
was NaN or inf (more samples cannot make such a mean finite). When no new x fits between the
known ones, ``ask`` resamples the point with the largest rescaled error; it returns fewer
points only when no x can be added and none resampled.

The bookkeeping (heaps with lazy deletion, linked neighbours) lives in
:mod:`adaptive_nb.learner._average1d_core`: ``tell`` and ``ask(1)`` cost O(log N).
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ._average1d_core import Average1DCore
from ._average1d_io import Average1DFormats
from ._checks import check_bounds, check_callables, outside_bounds_error
from .base_learner import BaseLearner, check_ask_count
from .losses_1d import default_loss

__all__ = ["AverageLearner1D"]

_INF = math.inf
_MAX_SEED = 2**63
#: The tunables of AverageLearner1D, in the order of its constructor's parameters.
_PARAMS = ("delta", "alpha", "neighbor_sampling", "min_samples", "max_samples", "min_error")


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        msg = f"{name} must be a real number, got {value!r}"
        raise ValueError(msg)
    return float(value)


def _check_params(
    delta: Any,
    alpha: Any,
    neighbor_sampling: Any,
    min_samples: Any,
    max_samples: Any,
    min_error: Any,
) -> tuple[float, float, float, int, int, float]:
    delta = _real("delta", delta)
    if not 0 < delta < _INF:
        msg = f"delta must be > 0 and finite, got {delta!r} (the default is 0.2)"
        raise ValueError(msg)
    alpha = _real("alpha", alpha)
    if not 0 < alpha < 1:
        msg = f"alpha must satisfy 0 < alpha < 1, got {alpha!r} (the default is 0.005)"
        raise ValueError(msg)
    neighbor_sampling = _real("neighbor_sampling", neighbor_sampling)
    if not 0 <= neighbor_sampling <= 1:
        msg = (
            f"neighbor_sampling must satisfy 0 <= neighbor_sampling <= 1, got {neighbor_sampling!r}"
        )
        raise ValueError(msg)
    if isinstance(min_samples, bool) or not isinstance(min_samples, numbers.Integral):
        msg = f"min_samples must be a whole number >= 1, got {min_samples!r}"
        raise ValueError(msg)
    if min_samples < 1:
        msg = f"min_samples must be >= 1, got {min_samples!r}"
        raise ValueError(msg)
    if max_samples == _INF:
        max_samples = sys.maxsize
    if isinstance(max_samples, bool) or not isinstance(max_samples, numbers.Integral):
        msg = f"max_samples must be a whole number (or inf), got {max_samples!r}"
        raise ValueError(msg)
    if max_samples < min_samples:
        msg = f"max_samples ({max_samples!r}) must be >= min_samples ({min_samples!r})"
        raise ValueError(msg)
    min_error = _real("min_error", min_error)
    if not 0 <= min_error < _INF:
        msg = f"min_error must be >= 0 and finite, got {min_error!r}"
        raise ValueError(msg)
    return delta, alpha, neighbor_sampling, int(min_samples), int(max_samples), min_error


class AverageLearner1D(Average1DFormats, Average1DCore, BaseLearner):
    """Learns a noisy function ``f: R -> R`` by sampling each x several times.

    Parameters
    ----------
    function : callable
        ``function((seed, x)) -> float``: one noisy sample of f(x), drawn with the integer seed.
    bounds : pair of float
        ``(lower, upper)``, finite, ``lower < upper``.
    loss_per_interval : callable, optional
        A Learner1D loss ``loss(xs, ys) -> float`` (see :mod:`adaptive_nb.learner.learner1D`),
        applied to the means. Default :func:`~adaptive_nb.learner.learner1D.default_loss`.
    delta : float, default 0.2
        Resample x while its rescaled error exceeds ``delta`` (``> 0``; ``0 < delta <= 1`` is
        sensible).
    alpha : float, default 0.005
        The true f(x) lies in ``[data[x] - error[x], data[x] + error[x]]`` with probability
        ``1 - 2 alpha`` (``0 < alpha < 1``).
    neighbor_sampling : float, default 0.3
        A new x first gets at least this share of the mean number of samples of its two
        neighbours (``0 <= neighbor_sampling <= 1``).
    min_samples : int, default 50
        A new x first gets at least this many samples (``>= 1``).
    max_samples : int, default sys.maxsize
        No x gets more samples (``>= min_samples``).
    min_error : float, default 0
        An x whose error is at most this is not resampled (``>= 0``).

    Notes
    -----
    Points are ``(seed, x)`` tuples. ``tell`` of an x outside the bounds, a seed that is not
    a whole number in [0, 2**63), or a value that is not a real number raises ``ValueError``
    and changes nothing; ``tell`` of a (seed, x) already told is ignored (the first value is
    kept). NaN and inf samples are kept: the mean is then NaN or inf, the intervals next to
    it are refined by width only, and x is not resampled.

    ``ask(1)`` and ``tell`` cost O(log N) for N points.
    """

    def __init__(
        self,
        function: Callable[[tuple[int, float]], float],
        bounds: tuple[float, float],
        loss_per_interval: Callable[..., float] | None = None,
        delta: float = 0.2,
        alpha: float = 0.005,
        neighbor_sampling: float = 0.3,
        min_samples: int = 50,
        max_samples: int = sys.maxsize,
        min_error: float = 0,
    ) -> None:
        loss_per_interval = check_callables(
            function, loss_per_interval, "loss_per_interval", default_loss
        )
        checked = _check_params(
            delta, alpha, neighbor_sampling, min_samples, max_samples, min_error
        )
        self.function = function
        self.bounds = check_bounds(bounds)
        self.loss_per_interval = loss_per_interval
        self.nth_neighbors = int(getattr(loss_per_interval, "nth_neighbors", 0))
        self._x_scale = self.bounds[1] - self.bounds[0]
        self.delta, self._alpha, self.neighbor_sampling = checked[:3]
        self._min_samples, self._max_samples, self._min_error = checked[3:]
        self._cache: dict[str, Any] = {}
        self._clear()

    def new(self) -> AverageLearner1D:
        """An empty AverageLearner1D with the same function, bounds and parameters."""
        return AverageLearner1D(self.function, self.bounds, self.loss_per_interval, *self._params())

    # -- parameters that the stored priorities depend on ------------------------------------

    def _params(self) -> tuple[Any, ...]:
        """The tunables, in the order of the constructor's parameters (``_PARAMS``)."""
        return tuple(getattr(self, name) for name in _PARAMS)

    def _set_param(self, **kwargs: Any) -> None:
        params = dict(zip(_PARAMS, self._params()))
        params.update(kwargs)
        checked = _check_params(**params)
        self._min_samples, self._max_samples, self._min_error = checked[3:]
        if checked[1] != self._alpha:
            self._alpha = checked[1]
            self._tq = type(self._tq)(self._alpha)
            for x, st in self._stat.items():
                self._error[x] = self._error_of(st, st[0])
        self._rebuild(self._scale_ref)

    alpha = property(
        lambda self: self._alpha,
        lambda self, value: self._set_param(alpha=value),
        doc="The confidence intervals have level ``1 - 2 alpha``.",
    )
    min_samples = property(
        lambda self: self._min_samples,
        lambda self, value: self._set_param(min_samples=value),
        doc="The least number of samples a new x gets first.",
    )
    max_samples = property(
        lambda self: self._max_samples,
        lambda self, value: self._set_param(max_samples=value),
        doc="No x gets more samples than this.",
    )
    min_error = property(
        lambda self: self._min_error,
        lambda self, value: self._set_param(min_error=value),
        doc="An x whose error is at most this is not resampled.",
    )

    # -- properties -----------------------------------------------------------------------

    @property
    def data(self) -> Mapping[float, float]:
        """``{x: mean of the samples at x}`` (read-only; ``dict(learner.data)`` copies)."""
        return MappingProxyType(self._means)

    @property
    def _data_samples(self) -> Mapping[float, dict[int, float]]:
        """``{x: {seed: y}}``: every told sample (read-only view)."""
        return MappingProxyType(self._samples)

    @property
    def error(self) -> Mapping[float, float]:
        """``{x: half-width of the confidence interval of the mean}`` (``inf`` below two
        samples or when a sample is not finite)."""
        return MappingProxyType(self._error)

    @property
    def rescaled_error(self) -> Mapping[float, float]:
        """``{x: error / y-scale / the smaller loss of the intervals next to x}``: x is
        resampled while this exceeds ``delta``."""
        return MappingProxyType(self._rescaled)

    @property
    def npoints(self) -> int:
        """The number of distinct x told."""
        return len(self._means)

    @property
    def nsamples(self) -> int:
        """The total number of samples told."""
        return self._nsamples

    @property
    def min_samples_per_point(self) -> int:
        """The smallest number of samples at any told x (0 without data)."""
        return min((st[0] + st[3] + st[4] + st[5] for st in self._stat.values()), default=0)

    @property
    def vdim(self) -> int:
        """The output dimension: always 1."""
        return 1

    @property
    def losses(self) -> dict[tuple[float, float], float]:
        """The loss of each interval between neighbouring told x."""
        return {(a, self._right[a]): loss for a, loss in self._loss.items()}

    # -- input checks ---------------------------------------------------------------------

    def _check_x(self, x: Any) -> float:
        if type(x) is float and self.bounds[0] <= x <= self.bounds[1]:
            return x
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            msg = f"AverageLearner1D points are (seed, x) with x a real number, got x={x!r}"
            raise ValueError(msg)
        x = float(x)
        if not self.bounds[0] <= x <= self.bounds[1]:
            raise outside_bounds_error(f"x={x!r}", self.bounds, "AverageLearner1D")
        return x

    def _check_point(self, point: Any) -> tuple[int, float]:
        try:
            seed, x = point
        except (TypeError, ValueError):
            msg = f"AverageLearner1D points are (seed, x) pairs, got {point!r}"
            raise ValueError(msg) from None
        if type(seed) is not int:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                msg = f"the seed of point {point!r} must be a whole number, got {seed!r}"
                raise ValueError(msg)
            seed = int(seed)
        if not 0 <= seed < _MAX_SEED:
            msg = f"the seed of point {point!r} must be in [0, 2**63), got {seed!r}"
            raise ValueError(msg)
        return seed, self._check_x(x)

    @staticmethod
    def _check_y(point: tuple[int, float], y: Any) -> float:
        if type(y) is float:
            return y
        if isinstance(y, numbers.Real) and not isinstance(y, bool | np.bool_):
            return float(y)
        if isinstance(y, np.ndarray) and y.shape in ((), (1,)) and y.dtype.kind in "iuf":
            return float(y.reshape(()))
        shape = f" (an array of shape {np.shape(y)})" if isinstance(y, np.ndarray | list) else ""
        msg = (
            f"function({point!r}) returned {y!r}{shape}; AverageLearner1D learns scalar "
            "functions and needs one real number per sample"
        )
        raise ValueError(msg)

    # -- tell -----------------------------------------------------------------------------

    def tell(self, x: Any, y: Any) -> None:
        """Record the sample ``y`` of the point ``x = (seed, x)``; ignored when already told."""
        point = self._check_point(x)
        value = self._check_y(point, y)
        samples = self._samples.get(point[1])
        if samples is not None and point[0] in samples:
            return
        self._told_sample(point[0], point[1], value)

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many samples; everything is checked before anything changes.

        Large batches (more than half the number of samples told) are added in bulk and the
        learner's state rebuilt once, in O(S + N log N).
        """
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        new: dict[tuple[int, float], float] = {}
        for point, y in zip(xs, ys):
            point = self._check_point(point)
            if point in new or point[0] in self._samples.get(point[1], ()):
                continue
            new[point] = self._check_y(point, y)
        if len(new) <= max(self._nsamples // 2, 64):
            for (seed, x), value in new.items():
                self._told_sample(seed, x, value)
            return
        for (seed, x), value in new.items():
            self._accumulate(seed, x, value)
        self._rebuild()

    def tell_many_at_point(self, x: Any, seed_y_mapping: Mapping[Any, Any]) -> None:
        """Record the samples ``{seed: y}`` taken at ``x``."""
        if not isinstance(seed_y_mapping, Mapping):
            msg = f"seed_y_mapping must be a dict {{seed: y}}, got {type(seed_y_mapping).__name__}"
            raise ValueError(msg)
        self.tell_many([(seed, x) for seed in seed_y_mapping], list(seed_y_mapping.values()))

    def tell_pending(self, x: Any) -> None:
        """Mark the point ``x = (seed, x)`` as being evaluated; ignored when already told."""
        seed, value = self._check_point(x)
        if seed in self._samples.get(value, ()) or (seed, value) in self.pending_points:
            return
        self._add_pending(seed, value)

    def remove_unfinished(self) -> None:
        """Forget every pending sample."""
        self.pending_points.clear()
        self._pend.clear()
        self._low_seed.clear()
        self._target = {x: t for x, t in self._target.items() if x in self._samples}
        self._rebuild(self._scale_ref)

    # -- ask ------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[tuple[int, float]], list[float]]:
        """Suggest up to ``n`` samples ``(seed, x)`` and the loss each is expected to reduce.

        See :meth:`BaseLearner.ask` and the module docstring for the rule. Fewer than ``n``
        (possibly none) when no x can be added and none resampled.
        """
        n = check_ask_count(n)
        cap = self.loss()
        points: list[tuple[int, float]] = []
        gains: list[float] = []
        for _ in range(n):
            choice = self._choose()
            if choice is None:
                break
            point, gain = choice
            self._add_pending(*point)
            points.append(point)
            gains.append(min(gain, cap))
        if not tell_pending:
            for seed, x in reversed(points):
                self._unpend(seed, x)
        return points, gains

    def _choose(self) -> tuple[tuple[int, float], float] | None:
        x = self._top_incomplete()
        if x is not None:
            return (self._next_seed(x), x), self._fill_gain(x)
        best = self._top_priority()
        if best is not None and best[1] > self.delta and self._complete():
            return self._resample(best[0])
        new = self._new_x()
        if new is not None:
            x, gain = new
            self._target[x] = self._initial_samples(x)
            return (self._next_seed(x), x), gain
        if best is not None:
            return self._resample(best[0])
        return None

    def _resample(self, x: float) -> tuple[tuple[int, float], float]:
        """Another sample at x; its gain is x's (projected) error on the y-scale."""
        return (self._next_seed(x), x), self._err_eff[x] / self._scale

    def _fill_gain(self, x: float) -> float:
        """The loss of the interval(s) an incomplete x refines (inf before the bounds)."""
        if x in self._samples:
            losses = [self._loss[a] for a in (self._left.get(x), x) if a in self._loss]
            return max(losses, default=_INF)
        a = self._cut_of.get(x)
        return _INF if a is None else self._loss[a]

    def _initial_samples(self, x: float) -> int:
        i = self._xs.bisect_left(x)
        neighbours = [self._xs[j] for j in (i - 1, i) if 0 <= j < len(self._xs)]
        if not neighbours:
            return self._min_samples
        mean = sum(len(self._samples[v]) for v in neighbours) / len(neighbours)
        return max(self._min_samples, math.ceil(self.neighbor_sampling * mean))

    def _new_x(self) -> tuple[float, float] | None:
        if not self._complete():
            return self._new_x_until_bounds()
        top = self._top_interval()
        if top is None:
            return None
        a, gain = top
        p, q = self._widest_piece(a)
        return 0.5 * p + 0.5 * q, gain

    def _new_x_until_bounds(self) -> tuple[float, float] | None:
        """The missing bounds first, then halve the widest gap between known x."""
        for bound in self.bounds:
            if bound not in self._samples and bound not in self._pend:
                return bound, _INF
        edges = sorted({*self._samples, *self._pend, *self.bounds})
        best, widest = None, 0.0
        for p, q in zip(edges, edges[1:]):
            if q - p > widest and p < 0.5 * p + 0.5 * q < q:
                best, widest = 0.5 * p + 0.5 * q, q - p
        return None if best is None else (best, _INF)

    # -- loss -----------------------------------------------------------------------------

    def loss(self, real: bool = True) -> float:
        """The largest interval loss of the means; ``inf`` until both bounds are told.

        With ``real=False``, intervals cut by pending new x count as the pieces they are
        cut into.
        """
        if not self._complete():
            value = _INF
        else:
            top = self._top_interval()
            value = top[1] if top is not None else 0.0
            for a in self._stuck:
                value = max(value, self._loss[a])
            if real:
                for a in self._cuts:
                    value = max(value, self._loss[a])
        self._cache["loss"] = value
        return value

    def plot(self) -> Any:
        """A HoloViews ``Overlay``: the means (``Scatter``), their confidence intervals
        (``ErrorBars``) and the line through them (``Path``)."""
        from ..plotting.average1d import plot_average_learner1d

        return plot_average_learner1d(self)

    # -- checks ------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        from ._average1d_check import check_average_learner1d

        check_average_learner1d(self)
