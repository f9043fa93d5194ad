"""Running a ``.http`` file as REST Client runs it, for the subset the project's file uses.

Requests are separated by ``###`` lines; ``@name = value`` lines define file variables;
``# @name x`` names the next request, whose response later requests read as
``{{x.response.headers.H}}``; ``{{$processEnv NAME}}`` reads the environment; a blank
line ends the headers and the rest is the body (marketplace.visualstudio.com/items?
itemName=humao.rest-client, "Variables"; the JetBrains HTTP client reads the same
request syntax).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import requests

_VARIABLE = re.compile(r"^@(?P<name>[A-Za-z_][\w-]*)\s*=\s*(?P<value>.*)$")
_REFERENCE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class Request:
    title: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    name: str | None = None


def parse(path: Path) -> tuple[dict[str, str], list[Request]]:
    """The file's variables and its requests, references left unresolved."""
    variables: dict[str, str] = {}
    blocks: list[list[str]] = [[]]
    for line in path.read_text().splitlines():
        if line.startswith("###"):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    requests_: list[Request] = []
    for block in blocks:
        title = block[0].lstrip("#").strip() if block and block[0].startswith("###") else ""
        name, request, in_body, body = None, None, False, []
        for line in block[1:] if title or block[:1] == ["###"] else block:
            if request is None:
                if match := _VARIABLE.match(line):
                    variables[match["name"]] = match["value"].strip()
                elif line.startswith("# @name "):
                    name = line.split(None, 2)[2].strip()
                elif line.strip() and not line.startswith("#"):
                    method, url = line.split(None, 1)
                    request = Request(title, method, url.strip(), name=name)
            elif in_body:
                body.append(line)
            elif not line.strip():
                in_body = True
            else:
                key, _, value = line.partition(":")
                request.headers[key.strip()] = value.strip()
        if request is not None:
            request.body = "\n".join(body).strip()
            requests_.append(request)
    return variables, requests_


def run(
    path: Path, *, environ: dict[str, str], overrides: dict[str, str] | None = None
) -> list[tuple[Request, requests.Response]]:
    """Send every request in order, resolving references as REST Client does."""
    variables, found = parse(path)
    variables.update(overrides or {})
    responses: dict[str, requests.Response] = {}

    def resolve(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            ref = match[1]
            if ref.startswith("$processEnv "):
                return environ[ref.split(None, 1)[1]]
            if ".response.headers." in ref:
                name, header = ref.split(".response.headers.")
                return responses[name].headers[header]
            return resolve(variables[ref])

        return _REFERENCE.sub(one, text)

    sent = []
    for request in found:
        response = requests.request(
            request.method,
            resolve(request.url),
            headers={key: resolve(value) for key, value in request.headers.items()},
            data=resolve(request.body).encode() or None,
            timeout=60,
        )
        if request.name:
            responses[request.name] = response
        sent.append((request, response))
    return sent
