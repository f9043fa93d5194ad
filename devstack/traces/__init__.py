"""The app's traces on the local stack: received over OTLP, kept, shown.

The control plane receives OTLP/HTTP (protobuf, ``otlp``), the spans are kept one JSON
object a line under the state directory (``store``), and a job's trace is drawn as a
waterfall in the terminal (``waterfall``, ``python -m devstack trace JOB_ID``) or as a page
(``page``, ``/devstack/traces/<job id>`` on the control plane).
"""
