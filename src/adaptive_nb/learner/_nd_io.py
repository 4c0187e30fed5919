"""LearnerND's data in other shapes (numpy, pandas, the save format, pickles), its plots,
and its invariant checks: a mixin, so that learnerND.py holds the sampling logic only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["LearnerNDData"]


class LearnerNDData:
    """Conversions, persistence, plots and ``_check`` of :class:`LearnerND`."""

    # -- numpy and pandas -----------------------------------------------------------------

    def to_numpy(self) -> np.ndarray:
        """The data as an array of shape ``(npoints, ndim + vdim)``, in the order told."""
        if not self.data:
            return np.empty((0, self.ndim + self.vdim))
        values = self.values.reshape(len(self.data), -1)
        return np.hstack([self.points, values])

    def _names(self, point_names: Any) -> list[str]:
        names = list(point_names)
        if len(names) != self.ndim:
            msg = (
                f"point_names has {len(names)} names {tuple(names)!r}, but the learner has "
                f"ndim={self.ndim}; give one name per dimension"
            )
            raise ValueError(msg)
        return names

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        point_names: tuple[str, ...] = ("x", "y", "z"),
        value_name: str = "value",
    ) -> Any:
        """The data as a pandas DataFrame: one column per coordinate and ``value_name``.

        ``point_names`` must hold ``ndim`` names (``ValueError`` otherwise); for 2-D
        learners pass two, e.g. ``("x", "y")``.
        """
        from ..dataframes import learner_frame

        names = self._names(point_names)
        points = list(self.data)
        columns: dict[str, list[Any]] = {
            name: [p[k] for p in points] for k, name in enumerate(names)
        }
        columns[value_name] = list(self.data.values())
        return learner_frame(
            self, columns, names, value_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        point_names: tuple[str, ...] = ("x", "y", "z"),
        value_name: str = "value",
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe` (the same names)."""
        from ..dataframes import bind_function_args

        names = self._names(point_names)
        missing = [c for c in [*names, value_name] if c not in df.columns]
        if missing:
            msg = f"the DataFrame has no column(s) {missing}; it has {list(df.columns)}"
            raise ValueError(msg)
        points = list(zip(*(df[name].tolist() for name in names)))
        self.tell_many(points, df[value_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    # -- the save format ------------------------------------------------------------------

    def _get_data(self) -> dict[tuple[float, ...], Any]:
        return dict(self.data)

    def _set_data(self, data: Any) -> None:
        if not isinstance(data, dict):
            msg = f"LearnerND data is a dict {{point: value}}, got {type(data).__name__}"
            raise ValueError(msg)
        self.tell_many(list(data), list(data.values()))

    def _to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "points": self.points,
            "values": self.values if self.data else np.empty(0),
            "loss_range": np.array([np.nan if self._loss_range is None else self._loss_range]),
        }
        if self._tri is not None:
            index = {p: i for i, p in enumerate(self.data)}
            arrays["vertex_order"] = np.array(
                [index[v] for v in self._tri.vertices], dtype=np.int64
            )
            simplices = sorted(self._tri.simplices)
            arrays["simplices"] = np.array(simplices, dtype=np.int64).reshape(-1, self.ndim + 1)
        return arrays

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        points, values = arrays.get("points"), arrays.get("values")
        ok = (
            points is not None
            and values is not None
            and points.ndim == 2
            and points.shape[1] == self.ndim
            and values.ndim in (1, 2)
            and len(values) == len(points)
        )
        if not ok:
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected points (n, {self.ndim}) and values (n,) or (n, k), got {shapes}"
            raise ValueError(msg)
        pts = [tuple(p) for p in points.tolist()]
        vals = values.tolist() if values.ndim == 1 else list(values)
        if self.data or not self._restore(pts, vals, arrays):
            self.tell_many(pts, vals)

    def _restore(self, pts: list, vals: list, arrays: dict[str, np.ndarray]) -> bool:
        """Into an empty learner: take the saved triangulation and loss scale when they
        fit the data (so that this learner asks what the saved one would have); else False."""
        from .triangulation import Triangulation

        order, simplices = arrays.get("vertex_order"), arrays.get("simplices")
        if order is None or simplices is None or len(set(pts)) != len(pts):
            return False
        shape = self._vshape
        from ._nd_support import check_value

        checked = []
        for p, v in zip(pts, vals):
            self._check_point(p)  # raises before any change
            v, shape = check_value(p, v, shape)
            checked.append(v)
        n = len(pts)
        order = order.tolist()
        if len(set(order)) != len(order) or not all(0 <= i < n for i in order):
            return False
        if simplices.ndim != 2 or simplices.shape[1] != self.ndim + 1 or len(simplices) == 0:
            return False
        if simplices.min() < 0 or simplices.max() >= len(order):
            return False
        vertices = [pts[i] for i in order]
        if not set(self._bound_points) <= set(vertices):
            return False
        tri = Triangulation.from_simplices(vertices, simplices.tolist())
        if len(tri.simplices) != len(simplices):
            return False
        try:
            tri.check()
        except AssertionError:
            return False
        if not math.isclose(sum(tri.volumes()), self._geometry.volume, rel_tol=1e-9):
            return False
        self._vshape = shape
        for p, v in zip(pts, checked):
            self.data[p] = v
            self._update_range(v)
            self.pending_points.discard(p)
        self._tri = tri
        self._vals = [self.data[v] for v in vertices]
        in_tri = set(vertices)
        self._untriangulated = [p for p in pts if p not in in_tri]
        saved = arrays.get("loss_range")
        used = None
        if saved is not None and saved.shape == (1,) and 0 <= float(saved[0]) <= self._range():
            used = float(saved[0])
        self._recompute_all(used)
        if self._needs_rescale():
            self._recompute_all()
        return True

    # -- pickling -------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        import cloudpickle

        source = self._geometry.source
        bounds = ("hull", np.asarray(source.points)) if hasattr(source, "equations") else source
        return {
            "function": cloudpickle.dumps(self.function),
            "loss_per_simplex": cloudpickle.dumps(self.loss_per_simplex),
            "bounds": bounds,
            "anisotropic": self.anisotropic,
            "triangulation_backend": self.triangulation_backend,
            "recompute_losses_factor": self._recompute_losses_factor,
            "arrays": self._to_arrays(),
            "pending_points": sorted(self.pending_points),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        import cloudpickle

        bounds = state["bounds"]
        if isinstance(bounds, tuple) and len(bounds) == 2 and bounds[0] == "hull":
            from scipy.spatial import ConvexHull

            bounds = ConvexHull(bounds[1])
        self.__init__(
            cloudpickle.loads(state["function"]),
            bounds,
            cloudpickle.loads(state["loss_per_simplex"]),
            anisotropic=state["anisotropic"],
            triangulation_backend=state["triangulation_backend"],
        )
        self._recompute_losses_factor = state["recompute_losses_factor"]
        self._from_arrays(state["arrays"])
        for p in state["pending_points"]:
            self.tell_pending(p)

    # -- plots ----------------------------------------------------------------------------

    def plot(self, n: int | None = None, tri_alpha: float = 0) -> Any:
        """2-D only: ``hv.Image`` of the linear interpolation on an ``n x n`` grid times
        ``hv.EdgePaths`` of the triangulation (``tri_alpha`` its opacity); a ``hv.HoloMap``
        over the output components for vector output."""
        from ..plotting.learnernd import plot_learnernd

        return plot_learnernd(self, n=n, tri_alpha=tri_alpha)

    def plot_slice(self, cut_mapping: dict[int, float], n: int | None = None) -> Any:
        """A slice through the learner: ``cut_mapping`` fixes some coordinates
        (``{dimension index: value}``); one free dimension gives ``hv.Path``, two ``hv.Image``."""
        from ..plotting.learnernd import plot_slice

        return plot_slice(self, cut_mapping, n=n)

    def plot_isoline(self, level: float = 0.0, n: int | None = None, tri_alpha: float = 0) -> Any:
        """2-D, scalar output: the contour ``value == level`` of the linear interpolation
        (``hv.Path``) over :meth:`plot` (``n=-1`` gives the contour alone)."""
        from ..plotting.learnernd import plot_isoline

        return plot_isoline(self, level=level, n=n, tri_alpha=tri_alpha)

    def plot_3D(self, with_triangulation: bool = False, return_fig: bool = False) -> Any:
        """Not supported: adaptive draws this with plotly, which adaptive_nb does not use.

        Raises
        ------
        NotImplementedError
            Always; use :meth:`plot_slice` for 3-D learners.
        """
        msg = (
            "LearnerND.plot_3D needs plotly, which adaptive_nb does not support; "
            "use plot_slice({dim: value}) to look at 2-D slices"
        )
        raise NotImplementedError(msg)

    def plot_isosurface(self, level: float = 0.0, hull_opacity: float = 0.2) -> Any:
        """Not supported: adaptive draws this with plotly, which adaptive_nb does not use.

        Raises
        ------
        NotImplementedError
            Always; use :meth:`plot_slice` for 3-D learners.
        """
        msg = (
            "LearnerND.plot_isosurface needs plotly, which adaptive_nb does not support; "
            "use plot_slice({dim: value}) to look at 2-D slices"
        )
        raise NotImplementedError(msg)

    # -- invariants -----------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        assert not (self.pending_points & self.data.keys()), "a point is both told and pending"
        assert all(self._geometry.contains(p) for p in self.data)
        assert all(self._geometry.contains(p) for p in self.pending_points)
        tri = self._tri
        if tri is None:
            assert not self.bounds_are_done
            assert not self._losses and not self._subtri and not self._pending_in
            return
        assert self.bounds_are_done
        tri.check()
        assert set(tri.vertices) | set(self._untriangulated) == self.data.keys()
        assert len(tri.vertices) + len(self._untriangulated) == len(self.data)
        assert all(self.data[v] is self._vals[i] for i, v in enumerate(tri.vertices))
        total = sum(tri.volumes())
        assert math.isclose(total, self._geometry.volume, rel_tol=1e-9), "holes in the mesh"
        if not self.anisotropic:
            _check_delaunay(tri)
        assert self._losses.keys() == tri.simplices, "losses out of step with the mesh"
        assert self._prio.keys() == tri.simplices
        assert not self._needs_rescale(), "losses use an outdated value scale"
        assert self._loss_range <= self._range()
        simplices = sorted(tri.simplices)
        from ._nd_support import lift_losses

        scale = self._loss_range if self._loss_range else 1.0
        fresh = lift_losses(self, simplices, 1.0 / scale)
        for s, loss in zip(simplices, fresh):
            got = self._losses[s]
            assert got == loss or math.isclose(got, loss, rel_tol=1e-9, abs_tol=1e-15), s
            assert not math.isnan(got)
        valid = {s for neg, s in self._heap if self._prio.get(s) == -neg}
        for s in simplices:
            assert s in valid or s in self._stuck, f"simplex {s} lost from the heap"
            assert self._prio[s] <= self._losses[s]
        valid = {s for neg, s in self._loss_heap if self._losses.get(s) == -neg}
        assert valid == tri.simplices, "loss heap out of step"
        placed: dict[tuple, set] = {}
        for s, sub in self._subtri.items():
            assert s in tri.simplices
            for q in sub.vertices[self.ndim + 1 :]:
                assert q in self.pending_points, f"{q} in the pieces of {s} is not pending"
                assert min(tri.barycentric(s, q)) >= -1e-9
                placed.setdefault(q, set()).add(s)
        for q, holders in self._pending_in.items():
            assert q in self.pending_points
            assert holders == placed.get(q, set()), f"pending point {q} misplaced"
        assert set(placed) <= set(self._pending_in)


def _check_delaunay(tri: Any) -> None:
    """No vertex strictly inside the circumsphere of any simplex (relative tolerance)."""
    points = np.array(tri.vertices)
    for s in tri.simplices:
        center, radius = tri.circumsphere(s)
        d2 = np.sum((points - np.array(center)) ** 2, axis=1)
        inside = d2 < radius**2 * (1 - 1e-6)  # thin simplices have imprecise spheres
        inside[list(s)] = False
        assert not inside.any(), f"vertex {np.flatnonzero(inside)} inside circumsphere of {s}"
