"""The app's traces on the local stack: received over OTLP, kept, shown.

The control plane receives OTLP/HTTP (protobuf, ``otlp``), the export requests are kept as
they came under the state directory and their spans decoded when read (``store``), and a
job's trace is drawn as a waterfall in the terminal (``waterfall``, ``python -m devstack
trace JOB_ID``) or as a page (``page``, ``/devstack/traces/<job id>`` on the control plane).
"""

from devstack.traces.store import store_at

__all__ = ["OTLP_SETTING", "spans_to", "store_at"]

OTLP_SETTING = "OTEL_EXPORTER_OTLP_ENDPOINT"


def spans_to(settings: dict[str, str], control: str) -> dict[str, str]:
    """The app setting that sends the app's spans to the control plane at ``control``,
    unless the settings name an OTLP endpoint of their own (a collector of yours)."""
    if settings.get(OTLP_SETTING):
        return {}
    return {OTLP_SETTING: f"{control}/otlp"}
