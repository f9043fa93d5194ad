"""The front reads a query as Azurite does: held against Azurite's own parser, run in Node.

The parser Azurite's Express app installs (``express/lib/utils.js``,
``compileQueryParser("extended")``: qs with ``allowPrototypes`` and ``arrayLimit: 1000``) is
loaded from the project's ``node_modules`` and given every query of the table below and a
seeded draw of queries built from the characters that matter (``%``, brackets, ``+``, ``=``,
``&``, hex digits, the letters of ``sig``). For each, the top-level names must be the same,
and a name qs gives one plain string must have that string here too. Names that are array
indexes (a key that starts with ``[]`` or ``[3]`` makes qs merge an array into the result)
are left out of the comparison: no SAS parameter is a number.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from typing import Any

import pytest

from devstack.runner import ROOT
from devstack.storagefront.azuritequery import (
    MAX_PARAMETERS,
    js_decode_uri_component,
    parameters,
    single,
)

SEED = 20261201
NODE = shutil.which("node")
EXPRESS = ROOT / "node_modules" / "express" / "lib" / "utils.js"
_SCRIPT = (
    "const parse = require(process.argv[1]).compileQueryParser('extended');"
    "let input = ''; process.stdin.on('data', d => input += d);"
    "process.stdin.on('end', () => console.log(JSON.stringify("
    "JSON.parse(input).map(q => parse(q)))));"
)
TABLE = [
    "sig=abc",
    "%73ig=abc",
    "s%69g=abc",
    "%73%69%67=abc",
    "sig[]=abc",
    "sig%5B%5D=abc",
    "sig%5b%5d=abc",
    "sig[0]=abc",
    "sig[x]=abc",
    "[sig]=abc",
    "%5Bsig%5D=abc",
    "[sig",
    "sig=a&sig=b",
    "SIG=abc",
    "si+g=abc",
    "sig",
    "sig=",
    "%2573ig=abc",
    "s%ig=abc",
    "sig]=abc",
    "a=1]=2",
    "skoid=%2541&sig=x",
    "=x&&sig=y",
    "sv=2025-01-05&ss=b&srt=sco&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=c2ln%3D",
    "restype=service&comp=userdelegationkey",
]


def qs_parse(queries: list[str]) -> list[dict[str, Any]]:
    if NODE is None or not EXPRESS.exists():
        pytest.skip("Node.js and node_modules (make setup) are needed to run Azurite's parser")
    done = subprocess.run(
        [NODE, "-e", _SCRIPT, str(EXPRESS)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


def _alphabet_query(rng: random.Random) -> str:
    pieces = ["sig", "s", "i", "g", "%73", "%69", "%67", "%5B", "%5D", "[", "]", "=", "&",
              "+", "%", "%2", "x", "0", "%20", "skoid", "%E2%9C%93", "%C3"]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))


def test_names_and_plain_values_are_azurite_s() -> None:
    rng = random.Random(SEED)
    queries = TABLE + [_alphabet_query(rng) for _ in range(3000)]
    for query, parsed in zip(queries, qs_parse(queries), strict=True):
        ours = {k: v for k, v in parameters(query).items() if k and not k.isdigit()}
        expected = {k: v for k, v in parsed.items() if not k.isdigit()}
        assert set(ours) == set(expected), f"seed={SEED} query={query!r}"
        for name, value in expected.items():
            plain = [value] if isinstance(value, str) else None
            mine = ours[name] if len(ours[name]) == 1 and ours[name][0] is not None else None
            assert mine == plain, f"seed={SEED} query={query!r} name={name!r}"


def test_every_spelling_of_sig_in_the_red_team_s_report_is_sig() -> None:
    for query in ("%73ig=a", "s%69g=a", "sig[]=a", "sig%5B%5D=a", "[sig]=a"):
        assert "sig" in parameters(query), query


def test_parts_past_the_parameter_limit_are_not_read() -> None:
    query = "&".join(["x=1"] * MAX_PARAMETERS + ["sig=abc"])
    assert "sig" not in parameters(query)
    assert qs_parse([query]) == [{"x": ["1"] * MAX_PARAMETERS}]


def test_a_single_value_is_decoded_once_more_as_azurite_s_sas_check_does() -> None:
    params = parameters("skoid=%2541&sktid=a&sktid=b&ske=%25E0&skt[]=x")
    assert single(params, "skoid") == "A"  # qs gives "%41"; decodeIfExist gives "A"
    assert single(params, "sktid") is None  # two values
    assert single(params, "ske") is None  # "%E0" would throw in decodeURIComponent
    assert single(params, "skt") is None  # an array
    assert single(params, "missing") is None


@pytest.mark.parametrize(
    ("text", "decoded"),
    [("a+b", "a+b"), ("%41", "A"), ("%E2%9C%93", "\u2713"), ("%", None), ("%G1", None),
     ("%C3", None), ("%ED%A0%80", None)],
)  # fmt: skip
def test_decode_uri_component_throws_where_javascript_does(text: str, decoded: str | None) -> None:
    assert js_decode_uri_component(text) == decoded
