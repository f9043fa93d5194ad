"""Blob paths and blob trigger patterns.

Source: Azure Blob storage trigger, "Blob name patterns" (learn.microsoft.com/azure/
azure-functions/functions-bindings-storage-blob-trigger): the first segment is the
container, ``{name}`` binds the rest (sub-folders included), extensions can be matched.
"""

from __future__ import annotations

import pytest

from devstack.host.bindings.blob import BlobPathError, BlobPattern, output_bytes, split_path


def test_split_path() -> None:
    assert split_path("c/a/b.txt") == ("c", "a/b.txt")
    for bad in ("c", "c/", "/x"):
        with pytest.raises(BlobPathError):
            split_path(bad)


def test_trigger_patterns() -> None:
    pattern = BlobPattern.parse("samples/{name}.{ext}")
    assert pattern.container == "samples"
    assert pattern.match("dir/file.tar.gz") == {"name": "dir/file.tar", "ext": "gz"}
    assert pattern.match("noext") is None
    assert BlobPattern.parse("samples/in/{name}").match("in/x") == {"name": "x"}
    assert BlobPattern.parse("samples/in/{name}").match("out/x") is None
    assert BlobPattern.parse("samples").match("any/thing") == {}
    with pytest.raises(BlobPathError):
        BlobPattern.parse("{container}/x")


def test_output_bytes() -> None:
    assert output_bytes("é") == "é".encode()
    assert output_bytes(b"b") == b"b"
    assert output_bytes({"a": 1}) == b'{"a": 1}'
    assert output_bytes(None) is None
