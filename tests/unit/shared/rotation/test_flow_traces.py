"""shared.rotation._flow, traced: each rotation is a trace of its own, its steps spans in it.

The rotation runs in whatever invocation started it (a queue message, the daily timer); its
trace starts afresh and links back to that invocation, so a rotation reads as one story.
"""

from __future__ import annotations

from datetime import timedelta

from shared import tracing
from shared.rotation import Trigger
from tests.support.rotation_world import event, world
from tests.support.spans import recording


def test_a_rotation_is_a_trace_of_its_own_linked_to_what_started_it() -> None:
    w = world()
    with recording() as recorded:
        with tracing.span("process key-events", kind="consumer"):
            assert w.rotator.rotate(event("v0")).rotated
        rotation, invocation = recorded.named("rotation"), recorded.named("process key-events")
        assert rotation.parent is None
        assert rotation.context.trace_id != invocation.context.trace_id
        assert [link.context for link in rotation.links] == [invocation.context]
        assert dict(rotation.attributes or {}) == {
            "app.rotation.trigger": "event",
            "app.rotation.rotated": True,
        }
        steps = [s for s in recorded.spans() if s.context.trace_id == rotation.context.trace_id]
        names = {s.name for s in steps}
        assert {"rotation read current version", "rotation store new version"} <= names
        assert "rotation revoke old key" in names
        assert all(s.parent is not None for s in steps if s is not rotation)


def test_a_check_that_finds_nothing_due_says_so() -> None:
    w = world(expires_in=timedelta(days=60))
    with recording() as recorded:
        w.rotator.rotate(Trigger("timer"))
        assert (recorded.named("rotation").attributes or {})["app.rotation.rotated"] is False
