"""``python -m posture``: run the posture rules against this environment, print the report.

A CI gate and a local check in one: ``--fail-on high`` exits 1 when a rule of severity
high or worse failed (``error`` and ``skipped`` never fail the gate: they say the rule
could not judge, not that something is wrong). Exit 2 is a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from posture.context import CheckContext
from posture.errors import RuleRegistryError
from posture.model import Severity, get_rule
from posture.report.document import build_report, headline
from posture.report.markdown import to_markdown
from posture.report.page import to_html
from posture.runner import failures_at_or_above, run_rules
from shared.redaction import install_log_redaction

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m posture",
        description="Prove how secretless this deployment is: run the posture rules and report.",
    )
    parser.add_argument("--format", choices=("json", "md", "html"), default="md")
    parser.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=None,
        help="exit 1 if a rule of this severity or worse failed",
    )
    parser.add_argument("--rule", action="append", default=[], help="run only this rule id")
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    install_log_redaction()
    try:
        rules = [get_rule(rule_id) for rule_id in args.rule] or None
    except RuleRegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    context = CheckContext()
    run = run_rules(context, rules=rules)
    report = build_report(run, context)
    if args.format == "json":
        text = json.dumps(report, indent=2) + "\n"
    elif args.format == "html":
        text = to_html(report)
    else:
        text = to_markdown(report)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(headline(report), file=sys.stderr)
    if args.fail_on is not None:
        failed = failures_at_or_above(run, Severity(args.fail_on).rank)
        if failed:
            names = ", ".join(o.rule.id for o in failed)
            print(f"failing the gate (--fail-on {args.fail_on}): {names}", file=sys.stderr)
            return EXIT_FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
