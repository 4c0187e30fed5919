"""Learner2D's save format (``_to_arrays`` / ``_from_arrays``) and its invariant check.

The arrays are ``xy`` (npoints, 2) and ``z`` (npoints,) or (npoints, vdim), in the order the
points were told. When the learner has no pending points and its four corners are told, the
triangulation is saved too (``tri_vertex`` (nvertices,): the row of ``xy`` of each vertex;
``tri_simplices`` and ``tri_neighbors`` (ntriangles, 3)), so that a loaded learner has the
very same triangles (Delaunay triangulations are not unique where four points lie on one
circle) and asks the same next points as the one that saved it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _learner2d_support as support
from ._delaunay2d import Triangulation

if TYPE_CHECKING:
    from .learner2D import Learner2D

__all__ = ["check", "from_arrays", "to_arrays"]


def to_arrays(learner: Learner2D) -> dict[str, np.ndarray]:
    points, values = learner._data_arrays()
    z = values[:, 0] if learner._vshape in (None, ()) else values
    out = {"xy": points, "z": z}
    data_rows = {p: i for i, p in enumerate(learner._data)}
    if (
        not learner.pending_points
        and learner._bounds_done
        and len(data_rows) == len(learner._vpoint)
    ):
        out["tri_vertex"] = np.array([data_rows[p] for p in learner._vpoint], dtype=np.int64)
        out["tri_simplices"] = np.array(learner._tri.tv, dtype=np.int64).reshape(-1, 3)
        out["tri_neighbors"] = np.array(learner._tri.tn, dtype=np.int64).reshape(-1, 3)
    return out


def from_arrays(learner: Learner2D, arrays: dict[str, np.ndarray]) -> None:
    xy, z = arrays.get("xy"), arrays.get("z")
    if (
        xy is None
        or z is None
        or xy.ndim != 2
        or xy.shape[1:] != (2,)
        or z.ndim not in (1, 2)
        or len(z) != len(xy)
    ):
        shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
        msg = f"expected arrays xy (n, 2) and z (n,) or (n, k), got {shapes}"
        raise ValueError(msg)
    points = [tuple(p) for p in xy.tolist()]
    values = z.tolist() if z.ndim == 1 else list(z)
    if not learner._data and not learner.pending_points and _adopt(learner, points, values, arrays):
        return
    learner.tell_many(points, values)


def _adopt(learner: Learner2D, points: list, values: list, arrays: dict) -> bool:
    """Take the saved triangulation when it is consistent; False (nothing changed) if not."""
    vidx, tv, tn = (arrays.get(k) for k in ("tri_vertex", "tri_simplices", "tri_neighbors"))
    if vidx is None or tv is None or tn is None:
        return False
    n = len(points)
    if (
        vidx.shape != (n,)
        or tv.ndim != 2
        or tv.shape[1:] != (3,)
        or tn.shape != tv.shape
        or sorted(vidx.tolist()) != list(range(n))
        or len(set(points)) != n
    ):
        return False
    if tv.size and not (tv.min() >= 0 and tv.max() < n and tn.min() >= -1 and tn.max() < len(tv)):
        return False
    checked = []
    shape = None
    for point, value in zip(points, values):
        point = support.check_point(point, learner.bounds)
        value = support.check_value(point, value, shape)
        if value is not None and shape is None:
            shape = () if isinstance(value, float) else value.shape
        checked.append((point, value))
    order = [checked[i][0] for i in vidx.tolist()]
    (x0, x1), (y0, y1) = learner.bounds
    if order[:4] != [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]:
        return False
    scaled = [learner._scale(p) for p in order]
    tri = Triangulation.from_lists([s[0] for s in scaled], [s[1] for s in scaled], tv, tn)
    try:
        tri.check()
    except AssertionError:
        return False
    learner._tri = tri
    learner._vpoint = order
    learner._vid = {p: v for v, p in enumerate(order)}
    learner._zs = [None] * n
    learner._told = [False] * n
    learner._g = [None] * n
    learner._loss, learner._ver = [], []
    for point, value in checked:
        learner._store(point, value)
        learner._note_range(learner._zs[learner._vid[point]])
    learner._bounds_done = all(learner._told[:4])
    learner._recompute_all()
    return True


def check(learner: Learner2D) -> None:
    """Assert every invariant of ``learner`` (see learner2D's module docstring)."""
    tri = learner._tri
    tri.check()
    nv = len(tri.px)
    assert len(learner._vpoint) == len(learner._zs) == len(learner._told) == nv
    assert len(learner._vid) == nv, "a point is two vertices, or a vertex has no point"
    for v, point in enumerate(learner._vpoint):
        assert learner._vid[point] == v
        assert (tri.px[v], tri.py[v]) == learner._scale(point), f"vertex {v} moved"
        told = point in learner._data
        assert learner._told[v] == told
        if told:
            assert _same(learner._zs[v], learner._internal(learner._data[point]))
        else:
            assert v < 4 or point in learner.pending_points, f"{point} is neither told nor pending"
    assert not (learner.pending_points & learner._data.keys()), "a point is told and pending"
    points = learner.pending_points | learner._data.keys()
    assert learner._orphans <= points and not learner._orphans & learner._vid.keys()
    assert points <= learner._vid.keys() | learner._orphans, "a point is not a vertex"
    assert set(learner._pending_loss) == learner.pending_points
    assert learner._bounds_done == all(learner._told[:4])
    _check_scale(learner)
    _check_heap(learner)
    if learner._kind[0] != "user":
        _check_losses(learner)


def _same(a: Any, b: Any) -> bool:
    return a == b or (a is None and b is None)


def _check_scale(learner: Learner2D) -> None:
    finite = [learner._internal(z) for z in learner._data.values()]
    finite = [((z,) if learner._vdim == 1 else z) for z in finite if z is not None]
    if not finite:
        assert learner._zscale == 1.0
        return
    span = max(max(c) - min(c) for c in zip(*finite))
    expected = 2.0 ** math.floor(math.log2(span)) if 0 < span < math.inf else 1.0
    assert learner._zscale == expected, f"value scale {learner._zscale}, expected {expected}"


def _check_heap(learner: Learner2D) -> None:
    ntri = len(learner._tri.tv)
    assert len(learner._loss) == len(learner._ver) == ntri
    current = {e[3]: e for e in learner._heap if learner._ver[e[3]] == e[4]}
    for t in range(ntri):
        if learner._stuck.get(t) == learner._ver[t]:
            continue
        assert t in current, f"triangle {t} is missing from the heap"
        loss = learner._loss[t]
        assert -current[t][0] == loss or (math.isnan(loss) and math.isnan(current[t][0]))


def _check_losses(learner: Learner2D) -> None:
    """Every loss is fresh, except next to pending points (whose neighbours' gradients are
    updated when they are told)."""
    tri = learner._tri
    fuzzy: set[int] = set()  # pending vertices (and their neighbours, when gradients are used)
    pending = {learner._vid[p] for p in learner.pending_points if p in learner._vid}
    for v in pending:
        fuzzy.add(v)
        if learner._needs_gradients():
            fuzzy.update(tri.star(v)[1])
    if learner._bounds_done and learner._needs_gradients():
        for v in range(len(tri.px)):
            if v in fuzzy:
                continue
            fresh = learner._gradient(v, tri.star(v)[1])
            assert _same(fresh, learner._g[v]), f"stale gradient at vertex {v}"
    for t in range(len(tri.tv)):
        if fuzzy.intersection(tri.tv[t]):
            fresh = learner._triangle_loss(t, learner._bounds_done)[0]
            if pending.intersection(tri.tv[t]):  # capped when the pending point was added
                assert learner._loss[t] <= fresh or math.isclose(learner._loss[t], fresh)
            continue
        fresh = learner._triangle_loss(t, learner._bounds_done)[0]
        stored = learner._loss[t]
        assert fresh == stored or math.isclose(fresh, stored, rel_tol=1e-12), (
            f"stale loss of triangle {t}: {stored} != {fresh}"
        )
