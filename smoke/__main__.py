"""``python -m smoke --url <app base URL>``: run the post-deploy smoke checks.

Exit status 0 when all four pass, 1 when one fails, 2 when the check cannot run.
"""

from __future__ import annotations

import argparse
import os
import sys

from smoke.checks import Smoke, SmokeError, base_url

WHERE_TO_GET_ONE = (
    "Azure: az account get-access-token --resource api://<API_CLIENT_ID> --query accessToken "
    "-o tsv; devstack: python -m devstack token --role Posture.Read"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smoke", description=__doc__)
    parser.add_argument("--url", required=True, help="the app's base URL (SERVICE_API_URI)")
    parser.add_argument(
        "--token-env",
        default="SMOKE_TOKEN",
        help=f"environment variable holding the caller's bearer token ({WHERE_TO_GET_ONE})",
    )
    parser.add_argument(
        "--ca-bundle", help="CA bundle to trust (the devstack's); default: the system's"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to this long for /api/health to answer 200 (after a deploy)",
    )
    args = parser.parse_args(argv)
    try:
        url = base_url(args.url)
        token = os.environ.get(args.token_env, "").strip()
        if not token:
            raise SmokeError(
                f"{args.token_env} is not set: put a caller's token there ({WHERE_TO_GET_ONE})"
            )
    except SmokeError as exc:
        print(f"smoke: {exc}", file=sys.stderr)
        return 2
    smoke = Smoke(url=url, token=token, verify=args.ca_bundle or True)
    if args.wait > 0:
        smoke.wait_until_up(seconds=args.wait)
    results = smoke.run()
    for result in results:
        print(result.line())
    failed = [r for r in results if not r.passed]
    print(f"smoke: checked {url}")
    print(f"smoke: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
