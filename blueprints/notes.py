"""Notes: an example of the bindings every Functions tutorial uses, end to end.

``POST /api/notes`` with ``{"text": "..."}`` puts the note on the ``notes`` queue
(queue output) and answers ``202`` with its id; a queue trigger stores the text as
``notes/<id>.txt`` (blob output on ``$return``); a blob trigger indexes each new note as
``notes-index/<id>.json`` (characters, words); ``GET /api/notes/{id}`` reads that index
entry (blob input) or answers 404 while it is not there yet. Every binding uses the
``JobsStorage`` identity-based connection; no code outside this module is involved.

This blueprint is an example: ``function_app.py`` does not register it, so it is not
deployed. Run it locally with ``make run ARGS="--blueprint blueprints.notes"``. To ship
it, register it in ``function_app.py`` and give the app, in ``infra/``, the ``notes``
queue and the ``notes`` and ``notes-index`` containers with the data roles the jobs
already have. On Flex Consumption the blob trigger must use the Event Grid source (it
does) and needs an Event Grid subscription to the storage account's ``BlobCreated``
events, which calls the app's blob extension webhook with a system key: weigh that
against the app's secretless posture first (see docs/devstack.md).
"""

from __future__ import annotations

import json
import re
import uuid

import azure.functions as func

from blueprints.http.caller import require_caller
from blueprints.http.errors import ApiError
from blueprints.http.responses import error_response, json_response

bp = func.Blueprint()  # type: ignore[no-untyped-call]

CONNECTION = "JobsStorage"
NOTES_QUEUE = "notes"
MAX_TEXT_CHARS = 10_000
WORDS = re.compile(r"[^\W_]+")
_ID = re.compile(r"^[0-9a-f]{32}$")


@bp.route(route="notes", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.queue_output(arg_name="note", queue_name=NOTES_QUEUE, connection=CONNECTION)
def submit_note(req: func.HttpRequest, note: func.Out[str]) -> func.HttpResponse:
    try:
        caller = require_caller(req)
    except ApiError as error:
        return error.response()
    try:
        body = json.loads(req.get_body().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return error_response(400, "invalid_json", "the body is not valid JSON")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return error_response(400, "invalid_text", "send a non-empty 'text' string", target="text")
    if len(text) > MAX_TEXT_CHARS:
        return error_response(
            413, "text_too_long", f"'text' exceeds {MAX_TEXT_CHARS} characters", target="text"
        )
    note_id = uuid.uuid4().hex
    note.set(json.dumps({"id": note_id, "text": text, "author": caller.object_id}))
    return json_response({"id": note_id, "status": "queued"}, status=202)


@bp.queue_trigger(arg_name="msg", queue_name=NOTES_QUEUE, connection=CONNECTION)
@bp.blob_output(arg_name="$return", path="notes/{id}.txt", connection=CONNECTION)
def store_note(msg: func.QueueMessage) -> str:
    """``{id}`` in the path is the message's JSON ``id`` property (a binding expression)."""
    note = json.loads(msg.get_body().decode("utf-8"))
    return str(note["text"])


@bp.blob_trigger(
    arg_name="stored",
    path="notes/{name}.txt",
    connection=CONNECTION,
    source=func.BlobSource.EVENT_GRID,
)
@bp.blob_output(arg_name="$return", path="notes-index/{name}.json", connection=CONNECTION)
def index_note(stored: func.InputStream) -> str:
    text = stored.read().decode("utf-8")
    note_id = (stored.name or "").rsplit("/", 1)[-1].removesuffix(".txt")
    return json.dumps({"id": note_id, "characters": len(text), "words": len(WORDS.findall(text))})


@bp.route(route="notes/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.blob_input(arg_name="entry", path="notes-index/{id}.json", connection=CONNECTION)
def get_note(req: func.HttpRequest, entry: func.InputStream) -> func.HttpResponse:
    try:
        require_caller(req)
    except ApiError as error:
        return error.response()
    if not _ID.match(req.route_params.get("id", "")):
        return error_response(400, "invalid_id", "a note id is 32 hexadecimal digits", target="id")
    if entry is None:
        return error_response(404, "not_found", "no indexed note with this id (yet)")
    return json_response(json.loads(entry.read().decode("utf-8")))
