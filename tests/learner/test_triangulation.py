"""The incremental Delaunay triangulation behind LearnerND."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptive_nb.learner._nd_io import _check_delaunay
from adaptive_nb.learner.triangulation import (
    DegeneratePointError,
    Triangulation,
    circumsphere,
    orientation,
    simplex_volume,
)


def full_check(tri: Triangulation, volume: float) -> None:
    tri.check()
    _check_delaunay(tri)
    assert math.isclose(sum(tri.volumes()), volume, rel_tol=1e-9)


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_box_is_cut_into_dim_factorial_simplices(dim: int) -> None:
    tri = Triangulation.box([0.0] * dim, [1.0] * dim)
    assert len(tri.vertices) == 2**dim
    assert len(tri.simplices) == math.factorial(dim)
    full_check(tri, 1.0)
    assert tri.hull == set(range(2**dim))


@pytest.mark.parametrize("dim", [2, 3])
def test_random_points_keep_a_delaunay_triangulation(dim: int) -> None:
    rng = np.random.default_rng(dim)
    tri = Triangulation.box([-1.0] * dim, [2.0] * dim)
    for p in rng.uniform(-1, 2, size=(150, dim)):
        deleted, added = tri.add_point(p)
        assert deleted and added
        assert not deleted & tri.simplices and added <= tri.simplices
    full_check(tri, 3.0**dim)


@pytest.mark.parametrize("dim", [2, 3])
def test_grid_points_on_faces_and_cospherical(dim: int) -> None:
    """A regular grid: every point is cospherical with others, many lie on hull faces."""
    tri = Triangulation.box([0.0] * dim, [1.0] * dim)
    for p in itertools.product(*[np.linspace(0, 1, 5)] * dim):
        if p in tri.vertices:
            continue
        tri.add_point(p)
        tri.check()
    assert len(tri.vertices) == 5**dim
    full_check(tri, 1.0)


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 1 / 3]), st.floats(0, 1)),
        max_size=25,
        unique=True,
    )
)
def test_any_points_in_the_square(points: list[tuple[float, float]]) -> None:
    tri = Triangulation.box([0.0, 0.0], [1.0, 1.0])
    for p in points:
        if p in tri.vertices:
            continue
        try:
            tri.add_point(p)
        except DegeneratePointError:
            continue
    full_check(tri, 1.0)


def test_outside_duplicate_and_wrong_length_points_raise() -> None:
    tri = Triangulation.box([0.0, 0.0], [1.0, 1.0])
    before = (list(tri.vertices), set(tri.simplices))
    with pytest.raises(ValueError, match="outside the hull"):
        tri.add_point((2.0, 0.5))
    with pytest.raises(ValueError, match="already a vertex"):
        tri.add_point((1.0, 1.0))
    with pytest.raises(ValueError, match="has 3 coordinates"):
        tri.add_point((0.5, 0.5, 0.5))
    assert (list(tri.vertices), set(tri.simplices)) == before
    tri.add_point((0.5, 0.5))
    with pytest.raises(DegeneratePointError, match="too close to vertex"):
        tri.add_point((0.5, 0.5 + 1e-15))


def test_near_degenerate_points_never_leave_holes() -> None:
    tri = Triangulation.box([0.0, 0.0], [1.0, 1.0])
    for p in [(0.25, 1e-10), (0.0, 0.5), (0.25, 0.0), (0.25, 1e-10 / 3)]:
        try:
            tri.add_point(p)
        except DegeneratePointError:
            continue
    tri.check()
    assert math.isclose(sum(tri.volumes()), 1.0, rel_tol=1e-12)


def test_constructor_from_points() -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(size=(40, 3))
    tri = Triangulation(points)
    assert len(tri.vertices) == 40
    from scipy.spatial import ConvexHull

    full_check(tri, ConvexHull(points).volume)
    with pytest.raises(ValueError, match="at least 3 points"):
        Triangulation([(0, 0), (1, 1)])
    with pytest.raises(ValueError, match="hyperplane"):
        Triangulation([(0, 0), (1, 1), (2, 2), (3, 3)])
    with pytest.raises(ValueError, match="finite"):
        Triangulation([(0, 0), (1, 0), (0, math.nan)])


def test_queries() -> None:
    tri = Triangulation([(0, 0), (1, 0), (0, 1)])
    assert tri.simplices == {(0, 1, 2)}
    assert tri.locate_point((0.2, 0.2)) == (0, 1, 2)
    assert tri.locate_point((2, 2)) == ()
    tri.add_point((0.5, 0.5))  # on the hull edge: it is split
    assert len(tri.simplices) == 2
    assert tri.get_opposing_vertices((0, 1, 3)) in {
        (None, 2, None),
        (2, None, None),
        (None, None, 2),
    }
    assert (0, 1, 3) in tri.containing([0, 3]) and (0, 2, 3) in tri.containing([0, 3])
    center, radius = tri.circumsphere((0, 1, 3))
    assert np.allclose(center, (0.5, 0.0)) and radius == pytest.approx(0.5)
    assert tri.point_in_simplex((0.3, 0.1), (0, 1, 3))
    assert not tri.point_in_circumsphere((0.5, 0.5), (0, 1, 3))
    assert tri.get_vertex((0.5, 0.5)) == 3 and tri.get_vertex((9, 9)) is None
    assert tri.get_vertices([0, None]) == [(0.0, 0.0), None]
    assert sorted(tri.hull_faces()) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    assert tri.get_face_sharing_neighbors(tri.simplices, (0, 1, 3)) == {(0, 2, 3)}


def test_module_helpers() -> None:
    assert simplex_volume([(0, 0), (2, 0), (0, 2)]) == pytest.approx(2.0)
    assert orientation([(0, 0), (1, 0), (0, 1)]) == 1
    assert orientation([(0, 0), (0, 1), (1, 0)]) == -1
    assert orientation([(0, 0), (1, 1), (2, 2)]) == 0
    center, radius = circumsphere([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)])
    assert np.allclose(center, (0.5, 0.5, 0.5)) and radius == pytest.approx(math.sqrt(0.75))


def test_anisotropic_transform_keeps_a_valid_mesh() -> None:
    rng = np.random.default_rng(3)
    tri = Triangulation.box([0.0, 0.0], [1.0, 1.0])
    stretch = np.array([[5.0, 0.0], [0.0, 1.0]])
    for p in rng.random((80, 2)):
        tri.add_point(p, transform=stretch)
    tri.check()
    assert math.isclose(sum(tri.volumes()), 1.0, rel_tol=1e-9)


coordinate = st.sampled_from([0.0, 0.5, 1.0, 1 / 3]) | st.floats(0, 1)


@settings(max_examples=30, deadline=None, database=None)
@given(
    st.lists(st.tuples(*[st.integers(0, 16).map(lambda k: k / 16)] * 3), max_size=20, unique=True)
)
def test_grid_points_in_the_cube_keep_delaunay(points: list[tuple[float, float, float]]) -> None:
    tri = Triangulation.box([0.0] * 3, [1.0] * 3)
    for p in points:
        if p not in tri.vertices:
            tri.add_point(p)
    full_check(tri, 1.0)


@settings(max_examples=30, deadline=None, database=None)
@given(st.lists(st.tuples(coordinate, coordinate, coordinate), max_size=15, unique=True))
def test_any_points_in_the_cube(points: list[tuple[float, float, float]]) -> None:
    tri = Triangulation.box([0.0] * 3, [1.0] * 3)
    for p in points:
        if p in tri.vertices:
            continue
        try:
            tri.add_point(p)
        except DegeneratePointError:
            continue
    # near-degenerate input (1e-15 off a face): a valid mesh; Delaunay only up to rounding
    tri.check()
    assert math.isclose(sum(tri.volumes()), 1.0, rel_tol=1e-12)
