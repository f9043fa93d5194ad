"""Load generation against the running API: bounded, loopback only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

JOB = b'{"text": "benchmarks measure ratios against baselines run on the same stack"}'


class LoadError(RuntimeError):
    """A request in a load run did not get the expected answer."""


def run_concurrently(call: Callable[[int], None], *, count: int, concurrency: int) -> list[float]:
    """Run ``call(i)`` ``count`` times on ``concurrency`` threads; return each latency (s).

    Interrupted (Ctrl-C, SIGTERM: :mod:`bench.interrupts`), the calls not yet started are
    cancelled and the ones in flight left to finish on their own, so the run can stop its
    stacks at once rather than after the whole load.
    """
    latencies: list[float] = [0.0] * count
    errors: list[str] = []

    def one(index: int) -> None:
        started = time.perf_counter()
        try:
            call(index)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        latencies[index] = time.perf_counter() - started

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-load")
    try:
        list(pool.map(one, range(count)))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if errors:
        raise LoadError(f"{len(errors)} of {count} calls failed (first: {errors[0]})")
    return latencies


class JobPoster:
    """POST /api/jobs (or ``path``) with one pooled session per thread; anything but
    ``expect`` is an error."""

    def __init__(
        self, api: str, token: str, *, path: str = "jobs", expect: int = 202, timeout: float = 60
    ) -> None:
        self.url = f"{api}/{path}"
        self.expect = expect
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def __call__(self, _: int) -> None:
        response = self._session().post(
            self.url, data=JOB, headers=self.headers, timeout=self.timeout
        )
        if response.status_code != self.expect:
            raise LoadError(f"POST {self.url} answered {response.status_code}")
