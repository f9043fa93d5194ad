"""Jobs as the pipeline keeps them: the record (``model``), its store in Blob Storage
(``store``) and the queue message that names it (``messages``).

``model`` and ``messages`` are plain data, importable without the Storage SDK, so the
HTTP functions can be indexed without loading it; only ``store`` imports the SDK.
"""
