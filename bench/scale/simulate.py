"""N app instances on a virtual clock, each with the real ``SecretProvider``.

Pure Python and deterministic (one seeded generator): no thread, no socket, no sleep. Each
simulated HTTP instance holds a :class:`shared.vault.SecretProvider` over a fake
``SecretClient`` that counts reads of the one shared vault; a request reads the partner key
through it, calls the partner (which accepts only the vault's current value, the strictest
partner), and on a refusal refetches with ``force_fetch=True, rejected=<the key it sent>``
as ``shared.outbound`` does. Requests arrive as one Poisson stream of ``jobs_per_s`` spread
over the running instances; each instance serves a request on the moment it starts (the
request that made the platform add it). Tokens are counted per instance and audience
(``costs.TOKEN_AUDIENCES``: one each on first use, shared by every client of the process);
storage transactions per job come from ``costs`` (counted on the devstack), and worker
instances, when simulated, poll the jobs queue as the host does: a batch per Get Messages
call, and a randomised exponential back-off up to ``maxPollingInterval`` when it is empty.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from bench.scale import costs
from shared.vault import SecretProvider

SECRET_NAME = "partner-api-key"  # noqa: S105 - the secret's name
BUCKET_S = 10
#: A worker that found messages asks again once it has handled them (about 50 ms a batch).
BATCH_SECONDS = 0.05
MIN_POLL_S = 0.1


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class _Fetched:
    value: str


class SimulatedVault:
    """The one vault every instance reads: its current value and the time of every read."""

    vault_url = "https://simulated.vault.azure.net/"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.version = 1
        self.reads: list[float] = []

    @property
    def value(self) -> str:
        return f"partner-key-version-{self.version}"

    def get_secret(self, name: str, version: str | None = None, **_: Any) -> _Fetched:
        self.reads.append(self._clock())
        return _Fetched(self.value)

    def rotate(self) -> None:
        self.version += 1


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to simulate. Times are seconds on the virtual clock."""

    instances: int
    jobs_per_s: float
    ttl_s: float = 300.0
    ttl_jitter: float = 0.0
    start_window_s: float = 10.0
    horizon_s: float = 60.0
    rotations_at: tuple[float, ...] = ()
    worker_instances: int = 0  # 0: do not simulate the queue workers
    seed: int = 1


@dataclass
class Outcome:
    """Counts per second of virtual time (``vault``, ``tokens``, ``partner``, ``blob``,
    ``queue``), the partner's refusals and the jobs served."""

    per_second: dict[str, Counter[int]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    jobs: int = 0  # submitted
    processed: int = 0  # taken off the queue by a worker

    def count(self, what: str, at: float, n: int = 1) -> None:
        if n:
            seconds = self.per_second.get(what)
            if seconds is None:  # not setdefault: it would build a Counter on every call
                seconds = self.per_second[what] = Counter()
            seconds[int(at)] += n
            self.totals[what] += n

    def peak_per_s(self, what: str) -> int:
        return max(self.per_second.get(what, Counter()).values(), default=0)

    def busiest_10s(self, what: str, *, since: float = 0.0, until: float = math.inf) -> int:
        """The busiest sliding 10-s window between ``since`` and ``until`` (a limit holds on
        any window, not on fixed buckets)."""
        seconds = self.per_second.get(what, Counter())
        first, last = int(since), int(min(until, max(seconds, default=0)))
        best = 0
        for start in range(first, max(first, last - int(BUCKET_S) + 1) + 1):
            window = sum(seconds.get(s, 0) for s in range(start, start + int(BUCKET_S)))
            best = max(best, window)
        return best

    def between(self, what: str, since: float, until: float) -> int:
        """The count in [since, until)."""
        seconds = self.per_second.get(what, Counter())
        return sum(n for s, n in seconds.items() if since <= s < until)


class _Instance:
    def __init__(
        self, vault: SimulatedVault, clock: VirtualClock, scenario: Scenario, rng: random.Random
    ) -> None:
        self.provider = SecretProvider(
            vault,  # type: ignore[arg-type]
            ttl=scenario.ttl_s,
            clock=clock,
            ttl_jitter=scenario.ttl_jitter,
            jitter_source=rng.random,
        )
        self.warm = False  # has asked the identity endpoint for its tokens


def simulate(scenario: Scenario) -> Outcome:
    """Run ``scenario``; every vault read is one the real ``SecretProvider`` chose to make."""
    rng = random.Random(scenario.seed)
    clock = VirtualClock()
    vault = SimulatedVault(clock)
    outcome = Outcome()
    running: list[_Instance] = []
    backlog: deque[float] = deque()

    events: list[tuple[float, int, str, int]] = []
    order = 0

    def at(when: float, kind: str, who: int = 0) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (when, order, kind, who))

    for index in range(scenario.instances):
        at(rng.uniform(0, scenario.start_window_s) if index else 0.0, "start", index)
    for when in scenario.rotations_at:
        at(when, "rotate")
    for worker in range(scenario.worker_instances):
        at(rng.uniform(0, MIN_POLL_S), "poll", worker)
    delays = [MIN_POLL_S] * scenario.worker_instances
    next_request = rng.expovariate(scenario.jobs_per_s) if scenario.jobs_per_s > 0 else math.inf

    submit = [(target.split(":")[0], n) for target, n in costs.SUBMIT_PER_JOB.items()]
    work = [(target.split(":")[0], n) for target, n in costs.WORKER_PER_JOB.items()]

    def serve(instance: _Instance) -> None:
        now = clock.now
        reads = len(vault.reads)
        if not instance.warm:  # one token per audience, then the credential's cache
            instance.warm = True
            outcome.count("tokens", now, costs.TOKEN_AUDIENCES)
        key = instance.provider.get(SECRET_NAME)
        calls = 1
        if key.reveal() != vault.value:  # the partner refuses a rotated-out key
            outcome.refused += 1
            instance.provider.get(SECRET_NAME, force_fetch=True, rejected=key)
            calls = 2
        outcome.count("partner", now, calls)
        outcome.count("vault", now, len(vault.reads) - reads)
        for service, n in submit:
            outcome.count(service, now, n)
        outcome.jobs += 1
        if scenario.worker_instances:
            backlog.append(now)

    def poll(worker: int) -> None:
        outcome.count("queue", clock.now)  # Get Messages
        taken = 0
        while backlog and taken < costs.BATCH_SIZE:
            backlog.popleft()
            taken += 1
        if taken:
            outcome.processed += taken
            for service, n in work:
                outcome.count(service, clock.now, n * taken)
            delays[worker] = MIN_POLL_S
            at(clock.now + BATCH_SECONDS, "poll", worker)
            return
        delays[worker] = min(costs.MAX_POLLING_INTERVAL_S, delays[worker] * 2)
        at(clock.now + rng.uniform(delays[worker] / 2, delays[worker]), "poll", worker)

    while True:
        upcoming = events[0][0] if events else math.inf
        if min(upcoming, next_request) > scenario.horizon_s:
            break
        if next_request <= upcoming:
            clock.now = next_request
            next_request += rng.expovariate(scenario.jobs_per_s)
            if running:
                serve(running[rng.randrange(len(running))])
            continue
        clock.now, _, kind, who = heapq.heappop(events)
        if kind == "start":
            running.append(_Instance(vault, clock, scenario, rng))
            serve(running[-1])
        elif kind == "rotate":
            vault.rotate()
        elif kind == "poll":
            poll(who)
    return outcome
