"""The installed commands (``devstack``, ``posture``, ``migrate``: pyproject's scripts): one
line and exit 2 when the product's extra is incomplete, else the product's ``__main__``.

Each runs in a fresh interpreter with the completeness check answering "incomplete", so
the product's own modules and dependencies are never imported on that path.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from devstack.runner import ROOT

_RUN = """
import sys
import shared.products
shared.products.missing_requirements = lambda product: ["a-missing-dist"]
from {product}.command import main
code = main()
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "{product}")
print(code, loaded)
"""


@pytest.mark.parametrize("product", ["devstack", "posture", "migrate"])
def test_an_incomplete_product_says_what_to_install_and_loads_nothing_more(product: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _RUN.format(product=product)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.stdout.strip() == f"2 ['{product}', '{product}.command']"
    assert result.stderr.startswith(f"{product} needs the [{product}] extra")
    assert "a-missing-dist" in result.stderr


@pytest.mark.parametrize("product", ["devstack", "posture", "migrate"])
def test_a_complete_product_runs_its_main(product: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.argv = ['{product}', '--help']\n"
            f"from {product}.command import main; main()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")
