"""Learner2D's built-in losses, computed one triangle at a time (pure Python, for speed on the
few triangles that change per point).

The formulas are those of :mod:`adaptive_nb.learner.losses_2d`, except that values are divided
by ``_zscale`` (the value range rounded down to a power of two, so that a loss depends only on
the data, never on the order it arrived in) instead of the exact range. A triangle with a vertex
whose value is unknown or not finite gets the loss ``sqrt(area)``: it is refined by size only.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

from . import losses_2d

__all__ = ["LocalKernels", "choose_point", "local_kind", "spread", "tri_centre"]


def spread(xy: tuple[float, float]) -> float:
    """A pseudo-random number in [0, 1) from a point (the classic shader hash): ties between
    equal triangles are broken by it, which spreads their refinement over the domain."""
    h = math.sin(xy[0] * 12.9898 + xy[1] * 78.233) * 43758.5453
    return h - math.floor(h)


def choose_point(corners: Any, max_badness: float) -> tuple[float, float, int]:
    """Pure-Python :func:`~adaptive_nb.learner.losses_2d.choose_point_in_triangle` (the same
    rule, without numpy's per-call overhead). Returns ``(x, y, j)``: j is the index of the
    corner opposite the side whose middle was taken, -1 for the centre."""
    (ax, ay), (bx, by), (cx, cy) = corners
    sides = (
        ((bx - ax) ** 2 + (by - ay) ** 2, ax, ay, bx, by, 2),
        ((cx - bx) ** 2 + (cy - by) ** 2, bx, by, cx, cy, 0),
        ((ax - cx) ** 2 + (ay - cy) ** 2, cx, cy, ax, ay, 1),
    )
    longest = max(sides, key=lambda s: s[0])
    area = 0.5 * abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
    if area == 0 or math.sqrt(3) * longest[0] / (4 * area) > max_badness:
        _, px, py, qx, qy, j = longest
        return (px + qx) / 2, (py + qy) / 2, j
    return (ax + bx + cx) / 3, (ay + by + cy) / 3, -1


def tri_centre(tri: Any, t: int) -> tuple[float, float]:
    a, b, c = tri.tv[t]
    px, py = tri.px, tri.py
    return (px[a] + px[b] + px[c], py[a] + py[b] + py[c])


def local_kind(loss: Callable) -> tuple | None:
    """``(kind, params)`` when Learner2D can compute ``loss`` locally, else None."""
    if loss is losses_2d.default_loss:
        return ("default",)
    if loss is losses_2d.uniform_loss:
        return ("uniform",)
    if loss is losses_2d.minimize_triangle_surface_loss:
        return ("surface",)
    spec = getattr(loss, "_local_kernel", None)
    if isinstance(spec, tuple) and spec and spec[0] in ("resolution", "threshold"):
        return spec
    return None


class LocalKernels:
    """Mixin of Learner2D: vertex gradients and triangle losses from its lists.

    Uses ``self._tri`` (the triangulation), ``self._zs`` (vertex values: a float, a tuple for
    vector output, or None), ``self._g`` (vertex gradients), ``self._inv`` (1 / value scale),
    ``self._vdim`` and ``self._kind``.
    """

    _tri: Any
    _loss: list
    _ver: list
    _heap: list
    _zs: list
    _g: list
    _inv: float
    _vdim: int
    _kind: tuple

    def _needs_gradients(self) -> bool:
        return self._kind[0] in ("default", "resolution", "threshold")

    def _gradient(self, v: int, ring: list[int]) -> Any:
        """Least-squares gradient at v of the scaled values of its neighbours."""
        zs = self._zs
        z0 = zs[v]
        if z0 is None:
            return None
        px, py = self._tri.px, self._tri.py
        x0, y0 = px[v], py[v]
        inv = self._inv
        sxx = sxy = syy = 0.0
        scalar = self._vdim == 1
        if scalar:
            sxz = syz = 0.0
        else:
            sxzs = [0.0] * self._vdim
            syzs = [0.0] * self._vdim
        for w in sorted(ring):
            zw = zs[w]
            if zw is None:
                continue
            dx, dy = px[w] - x0, py[w] - y0
            d2 = dx * dx + dy * dy
            if not d2 > 0:  # closer than about 1e-154: underflows
                continue
            weight = 1.0 / d2
            wdx, wdy = weight * dx, weight * dy
            sxx += wdx * dx
            sxy += wdx * dy
            syy += wdy * dy
            if scalar:
                dz = (zw - z0) * inv
                sxz += wdx * dz
                syz += wdy * dz
            else:
                for k in range(self._vdim):
                    dz = (zw[k] - z0[k]) * inv
                    sxzs[k] += wdx * dz
                    syzs[k] += wdy * dz
        det = sxx * syy - sxy * sxy
        if not det > 1e-12 * (sxx + syy) ** 2:
            return (0.0, 0.0) if scalar else tuple((0.0, 0.0) for _ in range(self._vdim))
        if scalar:
            return ((syy * sxz - sxy * syz) / det, (sxx * syz - sxy * sxz) / det)
        return tuple(
            ((syy * a - sxy * b) / det, (sxx * b - sxy * a) / det) for a, b in zip(sxzs, syzs)
        )

    def _push_default_losses(self, tris: Any) -> None:
        """Recompute and push the losses of ``tris``: :func:`default_loss`, scalar output, bounds
        done (the hot path of ``tell``, inlined; the same arithmetic as ``_triangle_loss``)."""
        tri = self._tri
        tv, px, py = tri.tv, tri.px, tri.py
        zs, g, inv = self._zs, self._g, self._inv
        losses, vers, heap = self._loss, self._ver, self._heap
        sqrt, push, sin, floor = math.sqrt, heapq.heappush, math.sin, math.floor
        for t in tris:
            a, b, c = tv[t]
            ax, ay, bx, by, cx, cy = px[a], py[a], px[b], py[b], px[c], py[c]
            abx, aby, acx, acy = bx - ax, by - ay, cx - ax, cy - ay
            area = 0.5 * (abx * acy - aby * acx)
            za, zb, zc = zs[a], zs[b], zs[c]
            if za is None or zb is None or zc is None:
                loss = sqrt(area)
            else:
                bcx, bcy = cx - bx, cy - by
                dab, dac = (zb - za) * inv, (zc - za) * inv
                dbc = dac - dab
                gx, gy = g[a]
                e1, e2 = abs(gx * abx + gy * aby - dab), abs(gx * acx + gy * acy - dac)
                dev = e1 if e1 > e2 else e2
                gx, gy = g[b]
                e1, e2 = abs(gx * abx + gy * aby - dab), abs(gx * bcx + gy * bcy - dbc)
                dev += e1 if e1 > e2 else e2
                gx, gy = g[c]
                e1, e2 = abs(gx * acx + gy * acy - dac), abs(gx * bcx + gy * bcy - dbc)
                dev += e1 if e1 > e2 else e2
                loss = dev * sqrt(area) + 0.3 * area
            losses[t] = loss
            version = vers[t] + 1
            vers[t] = version
            h = sin((ax + bx + cx) * 12.9898 + (ay + by + cy) * 78.233) * 43758.5453
            push(heap, (-loss, -area, h - floor(h), t, version))

    def _triangle_loss(self, t: int, bounds_done: bool) -> tuple[float, float]:
        """``(loss, area)`` of triangle t with the built-in loss ``self._kind``."""
        tri = self._tri
        a, b, c = tri.tv[t]
        px, py = tri.px, tri.py
        ax, ay, bx, by, cx, cy = px[a], py[a], px[b], py[b], px[c], py[c]
        abx, aby, acx, acy = bx - ax, by - ay, cx - ax, cy - ay
        area = 0.5 * (abx * acy - aby * acx)
        zs = self._zs
        za, zb, zc = zs[a], zs[b], zs[c]
        kind = self._kind
        name = kind[0]
        if not bounds_done or za is None or zb is None or zc is None or name == "uniform":
            loss = math.sqrt(area)
        elif name == "surface":
            loss = self._surface(area, ax, ay, bx, by, cx, cy, za, zb, zc)
        else:
            if self._vdim == 1:  # the common case, inlined
                g, inv = self._g, self._inv
                bcx, bcy = cx - bx, cy - by
                dab, dac = (zb - za) * inv, (zc - za) * inv
                dbc = dac - dab
                gx, gy = g[a]
                e1, e2 = abs(gx * abx + gy * aby - dab), abs(gx * acx + gy * acy - dac)
                dev = e1 if e1 > e2 else e2
                gx, gy = g[b]
                e1, e2 = abs(gx * abx + gy * aby - dab), abs(gx * bcx + gy * bcy - dbc)
                dev += e1 if e1 > e2 else e2
                gx, gy = g[c]
                e1, e2 = abs(gx * acx + gy * acy - dac), abs(gx * bcx + gy * bcy - dbc)
                dev += e1 if e1 > e2 else e2
            else:
                dev = self._deviation(a, b, c, ax, ay, bx, by, cx, cy, za, zb, zc)
            loss = dev * math.sqrt(area) + 0.3 * area
            if name == "threshold":
                lower, upper, factor = kind[1], kind[2], kind[3]
                vals = (za, zb, zc) if self._vdim == 1 else (*za, *zb, *zc)
                if all(z < lower for z in vals) or all(z > upper for z in vals):
                    loss *= factor
        if name == "resolution" and bounds_done:
            if area < kind[1] * kind[1]:
                loss = 0.0
            elif area > kind[2] * kind[2]:
                loss = math.inf
        return loss, area

    def _deviation(self, a, b, c, ax, ay, bx, by, cx, cy, za, zb, zc) -> float:
        g = self._g
        inv = self._inv
        abx, aby, acx, acy, bcx, bcy = bx - ax, by - ay, cx - ax, cy - ay, cx - bx, cy - by
        if self._vdim == 1:
            comps = (((zb - za) * inv, (zc - za) * inv, (zc - zb) * inv, g[a], g[b], g[c]),)
        else:
            comps = tuple(
                ((zb[k] - za[k]) * inv, (zc[k] - za[k]) * inv, (zc[k] - zb[k]) * inv, ga, gb, gc)
                for k, (ga, gb, gc) in enumerate(zip(g[a], g[b], g[c]))
            )
        dev = 0.0
        for dab, dac, dbc, ga, gb, gc in comps:
            gx, gy = ga
            dev += max(abs(gx * abx + gy * aby - dab), abs(gx * acx + gy * acy - dac))
            gx, gy = gb
            dev += max(abs(gx * abx + gy * aby - dab), abs(gx * bcx + gy * bcy - dbc))
            gx, gy = gc
            dev += max(abs(gx * acx + gy * acy - dac), abs(gx * bcx + gy * bcy - dbc))
        return dev

    def _surface(self, area, ax, ay, bx, by, cx, cy, za, zb, zc) -> float:
        inv = self._inv
        ux, uy, vx, vy = ax - cx, ay - cy, bx - cx, by - cy
        uu, vv, uv = ux * ux + uy * uy, vx * vx + vy * vy, ux * vx + uy * vy
        pairs = ((za, zb, zc),) if self._vdim == 1 else tuple(zip(za, zb, zc))
        for p, q, r in pairs:
            uz, vz = (p - r) * inv, (q - r) * inv
            uu += uz * uz
            vv += vz * vz
            uv += uz * vz
        return 0.5 * math.sqrt(max(uu * vv - uv * uv, 0.0))
