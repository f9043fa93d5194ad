"""api.http, the README's calls for REST Client and the JetBrains HTTP client, runs as
written against the stack: only its origin is moved to the stack's port, and the token
comes from the environment variable the file names."""

from __future__ import annotations

from urllib.parse import urlsplit

from devstack.runner import ROOT, RunningStack
from tests.conformance.httpfile import parse, run

HTTP_FILE = ROOT / "api.http"


def test_the_files_requests_answer_as_the_readme_says(stack: RunningStack) -> None:
    variables, requests_ = parse(HTTP_FILE)
    assert variables["token"] == "{{$processEnv TOKEN}}"  # never a token in the file
    assert all("{{token}}" in r.headers.get("Authorization", "{{token}}") for r in requests_)
    api = urlsplit(stack.api)
    sent = run(
        HTTP_FILE,
        environ={"TOKEN": stack.caller_token("Jobs.Submit")},
        overrides={"origin": f"{api.scheme}://{api.netloc}"},
    )
    answers = {request.title: response for request, response in sent}
    assert [r.status_code for r in answers.values()] == [200, 202, 200, 200]
    submitted = answers["Submit a job: 202 with its Location"].json()
    followed = next(r for t, r in answers.items() if t.startswith("The job submitted above"))
    assert followed.json()["id"] == submitted["id"]
    assert answers["The OpenAPI document (no token needed)"].json()["openapi"].startswith("3.")
