"""Learner2D's data in other shapes: the interpolator, arrays, DataFrames, plots, saving."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ._pickling import learner_state, reinit_from_state
from .losses_2d import areas

__all__ = ["Learner2DData"]


class Learner2DData:
    """Mixin of Learner2D: everything that reads the data without changing the sampling."""

    _data: dict
    _vshape: tuple[int, ...] | None
    bounds: tuple
    xy_mean: np.ndarray
    xy_scale: np.ndarray
    vdim: int
    function: Any

    # -- interpolation and data in other shapes ---------------------------------------------

    def _data_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        points = np.array(list(self._data), dtype=float).reshape(-1, 2)
        vdim = self.vdim
        rows = [np.broadcast_to(np.asarray(z, dtype=float), (vdim,)) for z in self._data.values()]
        values = np.array(rows, dtype=float).reshape(len(points), vdim)
        return points, values

    def interpolator(self, *, scaled: bool = False) -> Any:
        """A ``scipy.interpolate.LinearNDInterpolator`` of the told data.

        Parameters
        ----------
        scaled : bool
            Build it on the points scaled to the unit square centred at 0 (as losses see them).
        """
        from scipy.interpolate import LinearNDInterpolator

        points, values = self._data_arrays()
        if len(points) < 3:
            msg = f"the interpolator needs at least 3 told points, the learner has {len(points)}"
            raise ValueError(msg)
        if scaled:
            points = (points - self.xy_mean) / self.xy_scale
        return LinearNDInterpolator(points, values)

    def ip(self) -> Any:
        """Deprecated: use ``interpolator(scaled=True)``."""
        warnings.warn(
            "Learner2D.ip() is deprecated; use learner.interpolator(scaled=True)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.interpolator(scaled=True)

    def interpolated_on_grid(self, n: int | None = None) -> tuple[Any, Any, Any]:
        """The linear interpolant on an ``n x n`` grid over the bounds: ``(xs, ys, zs)``.

        ``zs`` has shape ``(n, n)`` (``(n, n, vdim)`` for vector output), indexed ``[ix, iy]``.
        By default n is about the number of the smallest triangles that fit across the domain.
        """
        ip = self.interpolator(scaled=True)
        if n is None:
            n = int(0.658 / math.sqrt(max(areas(ip).min(), 1e-12)))
            n = max(min(n, 1000), 2)
        elif isinstance(n, bool) or not isinstance(n, int) or n < 2:
            msg = f"n must be a whole number >= 2, got {n!r}"
            raise ValueError(msg)
        (x0, x1), (y0, y1) = self.bounds
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        sxs, sys_ = (
            (xs - self.xy_mean[0]) / self.xy_scale[0],
            (ys - self.xy_mean[1]) / self.xy_scale[1],
        )
        zs = ip(sxs[:, None], sys_[None, :])
        return xs, ys, (zs[..., 0] if self.vdim == 1 else zs)

    def inside_bounds(self, xy: Any) -> bool:
        """Whether the point ``xy`` lies in the bounds (edges included)."""
        x, y = xy
        (x0, x1), (y0, y1) = self.bounds
        return bool(x0 <= x <= x1 and y0 <= y <= y1)

    def to_numpy(self) -> np.ndarray:
        """The data as an array of shape ``(npoints, 2 + vdim)``, in the order told."""
        points, values = self._data_arrays()
        return np.column_stack([points, values])

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
        z_name: str = "z",
    ) -> Any:
        """The data as a pandas DataFrame with columns ``x_name``, ``y_name``, ``z_name``."""
        from ..dataframes import learner_frame

        columns = {
            x_name: [p[0] for p in self._data],
            y_name: [p[1] for p in self._data],
            z_name: list(self._data.values()),
        }
        return learner_frame(
            self, columns, [x_name, y_name], z_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
        z_name: str = "z",
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe`."""
        from ..dataframes import bind_function_args

        points = list(zip(df[x_name].tolist(), df[y_name].tolist()))
        self.tell_many(points, df[z_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    def plot(self, n: int | None = None, tri_alpha: float = 0.0) -> Any:
        """``hv.Image * hv.EdgePaths`` of the interpolated data (a ``HoloMap`` over the output
        components for vector output); ``tri_alpha`` > 0 draws the triangulation."""
        from ..plotting.learner2d import plot_learner2d

        return plot_learner2d(self, n=n, tri_alpha=tri_alpha)

    # -- saving and checks ------------------------------------------------------------------

    def _get_data(self) -> dict[tuple[float, float], Any]:
        return dict(self._data)

    def _set_data(self, data: dict) -> None:
        if not isinstance(data, dict):
            msg = f"Learner2D data is a dict {{(x, y): z}}, got {type(data).__name__}"
            raise ValueError(msg)
        self.tell_many(list(data), list(data.values()))

    def _to_arrays(self) -> dict[str, np.ndarray]:
        from ._learner2d_state import to_arrays

        return to_arrays(self)

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        from ._learner2d_state import from_arrays

        from_arrays(self, arrays)

    def __getstate__(self) -> dict[str, Any]:
        return learner_state(
            self,
            "loss_per_triangle",
            stack_size=self._stack_size,
            aspect_ratio=self._aspect_ratio,
            arrays=self._to_arrays(),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        reinit_from_state(self, state, "loss_per_triangle")
        self.stack_size = state["stack_size"]
        self.aspect_ratio = state["aspect_ratio"]
        self._from_arrays(state["arrays"])
        for point in state["pending_points"]:
            self.tell_pending(point)

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        from ._learner2d_state import check

        check(self)
