"""adaptive_nb.utils: the helpers python-adaptive documents in ``adaptive.utils``."""

from __future__ import annotations

import asyncio
import gzip
import math
from pathlib import Path

import pytest

import adaptive_nb as adaptive
from adaptive_nb import utils
from adaptive_nb.runner import simple


def test_named_product():
    assert utils.named_product(a=[1, 2], b=["x"]) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


def test_restore_puts_every_learner_back_also_after_an_error():
    one = adaptive.Learner1D(math.sin, (0, 3))
    two = adaptive.Learner2D(lambda xy: xy[0] * xy[1], [(-1, 1), (-1, 1)])
    simple(one, npoints_goal=10)
    simple(two, npoints_goal=10)
    before = (dict(one.data), dict(two.data), one.ask(3, tell_pending=False))
    with pytest.raises(RuntimeError, match="inside"), utils.restore(one, two):
        simple(one, npoints_goal=30)
        two.ask(5)  # pending points
        assert one.npoints == 30
        raise RuntimeError("inside")
    assert (dict(one.data), dict(two.data), one.ask(3, tell_pending=False)) == before
    assert not two.pending_points
    one._check()


def test_copy_docstring_from():
    def documented():
        """The text."""

    @utils.copy_docstring_from(documented)
    def other():
        pass

    assert other.__doc__ == "The text."


@pytest.mark.parametrize("compress", [True, False])
def test_save_and_load_round_trip(tmp_path: Path, compress: bool):
    data = {"x": [1, 2.5], "f": lambda v: v + 1}  # cloudpickle: lambdas too
    fname = tmp_path / "sub" / "data.pickle"
    assert utils.save(fname, data, compress=compress) is True
    assert (fname.read_bytes()[:2] == b"\x1f\x8b") is compress  # gzip magic
    loaded = utils.load(fname, compress=compress)
    assert loaded["x"] == [1, 2.5] and loaded["f"](1) == 2
    assert [p.name for p in fname.parent.iterdir()] == ["data.pickle"]  # no temp files


def test_save_returns_false_when_it_cannot_write(tmp_path: Path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert utils.save(folder, [1]) is False  # a folder, not a file
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert utils.save(blocked / "below-a-file.pickle", [1]) is False
    assert blocked.read_text() == "x"


def test_load_of_a_file_that_is_not_gzip(tmp_path: Path):
    fname = tmp_path / "plain"
    fname.write_bytes(b"not gzip")
    with pytest.raises(gzip.BadGzipFile):
        utils.load(fname)


def slow_square(x):
    return x * x


def test_daskify_runs_on_an_asynchronous_client_with_an_async_runner():
    import distributed  # the dask extra is part of the test set-up

    async def main():
        async with (
            distributed.LocalCluster(
                n_workers=1,
                threads_per_worker=2,
                processes=False,
                asynchronous=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster, asynchronous=True) as client,
        ):
            f = utils.daskify(client, cache=True)(slow_square)
            assert await f(3) == 9
            assert list(f.__wrapped__.cache) == ["(3,)-{}"]  # memoized by the arguments
            first = f.__wrapped__.cache["(3,)-{}"]
            assert await f(3) == 9 and f.__wrapped__.cache["(3,)-{}"] is first
            learner = adaptive.Learner1D(f, (-1, 1))
            runner = adaptive.Runner(learner, npoints_goal=20)
            await runner.task
            return learner

    learner = asyncio.run(main())
    assert learner.npoints >= 20
    assert all(y == x * x for x, y in learner.data.items())
