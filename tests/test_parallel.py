"""core.parallel.side_by_side: results in order, on threads only when there is more than one job and worker."""

from __future__ import annotations

import threading

import pytest

from core.parallel import side_by_side


def _thread_of(_: int) -> str:
    return threading.current_thread().name


def test_results_come_in_order_from_the_named_threads() -> None:
    with side_by_side(5, 2, "work") as run:
        assert list(run(lambda n: n * n, range(5))) == [0, 1, 4, 9, 16]
        assert all(name.startswith("work") for name in run(_thread_of, range(5)))


@pytest.mark.parametrize(("jobs", "workers"), [(1, 4), (5, 1), (0, 2)])
def test_one_job_or_one_worker_runs_in_the_callers_thread(jobs: int, workers: int) -> None:
    with side_by_side(jobs, workers, "work") as run:
        assert run is map
        assert set(run(_thread_of, range(jobs))) <= {threading.current_thread().name}


def test_an_error_is_raised_where_its_result_is_taken() -> None:
    def fail_on_two(n: int) -> int:
        if n == 2:
            raise ValueError(n)
        return n

    with side_by_side(4, 2, "work") as run:
        results = run(fail_on_two, range(4))
        assert [next(results), next(results)] == [0, 1]
        with pytest.raises(ValueError):
            next(results)
