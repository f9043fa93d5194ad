"""The posture report: one JSON document and what is done with it.

``document`` builds it from a run, ``schema`` describes it, ``markdown`` and ``page``
(HTML) render a stored one again, ``store`` keeps it in Blob Storage.
"""
