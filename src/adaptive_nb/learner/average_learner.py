"""AverageLearner: estimate the mean of a random variable to a given tolerance.

Points are integer seeds ``0, 1, 2, ...``; ``function(seed)`` draws one sample. The learner
keeps running sums, so ``tell`` is O(1) and ``mean``, ``std`` and ``loss`` are O(1):

=======================  ==================================================================
``sum_f``, ``sum_f_sq``  the sum of the values and of their squares (as python-adaptive);
``_mean``, ``_m2``       Welford's running mean and sum of squared deviations, from which
                         ``std`` is computed (the difference of the plain sums loses all
                         precision when the spread is small compared to the mean).
``_low``                 no seed below it is free: ``ask`` looks for free seeds from there.
=======================  ==================================================================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ._checks import check_function, check_whole_number
from .base_learner import BaseLearner, check_ask_count

__all__ = ["AverageLearner"]


def _check_tol(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        msg = f"{name} must be a positive number (or None), got {value!r}"
        raise ValueError(msg)
    return float(value)


class AverageLearner(BaseLearner):
    """Samples ``function(seed)`` until the standard error of the mean is small enough.

    Parameters
    ----------
    function : callable
        ``function(seed) -> float``, a random sample drawn with the integer ``seed``.
    atol, rtol : float, optional
        The absolute and relative tolerance on the mean: the loss is the standard error
        divided by ``atol``, or by ``rtol * |mean|``, the larger of the two. At least one is
        required; each must be positive. A missing one is stored as ``inf``.
    min_npoints : int, default 2
        The loss is ``inf`` until this many values are known (at least 2).

    Notes
    -----
    ``tell`` of a seed that is not a whole number >= 0, or of a value that is not a finite
    real number, raises ``ValueError`` and changes nothing; ``tell`` of a seed already told is
    ignored (the first value is kept). When the mean is 0 the relative loss is the standard
    error divided by ``rtol`` (as in python-adaptive). With no data ``mean`` is NaN (where
    python-adaptive divides by zero).

    ``ask(1)`` and ``tell`` cost O(1) (amortised).
    """

    def __init__(
        self,
        function: Callable[[int], float],
        atol: float | None = None,
        rtol: float | None = None,
        min_npoints: int = 2,
    ) -> None:
        check_function(function)
        if atol is None and rtol is None:
            msg = "give at least one of atol and rtol, the tolerance on the mean"
            raise ValueError(msg)
        self.function = function
        self.atol = math.inf if atol is None else _check_tol("atol", atol)
        self.rtol = math.inf if rtol is None else _check_tol("rtol", rtol)
        self.min_npoints = max(check_whole_number("min_npoints", min_npoints, 0), 2)
        self.data: dict[int, float] = {}
        self.pending_points: set[int] = set()
        self.sum_f = 0.0
        self.sum_f_sq = 0.0
        self._mean = 0.0
        self._m2 = 0.0
        self._low = 0
        self._cache: dict[str, Any] = {}

    def new(self) -> AverageLearner:
        """An empty AverageLearner with the same function and tolerances."""
        return AverageLearner(self.function, self.atol, self.rtol, self.min_npoints)

    # -- properties -----------------------------------------------------------------------

    @property
    def npoints(self) -> int:
        """The number of values told."""
        return len(self.data)

    @property
    def n_requested(self) -> int:
        """The number of values told or pending."""
        return len(self.data) + len(self.pending_points)

    @property
    def mean(self) -> float:
        """The mean of the values (NaN before any value)."""
        return self.sum_f / len(self.data) if self.data else math.nan

    @property
    def std(self) -> float:
        """The sample standard deviation (``ddof=1``); ``inf`` below ``min_npoints`` values."""
        n = len(self.data)
        if n < self.min_npoints:
            return math.inf
        return math.sqrt(max(self._m2, 0.0) / (n - 1))

    # -- input checks ---------------------------------------------------------------------

    def _check_seed(self, seed: Any) -> int:
        if type(seed) is int and seed >= 0:
            return seed
        if isinstance(seed, bool | np.bool_) or not isinstance(seed, numbers.Integral):
            msg = f"AverageLearner points are whole-number seeds, got {seed!r}"
            raise ValueError(msg)
        if seed < 0:
            msg = f"AverageLearner seeds are >= 0, got {seed!r}"
            raise ValueError(msg)
        return int(seed)

    @staticmethod
    def _check_value(seed: int, value: Any) -> float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            msg = f"function({seed!r}) returned {value!r}; AverageLearner needs a real number"
            raise ValueError(msg)
        value = float(value)
        if not math.isfinite(value):
            msg = (
                f"function({seed!r}) returned {value!r}; AverageLearner needs finite values "
                "(a NaN or inf would make the mean meaningless)"
            )
            raise ValueError(msg)
        return value

    # -- the contract ---------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[int], list[float]]:
        """The ``n`` smallest seeds neither told nor pending.

        Each loss improvement is the expected drop of ``loss(real=False)`` when all ``n``
        are told, divided by ``n`` (``inf`` while the loss is ``inf``).
        """
        n = check_ask_count(n)
        if n == 0:
            return [], []
        points: list[int] = []
        seed = self._low
        while len(points) < n:
            if seed not in self.data and seed not in self.pending_points:
                points.append(seed)
            seed += 1
        if tell_pending:
            self.pending_points.update(points)
            self._low = seed if points else self._low
        return points, [self._loss_improvement(n)] * n

    def _loss_improvement(self, n: int) -> float:
        loss = self.loss(real=False)
        if not math.isfinite(loss):
            return math.inf
        return (loss - self.loss(n=self.n_requested + n)) / n

    def tell(self, x: Any, y: Any) -> None:
        """Record that seed ``x`` gave the value ``y``."""
        seed = self._check_seed(x)
        if seed in self.data:
            return
        self._add(seed, self._check_value(seed, y))

    def _add(self, seed: int, value: float) -> None:
        self.data[seed] = value
        self.pending_points.discard(seed)
        self.sum_f += value
        self.sum_f_sq += value * value
        delta = value - self._mean
        self._mean += delta / len(self.data)
        self._m2 += delta * (value - self._mean)

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many results; everything is checked before anything changes."""
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        new: dict[int, float] = {}
        for x, y in zip(xs, ys, strict=True):
            seed = self._check_seed(x)
            if seed not in self.data and seed not in new:
                new[seed] = self._check_value(seed, y)
        for seed, value in new.items():
            self._add(seed, value)

    def tell_pending(self, x: Any) -> None:
        """Mark seed ``x`` as being evaluated; ignored when it is told."""
        seed = self._check_seed(x)
        if seed not in self.data:
            self.pending_points.add(seed)

    def remove_unfinished(self) -> None:
        """Forget the pending seeds (``ask`` hands them out again)."""
        self.pending_points.clear()
        self._low = 0

    def loss(self, real: bool = True, *, n: int | None = None) -> float:
        """The standard error of the mean over the tolerance (the larger of the absolute
        and the relative loss); ``inf`` below ``min_npoints`` values.

        With ``real=False`` the pending seeds count as told (the standard error shrinks with
        the number of seeds requested); ``n`` sets that number explicitly.
        """
        default = self.npoints if real else self.n_requested
        n = default if n is None else check_whole_number("n", n, 0)
        if self.npoints < self.min_npoints or n < self.min_npoints:
            value = math.inf
        else:
            standard_error = self.std / math.sqrt(n)
            aloss = standard_error / self.atol
            rloss = standard_error / self.rtol
            mean = self.mean
            if mean != 0:
                rloss /= abs(mean)
            value = max(aloss, rloss)
        self._cache["loss"] = value
        return value

    # -- data in other shapes -------------------------------------------------------------

    def to_numpy(self) -> np.ndarray:
        """Rows ``(seed, value)`` sorted by seed, shape ``(npoints, 2)``."""
        if not self.data:
            return np.empty((0, 2))
        return np.array(sorted(self.data.items()), dtype=float)

    def _get_data(self) -> tuple[dict[int, float], int, float, float]:
        # python-adaptive's layout: (data, npoints, sum_f, sum_f_sq)
        return dict(self.data), self.npoints, self.sum_f, self.sum_f_sq

    def _set_data(self, data: Any) -> None:
        """Add the data of ``_get_data`` (or a plain ``{seed: value}`` dict); the sums are
        recomputed from the values."""
        if isinstance(data, tuple) and len(data) == 4:
            data = data[0]
        if not isinstance(data, Mapping):
            msg = (
                "AverageLearner data is a dict {seed: value} or (data, npoints, sum_f, "
                f"sum_f_sq), got {type(data).__name__}"
            )
            raise ValueError(msg)
        self.tell_many(list(data), list(data.values()))

    def _to_arrays(self) -> dict[str, np.ndarray]:
        table = sorted(self.data.items())
        return {
            "seed": np.array([s for s, _ in table], dtype=np.int64),
            "y": np.array([y for _, y in table], dtype=float),
        }

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        seed, y = arrays.get("seed"), arrays.get("y")
        if seed is None or y is None or seed.ndim != 1 or y.shape != seed.shape:
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected arrays seed (n,) and y (n,), got {shapes}"
            raise ValueError(msg)
        if seed.dtype.kind not in "iu":
            msg = f"expected integer seeds, got an array of dtype {seed.dtype}"
            raise ValueError(msg)
        self.tell_many(seed.tolist(), y.tolist())

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        seed_name: str = "seed",
        y_name: str = "y",
    ) -> Any:
        """The data as a DataFrame with columns ``seed_name`` and ``y_name``, sorted by seed."""
        from ..dataframes import learner_frame

        table = sorted(self.data.items())
        columns = {seed_name: [s for s, _ in table], y_name: [y for _, y in table]}
        return learner_frame(
            self, columns, [seed_name], y_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        seed_name: str = "seed",
        y_name: str = "y",
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe`."""
        from ..dataframes import bind_function_args

        self.tell_many(df[seed_name].tolist(), df[y_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    def plot(self) -> Any:
        """A HoloViews ``Histogram`` of the values."""
        from ..plotting.average import plot_average_learner

        return plot_average_learner(self)

    # -- checks ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        values = list(self.data.values())
        assert all(type(s) is int and s >= 0 for s in self.data), "a seed is not an int >= 0"
        assert all(type(s) is int and s >= 0 for s in self.pending_points)
        assert not (self.pending_points & self.data.keys()), "a seed is both told and pending"
        assert all(s in self.data or s in self.pending_points for s in range(self._low)), (
            "a free seed lies below _low"
        )
        scale = max((abs(v) for v in values), default=0.0)
        tol = 1e-9 * max(1.0, scale) * max(1, len(values))
        assert math.isclose(self.sum_f, math.fsum(values), rel_tol=1e-9, abs_tol=tol)
        assert math.isclose(
            self.sum_f_sq, math.fsum(v * v for v in values), rel_tol=1e-9, abs_tol=tol * scale
        )
        if values:
            mean = math.fsum(values) / len(values)
            assert math.isclose(self._mean, mean, rel_tol=1e-9, abs_tol=tol)
            m2 = math.fsum((v - mean) ** 2 for v in values)
            assert math.isclose(self._m2, m2, rel_tol=1e-6, abs_tol=tol * scale)
