"""Data formats of :class:`~adaptive_nb.learner.AverageLearner1D`: numpy rows, the save
format's arrays, DataFrames and pickling (a mixin of the learner class)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._average1d_core import fits_scale
from ._pickling import learner_state, reinit_from_state

__all__ = ["Average1DFormats"]


class Average1DFormats:
    """``to_numpy``, ``_get_data`` / ``_set_data``, ``_to_arrays`` / ``_from_arrays``,
    ``to_dataframe`` / ``load_dataframe`` and pickling, for AverageLearner1D."""

    _samples: dict[float, dict[int, float]]
    _means: dict[float, float]
    _target: dict[float, int]
    _stat: dict[float, list]
    _nsamples: int
    _scale_ref: float | None
    function: Any

    # -- data in other shapes -------------------------------------------------------------

    def _rows(self) -> tuple[list[int], list[float], list[float]]:
        seeds: list[int] = []
        xs: list[float] = []
        ys: list[float] = []
        for x in self._xs:
            for seed, y in sorted(self._samples[x].items()):
                seeds.append(seed)
                xs.append(x)
                ys.append(y)
        return seeds, xs, ys

    def to_numpy(self, mean: bool = False) -> np.ndarray:
        """The samples as rows ``(seed, x, y)`` sorted by x and seed, or with ``mean=True``
        the means as rows ``(x, mean)`` sorted by x."""
        if mean:
            xs = list(self._xs)
            return np.array([[x, self._means[x]] for x in xs], dtype=float).reshape(-1, 2)
        seeds, xs, ys = self._rows()
        return np.column_stack([np.array(seeds, dtype=float), xs, ys]).reshape(-1, 3)

    def _get_data(self) -> dict[float, dict[int, float]]:
        # python-adaptive's payload: _data_samples, {x: {seed: y}}
        return {x: dict(samples) for x, samples in self._samples.items()}

    def _set_data(self, data: Any) -> None:
        if not isinstance(data, Mapping) or not all(isinstance(v, Mapping) for v in data.values()):
            msg = f"AverageLearner1D data is a dict {{x: {{seed: y}}}}, got {type(data).__name__}"
            raise ValueError(msg)
        points = [(seed, x) for x, samples in data.items() for seed in samples]
        self.tell_many(points, [y for samples in data.values() for y in samples.values()])

    def _to_arrays(self) -> dict[str, np.ndarray]:
        seeds, xs, ys = self._rows()
        targets = sorted(self._target.items())
        scale = [] if self._scale_ref is None else [self._scale_ref]
        return {
            "seed": np.array(seeds, dtype=np.int64),
            "x": np.array(xs, dtype=float),
            "y": np.array(ys, dtype=float),
            "scale": np.array(scale, dtype=float),
            "target_x": np.array([x for x, _ in targets], dtype=float),
            "target_n": np.array([t for _, t in targets], dtype=np.int64),
            # the running statistics: a loaded learner then has bit-identical means
            "stat_x": np.array(list(self._xs), dtype=float),
            "stat_mean": np.array([self._stat[x][1] for x in self._xs], dtype=float),
            "stat_m2": np.array([self._stat[x][2] for x in self._xs], dtype=float),
        }

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        seed, x, y = arrays.get("seed"), arrays.get("x"), arrays.get("y")
        if (
            seed is None
            or x is None
            or y is None
            or seed.ndim != 1
            or not (seed.shape == x.shape == y.shape)
        ):
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected arrays seed, x and y of one shape (n,), got {shapes}"
            raise ValueError(msg)
        if seed.dtype.kind not in "iu":
            msg = f"expected integer seeds, got an array of dtype {seed.dtype}"
            raise ValueError(msg)
        if self._samples or self.pending_points or not self._load_bulk(seed, x, y):
            self.tell_many(list(zip(seed.tolist(), x.tolist())), y.tolist())
            return
        self._restore_stats(arrays)

    def _load_bulk(self, seed: np.ndarray, x: np.ndarray, y: np.ndarray) -> bool:
        """Add the samples to an empty learner with numpy, or return False (for
        ``tell_many`` to add them, or name what is wrong) if any is not plainly valid."""
        if y.dtype.kind not in "iuf" or x.dtype.kind not in "iuf" or not len(seed):
            return False
        x, y = x.astype(float), y.astype(float)
        lower, upper = self.bounds
        if seed.min() < 0 or not np.all((x >= lower) & (x <= upper)):
            return False
        order = np.lexsort((seed, x))
        x, seed, y = x[order], seed[order], y[order]
        if np.any((np.diff(x) == 0) & (np.diff(seed) == 0)):
            return False  # a (seed, x) twice: tell_many keeps the first
        starts = np.concatenate([[0], np.flatnonzero(np.diff(x)) + 1])
        finite = np.isfinite(y)
        count = np.add.reduceat(finite, starts)
        means = np.add.reduceat(np.where(finite, y, 0.0), starts) / np.maximum(count, 1)
        sizes = np.diff(np.append(starts, len(x)))
        deviation = np.where(finite, y - np.repeat(means, sizes), 0.0)
        m2 = np.add.reduceat(deviation**2, starts)
        nan = np.add.reduceat(np.isnan(y), starts)
        pos = np.add.reduceat(y == np.inf, starts)
        neg = np.add.reduceat(y == -np.inf, starts)
        seeds, values, xs = seed.tolist(), y.tolist(), x[starts].tolist()
        bounds = [*starts.tolist(), len(x)]
        for i, key in enumerate(xs):
            start, stop = bounds[i], bounds[i + 1]
            self._samples[key] = dict(zip(seeds[start:stop], values[start:stop]))
            stats = [int(count[i]), float(means[i]), float(m2[i])]
            self._stats_changed(key, [*stats, int(nan[i]), int(pos[i]), int(neg[i])])
        self._nsamples += len(seeds)
        return True

    def _restore_stats(self, arrays: dict[str, np.ndarray]) -> None:
        """Take the saved running statistics, targets and y-scale where they fit the data."""
        stat_x, mean, m2 = (arrays.get(k) for k in ("stat_x", "stat_mean", "stat_m2"))
        present = stat_x is not None and mean is not None and m2 is not None
        if present and stat_x.shape == mean.shape == m2.shape:
            for key, mu, dev in zip(stat_x.tolist(), mean.tolist(), m2.tolist()):
                st = self._stat.get(key)
                if st and math.isclose(st[1], mu, rel_tol=1e-9, abs_tol=1e-12):
                    self._stats_changed(key, [st[0], mu, dev, *st[3:]])
        target_x, target_n = arrays.get("target_x"), arrays.get("target_n")
        if target_x is not None and target_n is not None and target_x.shape == target_n.shape:
            for tx, tn in zip(target_x.tolist(), target_n.tolist()):
                if tx in self._samples:
                    self._target[tx] = int(tn)
        scale = arrays.get("scale")
        saved: Any = "fresh"
        if scale is not None and scale.shape in ((0,), (1,)):
            saved = float(scale[0]) if scale.shape == (1,) else None
            finite = [m for m in self._means.values() if math.isfinite(m)]
            if not fits_scale(max(finite, default=0.0) - min(finite, default=0.0), saved):
                saved = "fresh"
        self._rebuild(saved)

    def to_dataframe(
        self,
        mean: bool = False,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        seed_name: str = "seed",
        x_name: str = "x",
        y_name: str = "y",
    ) -> Any:
        """The samples as a DataFrame with columns ``seed_name``, ``x_name``, ``y_name``, or
        with ``mean=True`` the means, with columns ``x_name`` and ``y_name``."""
        from ..dataframes import learner_frame

        if mean:
            xs = list(self._xs)
            columns = {x_name: xs, y_name: [self._means[x] for x in xs]}
            inputs = [x_name]
        else:
            seeds, xs, ys = self._rows()
            columns = {seed_name: seeds, x_name: xs, y_name: ys}
            inputs = [seed_name, x_name]
        return learner_frame(
            self, columns, inputs, y_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        seed_name: str = "seed",
        x_name: str = "x",
        y_name: str = "y",
    ) -> None:
        """Add the samples of a DataFrame made by :meth:`to_dataframe` (with ``mean=False``)."""
        from ..dataframes import bind_function_args

        for name in (seed_name, x_name, y_name):
            if name not in df.columns:
                msg = (
                    f"the DataFrame has no column {name!r} (columns: {list(df.columns)}); "
                    "load_dataframe needs the samples, as made by to_dataframe(mean=False)"
                )
                raise ValueError(msg)
        points = list(zip(df[seed_name].tolist(), df[x_name].tolist()))
        self.tell_many(points, df[y_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    # -- pickling -----------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return learner_state(
            self,
            "loss_per_interval",
            params=self._params(),
            arrays=self._to_arrays(),
            target=dict(self._target),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        reinit_from_state(self, state, "loss_per_interval", *state["params"])
        self._from_arrays(state["arrays"])
        for point in state["pending_points"]:
            self.tell_pending(point)
        self._target = dict(state["target"])
        self._rebuild(self._scale_ref)
