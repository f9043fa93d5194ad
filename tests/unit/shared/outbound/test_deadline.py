"""A partner call ends by its deadline, however slowly the partner answers.

urllib3's ``Timeout`` documentation (urllib3/util/timeout.py, installed in .venv): the read
timeout measures "the time between read operations", so "if a server streams one byte every
fifteen seconds, a timeout of 20 seconds will not trigger". Here partners trickle the
status line, the headers or the body one byte at a time, well inside the read timeout,
for far longer than the deadline: the call fails as unavailable, and the partner sees the
connection cut (it could not finish), which is what proves the client stopped reading. No
assertion is on elapsed time.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from shared.outbound import OutboundClient, PartnerUnavailableError
from shared.outbound._deadline import Deadline, _Watchdog, arm
from shared.redaction import Secret
from tests.support.scripted_partner import Keys, Partner, Reply
from tests.support.waiting import eventually

TRICKLE_SECONDS = 60.0  # how long a partner below would take to finish
DEADLINE = 1.0


class Trickler:
    """A raw socket server that sends ``head`` at once, then ``slow`` a byte at a time."""

    def __init__(self, head: bytes, slow: bytes) -> None:
        self.finished = threading.Event()
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        interval = TRICKLE_SECONDS / max(1, len(slow))

        def serve() -> None:
            conn, _ = self.listener.accept()
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(head)
                    for byte in slow:
                        conn.sendall(bytes([byte]))
                        time.sleep(interval)
                    self.finished.set()
                except OSError:
                    self.cut.set()

        threading.Thread(target=serve, daemon=True).start()


BODY = b'{"analysis_id": "x"}' + b" " * 220
CASES = {
    "the status line": (b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" + b" " * 200),
    "the headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 240 + b"\r\n\r\n"),
    "the body": (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY), BODY),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_trickling_partner_is_cut_off_at_the_deadline(case: str) -> None:
    head, slow = CASES[case]
    partner = Trickler(head, slow)
    with (
        OutboundClient(
            partner.url, key_provider=Keys(), deadline=DEADLINE, read_timeout=5, total_retries=0
        ) as client,
        pytest.raises(PartnerUnavailableError, match=f"took over {DEADLINE:g} s"),
    ):
        client.post_json("/analyze", json={})
    eventually(partner.cut.is_set, timeout=30)  # the partner's next byte found no reader
    assert not partner.finished.is_set()
    partner.listener.close()


def test_no_retry_starts_that_would_end_past_the_deadline(partner: Partner) -> None:
    partner.then(Reply(503, headers={"Retry-After": "3"}))
    with (
        OutboundClient(partner.url, key_provider=Keys(), deadline=2, max_retry_after=10) as client,
        pytest.raises(PartnerUnavailableError) as raised,
    ):
        client.request("GET", "/x")
    assert len(partner.hits) == 1
    assert raised.value.retry_after == 3  # the partner's hint is passed on instead


def test_a_retry_that_fits_in_the_deadline_is_made(partner: Partner) -> None:
    partner.then(Reply(503, headers={"Retry-After": "0"}))
    with OutboundClient(partner.url, key_provider=Keys(), deadline=10) as client:
        assert client.request("GET", "/x").json() == {"ok": True}
    assert len(partner.hits) == 2


@pytest.mark.slow
def test_the_key_providers_time_counts_against_the_deadline(partner: Partner) -> None:
    key = Secret(Keys().current)

    def slow_vault(**_: object) -> Secret:
        time.sleep(DEADLINE * 1.5)
        return key

    with (
        OutboundClient(partner.url, key_provider=slow_vault, deadline=DEADLINE) as client,
        pytest.raises(PartnerUnavailableError, match="took over"),
    ):
        client.request("GET", "/x")
    assert partner.hits == []


def test_a_deadline_cuts_sockets_watched_before_and_after_it_passes() -> None:
    left, right = socket.socketpair()
    late_left, late_right = socket.socketpair()
    deadline = Deadline(0.05)
    deadline.watch(left)
    arm(deadline)
    eventually(lambda: deadline.expired, timeout=10)
    assert left.recv(1) == b""  # shut down: reads see the end at once
    deadline.watch(late_left)
    assert late_left.recv(1) == b""
    for sock in (left, right, late_left, late_right):
        sock.close()


def test_a_finished_call_is_never_cut() -> None:
    left, right = socket.socketpair()
    deadline = Deadline(0.05)
    deadline.watch(left)
    deadline.finish()
    arm(deadline)
    time.sleep(0.2)
    right.sendall(b"x")
    assert left.recv(1) == b"x"  # still open: the connection may be back in the pool
    left.close()
    right.close()


def test_a_deadline_armed_after_a_later_one_still_expires_first() -> None:
    """The watchdog sleeps until the earliest deadline and is woken only by an earlier one:
    the short deadline below, armed while it sleeps towards a long one, must cut in time."""
    watchdog = _Watchdog()
    long, short = Deadline(600.0), Deadline(0.05)
    watchdog.arm(long)
    time.sleep(0.1)  # the thread is asleep until the long deadline
    watchdog.arm(short)
    eventually(lambda: short.expired, timeout=10)
    assert not long.expired


def test_a_later_deadline_does_not_wake_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    watchdog = _Watchdog()
    woken: list[None] = []
    notify = watchdog._wake.notify

    def counted(n: int = 1) -> None:
        woken.append(None)
        notify(n)

    monkeypatch.setattr(watchdog._wake, "notify", counted)
    watchdog.arm(Deadline(600.0))
    watchdog.arm(Deadline(900.0))
    watchdog.arm(Deadline(300.0))
    assert len(woken) == 2  # the first (the earliest then) and the last (earlier still)
