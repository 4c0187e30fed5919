"""An incremental 2-D Delaunay triangulation with triangle adjacency, for Learner2D.

Data structures (n vertices, about 2n triangles), all plain Python lists for fast scalar access:

``px``, ``py``  the coordinates of vertex v.
``tv``          ``tv[t] = [a, b, c]``: the vertices of triangle t, counter-clockwise.
``tn``          ``tn[t][j]``: the triangle across the edge opposite ``tv[t][j]`` (``-1`` on the
                hull), the convention of ``scipy.spatial.Delaunay.neighbors``.
``vt``          ``vt[v]``: one triangle that has vertex v.

The triangulation starts as a rectangle cut into two triangles, and every later vertex lies
inside it. A vertex is added by splitting the triangle that holds it into three (or the two
triangles sharing the edge it lies on into four) and then flipping edges until every edge is
locally Delaunay (Lawson's algorithm). Only edges opposite the new vertex are ever flipped, so
this ends after O(degree) flips even with rounding errors. Triangle ids are never freed: a
split keeps the old id for one piece and appends the others, a flip reuses both ids, so the
ids are ``range(len(tv))``.

When the caller knows the triangle that holds the new point (Learner2D does: it picks a point
inside the triangle with the largest loss) adding a vertex is O(1) amortised; otherwise the
point is found by a walk from a hint triangle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["DegeneratePointError", "Triangulation"]


class DegeneratePointError(ValueError):
    """The point coincides with a vertex, or lies outside the triangulation."""


def orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
    """Twice the signed area of (a, b, c): positive when counter-clockwise."""
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def incircle(
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float, dx: float, dy: float
) -> float:
    """Positive when d lies inside the circumcircle of the counter-clockwise triangle (a, b, c)."""
    adx, ady, bdx, bdy, cdx, cdy = ax - dx, ay - dy, bx - dx, by - dy, cx - dx, cy - dy
    ad, bd, cd = adx * adx + ady * ady, bdx * bdx + bdy * bdy, cdx * cdx + cdy * cdy
    return adx * (bdy * cd - bd * cdy) - ady * (bdx * cd - bd * cdx) + ad * (bdx * cdy - bdy * cdx)


class Triangulation:
    """A Delaunay triangulation of the rectangle ``[x0, x1] x [y0, y1]`` and points inside it.

    The four corners are vertices 0-3: (x0, y0), (x1, y0), (x1, y1), (x0, y1).
    """

    __slots__ = ("last", "px", "py", "tn", "tv", "vt")

    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.px = [x0, x1, x1, x0]
        self.py = [y0, y0, y1, y1]
        self.tv = [[0, 1, 2], [0, 2, 3]]
        self.tn = [[-1, 1, -1], [-1, -1, 0]]
        self.vt = [0, 0, 0, 1]
        self.last = 0

    @property
    def nvertices(self) -> int:
        return len(self.px)

    # -- queries ------------------------------------------------------------------------

    def area(self, t: int) -> float:
        """The area of triangle t."""
        a, b, c = self.tv[t]
        px, py = self.px, self.py
        return 0.5 * orient(px[a], py[a], px[b], py[b], px[c], py[c])

    def star(self, v: int) -> tuple[list[int], list[int]]:
        """The triangles around vertex v and its neighbouring vertices (each once)."""
        tv, tn = self.tv, self.tn
        t0 = self.vt[v]
        tris: list[int] = []
        ring: list[int] = []
        t = t0
        while True:  # clockwise around v: cross the edge (v, next vertex)
            tris.append(t)
            vs = tv[t]
            i = vs.index(v)
            ring.append(vs[(i + 1) % 3])
            t = tn[t][(i + 2) % 3]
            if t == t0:
                return tris, ring
            if t < 0:
                break
        t = t0  # v is on the hull: go the other way too, counter-clockwise
        vs = tv[t]
        i = vs.index(v)
        ring.append(vs[(i + 2) % 3])
        t = tn[t][(i + 1) % 3]
        while t >= 0:
            tris.append(t)
            vs = tv[t]
            i = vs.index(v)
            ring.append(vs[(i + 2) % 3])
            t = tn[t][(i + 1) % 3]
        return tris, ring

    def _sides(self, t: int, x: float, y: float) -> tuple[float, float, float]:
        """The orientation of (x, y) to the edges of t opposite its vertices 0, 1 and 2.

        Each edge is evaluated from its lower-numbered vertex, so that the two triangles
        sharing an edge see exactly opposite signs (rounding never puts a point on the
        inside of both).
        """
        px, py = self.px, self.py
        a, b, c = self.tv[t]
        out = []
        for i, j in ((b, c), (c, a), (a, b)):
            if i < j:
                out.append(orient(px[i], py[i], px[j], py[j], x, y))
            else:
                out.append(-orient(px[j], py[j], px[i], py[i], x, y))
        return out[0], out[1], out[2]

    def locate(self, x: float, y: float, hint: int | None = None) -> tuple[int, int]:
        """Find the triangle holding (x, y) by a visibility walk from ``hint``.

        Returns ``(t, j)``: j is -1 when the point is strictly inside t, else the index of the
        vertex opposite the edge the point lies on. Raises DegeneratePointError for a point on
        a vertex or outside the triangulation.
        """
        tn = self.tn
        t = self.last if hint is None else hint
        previous = -1
        for _ in range(64 + int(4 * math.sqrt(len(self.tv)))):
            sides = self._sides(t, x, y)
            step = -1
            for j in range(3):
                if sides[j] < 0 and tn[t][j] != previous:
                    step = j
                    break
            if step < 0:
                for j in range(3):
                    if sides[j] < 0:
                        step = j
                        break
            if step < 0:
                return self._found(t, sides, x, y)
            nxt = tn[t][step]
            if nxt < 0:
                msg = f"point ({x!r}, {y!r}) is outside the triangulation"
                raise DegeneratePointError(msg)
            previous, t = t, nxt
        for t in range(len(self.tv)):  # the walk is taking long: look at every triangle
            sides = self._sides(t, x, y)
            if sides[0] >= 0 and sides[1] >= 0 and sides[2] >= 0:
                return self._found(t, sides, x, y)
        msg = f"point ({x!r}, {y!r}) is outside the triangulation"
        raise DegeneratePointError(msg)

    def _found(
        self, t: int, sides: tuple[float, float, float], x: float, y: float
    ) -> tuple[int, int]:
        zeros = [j for j in range(3) if sides[j] == 0]
        if len(zeros) >= 2:
            msg = f"point ({x!r}, {y!r}) coincides with a vertex"
            raise DegeneratePointError(msg)
        return t, (zeros[0] if zeros else -1)

    # -- changes ------------------------------------------------------------------------

    def insert(self, x: float, y: float, hint: int | None = None) -> int:
        """Add the vertex (x, y) and restore the Delaunay property; return its id."""
        t, j = self.locate(x, y, hint)
        return self.insert_at(x, y, t, j)

    def insert_at(self, x: float, y: float, t: int, j: int) -> int:
        """Add (x, y), known to lie strictly inside t (j = -1) or on its edge opposite vertex j.

        Raises DegeneratePointError (changing nothing) when a new triangle would be flat in
        floating point (a point extremely close to a vertex or an edge).
        """
        self._check_split(x, y, t, j)
        v = len(self.px)
        self.px.append(x)
        self.py.append(y)
        self.vt.append(t)
        new = self._split3(t, v) if j < 0 else self._split_edge(t, j, v)
        self._legalize(new)
        self.last = self.vt[v]
        return v

    def _check_split(self, x: float, y: float, t: int, j: int) -> None:
        px, py, tv = self.px, self.py, self.tv
        vs = tv[t]
        if j < 0:
            edges = [(vs[0], vs[1]), (vs[1], vs[2]), (vs[2], vs[0])]
        else:
            a, b, c = vs[j], vs[(j + 1) % 3], vs[(j + 2) % 3]
            edges = [(a, b), (c, a)]
            u = self.tn[t][j]
            if u >= 0:
                d = tv[u][self.tn[u].index(t)]
                edges += [(d, c), (b, d)]
        for p, q in edges:
            ex, ey = px[q] - px[p], py[q] - py[p]
            # the new triangle's height over this edge must be above 5e-13 of the edge's
            # length: slivers thinner than that break the in-circle tests by rounding
            if not orient(px[p], py[p], px[q], py[q], x, y) > 1e-12 * (ex * ex + ey * ey):
                msg = f"point ({x!r}, {y!r}) is too close to a vertex or an edge to triangulate"
                raise DegeneratePointError(msg)

    def _split3(self, t: int, v: int) -> list[int]:
        tv, tn, vt = self.tv, self.tn, self.vt
        a, b, c = tv[t]
        na, nb, nc = tn[t]
        t1, t2 = len(tv), len(tv) + 1
        tv[t] = [a, b, v]
        tn[t] = [t1, t2, nc]
        tv.append([b, c, v])
        tn.append([t2, t, na])
        tv.append([c, a, v])
        tn.append([t, t1, nb])
        if na >= 0:
            self._relink(na, t, t1)
        if nb >= 0:
            self._relink(nb, t, t2)
        vt[a] = vt[b] = vt[v] = t
        vt[c] = t1
        return [t, t1, t2]

    def _split_edge(self, t: int, j: int, v: int) -> list[int]:
        tv, tn, vt = self.tv, self.tn, self.vt
        a, b, c = tv[t][j], tv[t][(j + 1) % 3], tv[t][(j + 2) % 3]
        u = tn[t][j]
        nb, nc = tn[t][(j + 1) % 3], tn[t][(j + 2) % 3]
        t2 = len(tv)
        if u < 0:  # a hull edge: t becomes two triangles
            tv[t] = [a, b, v]
            tn[t] = [-1, t2, nc]
            tv.append([c, a, v])
            tn.append([t, -1, nb])
            if nb >= 0:
                self._relink(nb, t, t2)
            vt[a] = vt[b] = vt[v] = t
            vt[c] = t2
            return [t, t2]
        k = tn[u].index(t)
        d = tv[u][k]  # u is (d, c, b) counter-clockwise
        ub, uc = tn[u][(k + 2) % 3], tn[u][(k + 1) % 3]  # opposite b: edge d-c; opposite c: b-d
        t4 = t2 + 1
        tv[t] = [a, b, v]
        tn[t] = [t4, t2, nc]
        tv.append([c, a, v])  # t2
        tn.append([t, u, nb])
        tv[u] = [d, c, v]
        tn[u] = [t2, t4, ub]
        tv.append([b, d, v])  # t4
        tn.append([u, t, uc])
        if nb >= 0:
            self._relink(nb, t, t2)
        if uc >= 0:
            self._relink(uc, u, t4)
        vt[a] = vt[b] = vt[v] = t
        vt[c] = t2
        vt[d] = u
        return [t, t2, u, t4]

    def _relink(self, t: int, old: int, new: int) -> None:
        n = self.tn[t]
        n[n.index(old)] = new

    def _legalize(self, stack: list[int]) -> None:
        """Flip the edges opposite the new vertex (index 2 of every triangle on the stack)."""
        tv, tn, px, py, vt = self.tv, self.tn, self.px, self.py, self.vt
        while stack:
            t = stack.pop()
            a, b, v = tv[t]
            u = tn[t][2]
            if u < 0:
                continue
            k = tn[u].index(t)
            d = tv[u][k]  # u is (d, b, a)
            ax, ay, bx, by, vx, vy, dx, dy = px[a], py[a], px[b], py[b], px[v], py[v], px[d], py[d]
            if incircle(ax, ay, bx, by, vx, vy, dx, dy) <= 0:
                continue
            if orient(ax, ay, dx, dy, vx, vy) <= 0 or orient(dx, dy, bx, by, vx, vy) <= 0:
                continue  # not convex (only possible through rounding): keep the edge
            n_bv, n_va = tn[t][0], tn[t][1]
            u_ad, u_db = tn[u][(k + 1) % 3], tn[u][(k + 2) % 3]
            tv[t] = [a, d, v]
            tn[t] = [u, n_va, u_ad]
            tv[u] = [d, b, v]
            tn[u] = [n_bv, t, u_db]
            if n_bv >= 0:
                self._relink(n_bv, t, u)
            if u_ad >= 0:
                self._relink(u_ad, u, t)
            vt[a] = vt[d] = vt[v] = t
            vt[b] = u
            stack.append(t)
            stack.append(u)

    # -- checks -------------------------------------------------------------------------

    def check(self, rel_tol: float = 1e-12) -> None:
        """Assert that the triangulation is valid and Delaunay (up to rounding)."""
        tv, tn, px, py = self.tv, self.tn, self.px, self.py
        used = set()
        total = 0.0
        for t, (vs, ns) in enumerate(zip(tv, tn)):
            a, b, c = vs
            assert len({a, b, c}) == 3, f"triangle {t} repeats a vertex: {vs}"
            area = orient(px[a], py[a], px[b], py[b], px[c], py[c])
            assert area > 0, f"triangle {t} {vs} is not counter-clockwise (area {area})"
            total += 0.5 * area
            used.update(vs)
            for j in range(3):
                u = ns[j]
                if u < 0:
                    continue
                assert t in tn[u], f"triangles {t} and {u} disagree on adjacency"
                edge = {vs[(j + 1) % 3], vs[(j + 2) % 3]}
                d = tv[u][tn[u].index(t)]
                assert edge <= set(tv[u]) and d not in vs, f"edge {edge} not shared by {t}, {u}"
                self._check_empty_circle(t, j, d, rel_tol)
        for v, t in enumerate(self.vt):
            assert v in tv[t], f"vt[{v}] = {t} does not hold vertex {v}"
        assert used == set(range(len(px))), "a vertex belongs to no triangle"
        width, height = px[1] - px[0], py[2] - py[1]
        assert math.isclose(total, width * height, rel_tol=1e-9), "triangles do not cover the box"

    def _check_empty_circle(self, t: int, j: int, d: int, rel_tol: float) -> None:
        """Assert that vertex d (across the edge of t opposite its vertex j) is not inside the
        circumcircle of t, beyond rounding: the in-circle determinant (degree 4 in the
        coordinates) may exceed 0 by ``rel_tol`` times the fourth power of the distances
        involved, or the edge may be one whose flip would give a flat triangle in floating
        point (which the insertion refuses, as it must)."""
        vs = self.tv[t]
        v, a, b = vs[j], vs[(j + 1) % 3], vs[(j + 2) % 3]
        px, py = self.px, self.py
        dx, dy = px[d], py[d]
        value = incircle(px[a], py[a], px[b], py[b], px[v], py[v], dx, dy)
        size = sum((px[w] - dx) ** 2 + (py[w] - dy) ** 2 for w in (a, b, v))
        if value <= rel_tol * size * size:
            return
        flat = (
            orient(px[a], py[a], dx, dy, px[v], py[v]) <= 0
            or orient(dx, dy, px[b], py[b], px[v], py[v]) <= 0
        )
        assert flat, f"vertex {d} lies inside the circumcircle of triangle {t}: not Delaunay"

    # -- arrays -------------------------------------------------------------------------

    @classmethod
    def from_lists(
        cls,
        px: Sequence[float],
        py: Sequence[float],
        tv: Sequence[Sequence[int]],
        tn: Sequence[Sequence[int]],
    ) -> Triangulation:
        """Rebuild a triangulation from its vertex and triangle lists (checked by the caller)."""
        self = cls.__new__(cls)
        self.px, self.py = list(map(float, px)), list(map(float, py))
        self.tv = [list(map(int, vs)) for vs in tv]
        self.tn = [list(map(int, ns)) for ns in tn]
        self.vt = [0] * len(self.px)
        for t, vs in enumerate(self.tv):
            for v in vs:
                self.vt[v] = t
        self.last = 0
        return self
