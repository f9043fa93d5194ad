"""``python -m migrate`` (or ``migrate``): scan, fix and verify a Functions app.

scan PATH              find every secret-based connection; text, JSON or SARIF; exit 1 when a
                       finding at or above --fail-on is found (CI gate), 0 when none is
fix PATH --out DIR     write a migrated copy of PATH to DIR (PATH is never changed) and a
                       report of what was changed and what could not be, and why
verify DIR             run the migrated app on the offline local stack, where Storage refuses
                       keys, and judge it with the posture checker's runtime rules

Exit codes: 0 clean / passed, 1 findings / failed, 2 the command could not run (one line on
stderr names the cause and what to do).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from migrate.errors import MigrateError
from migrate.model import Severity

EXIT_FINDINGS = 1


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def cmd_scan(args: argparse.Namespace) -> int:
    from migrate.report import jsonreport, sarif, text
    from migrate.scan.runner import scan

    started = time.monotonic()
    print(f"migrate: scanning {args.path} ...", file=sys.stderr)
    result = scan(args.path)
    if args.format == "json":
        rendered = json.dumps(jsonreport.document(result), indent=2) + "\n"
    elif args.format == "sarif":
        rendered = json.dumps(sarif.document(result), indent=2) + "\n"
    else:
        rendered = text.render(result)
    _write(rendered, args.output)
    elapsed = time.monotonic() - started
    print(
        f"migrate: {len(result.findings)} finding(s), {result.files_scanned} file(s) read, "
        f"{len(result.problems)} not scanned, {elapsed:.2f} s",
        file=sys.stderr,
    )
    threshold = Severity(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in result.findings) else 0


def cmd_fix(args: argparse.Namespace) -> int:
    from migrate.fix.runner import fix

    print(f"migrate: writing a migrated copy of {args.path} to {args.out} ...", file=sys.stderr)
    report = fix(args.path, args.out, client_id=args.client_id)
    print(report.summary(), file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from migrate.verify.runner import verify

    print(f"migrate: starting the local stack on {args.path} ...", file=sys.stderr)
    outcome = verify(args.path, timeout=args.timeout)
    sys.stdout.write(outcome.render())
    return 0 if outcome.passed else EXIT_FINDINGS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    scan = commands.add_parser("scan", help="find every secret-based connection")
    scan.add_argument("path", type=Path, help="the app's directory (a repository root is fine)")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    scan.add_argument("--output", "-o", type=Path, help="write the report here, not to stdout")
    scan.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=Severity.LOW.value,
        help="exit 1 if a finding of this severity or worse is found (default: low, any finding)",
    )
    scan.set_defaults(handler=cmd_scan)

    fix = commands.add_parser("fix", help="write a migrated copy of the app")
    fix.add_argument("path", type=Path, help="the app's directory; it is only read")
    fix.add_argument("--out", type=Path, required=True, help="a new or empty directory")
    fix.add_argument(
        "--client-id",
        help="the client id of a user-assigned managed identity: connections and the code pin it",
    )
    fix.set_defaults(handler=cmd_fix)

    verify = commands.add_parser("verify", help="run the migrated app on the local stack")
    verify.add_argument("path", type=Path, help="the migrated app (fix's --out)")
    verify.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for the stack (default 180)"
    )
    verify.set_defaults(handler=cmd_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except MigrateError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("migrate: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
