"""``python -m posture``: run the posture rules against this environment, print the report.

A CI gate and a local check in one: ``--fail-on high`` exits 1 when a rule of severity
high or worse failed *or could not judge* (``error``, ``unknown``: a gate that passes what
it could not see proves nothing), when a waiver has expired, or when a ``--baseline`` rule
was left out. A known finding or gap is accepted in the waivers file (rule, scope,
reason, owner, expiry). Exit 2 is a usage error: one line naming the cause and the fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from posture.baselines import baseline, baselines
from posture.context import CheckContext
from posture.errors import PostureError
from posture.gate import gate_failures
from posture.model import Rule, Severity, all_rules, get_rule
from posture.report.document import build_report, headline
from posture.report.junit import to_junit
from posture.report.markdown import to_markdown
from posture.report.page import to_html
from posture.report.sarif import to_sarif
from posture.runner import run_rules
from posture.waivers import DEFAULT_FILE, load
from shared.redaction import install_log_redaction

EXIT_FAILED = 1
EXIT_USAGE = 2
FORMATS: dict[str, Callable[[dict[str, Any], argparse.Namespace], str]] = {
    "json": lambda report, _: json.dumps(report, indent=2) + "\n",
    "md": lambda report, _: to_markdown(report),
    "html": lambda report, _: to_html(report),
    "sarif": lambda report, args: (
        json.dumps(to_sarif(report, artifact=args.sarif_artifact), indent=2) + "\n"
    ),
    "junit": lambda report, _: to_junit(report),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m posture",
        description="Prove how secretless this deployment is: run the posture rules and report.",
    )
    parser.add_argument("--format", choices=list(FORMATS), default="md")
    parser.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=None,
        help="exit 1 if a rule of this severity or worse failed or could not judge "
        "(error, unknown) and no waiver accepts it",
    )
    parser.add_argument("--rule", action="append", default=[], help="run only this rule id")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        help=f"a rule set the run must include and judge ({', '.join(sorted(baselines()))})",
    )
    parser.add_argument(
        "--waivers",
        type=Path,
        default=None,
        help=f"the waivers file (default: {DEFAULT_FILE} in this directory, when present)",
    )
    parser.add_argument(
        "--sarif-artifact",
        default=None,
        help="a file (e.g. the deployment's template) given to every SARIF result as its "
        "physical location",
    )
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not stdout")
    return parser


def _selection(args: argparse.Namespace) -> tuple[list[Rule] | None, dict[str, frozenset[str]]]:
    held = {name: baseline(name) for name in args.baseline}
    wanted = [get_rule(rule_id) for rule_id in args.rule]
    if not wanted:
        return None, held
    ids = {r.id for r in wanted} | {i for rules in held.values() for i in rules}
    return [r for r in all_rules() if r.id in ids], held


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    install_log_redaction()
    rule_ids = [r.id for r in all_rules()]
    try:
        rules, held = _selection(args)
        waivers_file = args.waivers or (
            Path(DEFAULT_FILE) if Path(DEFAULT_FILE).is_file() else None
        )
        waivers = load(waivers_file, rule_ids=rule_ids) if waivers_file else ()
    except PostureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    context = CheckContext()
    report = build_report(run_rules(context, rules=rules), context, waivers=waivers, baselines=held)
    text = FORMATS[args.format](report, args)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(headline(report), file=sys.stderr)
    if not report["environment"]["loaded"]:
        missing = ", ".join(report["environment"]["missing_settings"]) or "AzureWebJobsStorage"
        print(
            f"the app's environment is not loaded (unset: {missing}): run inside the app or "
            "load its settings first; the rules that read them report unknown",
            file=sys.stderr,
        )
    if args.fail_on is not None:
        reasons = gate_failures(report, Severity(args.fail_on))
        if reasons:
            print(f"failing the gate (--fail-on {args.fail_on}):", file=sys.stderr)
            for reason in reasons:
                print(f"  {reason}", file=sys.stderr)
            return EXIT_FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
