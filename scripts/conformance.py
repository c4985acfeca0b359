"""Check Tercel's flow validation against Kestra's own test corpus.

    python scripts/conformance.py --corpus ../shared/kestra-corpus [--check] [--run]

Prints "core-only valid flows accepted: X/Y" (every flow of `INDEX.tsv` whose types are
all core types must validate), "core-only valid flows clean under the static reference
checks: X/Y" (what `tercel validate` adds beyond Kestra; the flows it flags on purpose,
runtime failures in Kestra too, are listed in `scripts/conformance-reference-flagged.json`) and "invalid fixtures rejected for the expected reason: X/Y"
(reasons in `scripts/conformance-invalid.json`), listing each failure. Flows using types
of Kestra's own test plugins (`io.kestra.core.runners.test.*`...) are reported apart: those
types are expected to be unknown here. `--check` exits 1 when a count falls below
`scripts/conformance-baseline.json`. `--run` also runs the execution conformance
(`scripts/conformance_run.py`, owned by the runtime) with the same corpus and `--check`. A missing corpus is not an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tercel.cli.validate import reference_problems  # noqa: E402
from tercel.model.loader import FlowResult, validate_file  # noqa: E402

INVALID_REASONS = HERE / "conformance-invalid.json"
#: Valid flows whose templates are really wrong (Kestra fails them at run time, and its
#: tests assert that failure): `tercel validate` reports them on purpose.
REFERENCE_FLAGGED = HERE / "conformance-reference-flagged.json"
BASELINE = HERE / "conformance-baseline.json"

#: Type-name prefixes of Kestra's test plugins and of non-core plugins: expected unknown.
FOREIGN_PREFIXES = (
    "io.kestra.core.runners.",
    "io.kestra.core.tasks.test.",
    "io.kestra.core.plugins.test.",
    "io.kestra.plugin.gcp.",
)
#: INDEX notes of rows that are not flows (deprecated Template objects, empty files).
NOT_FLOWS = ("template (deprecated Template object", "empty")
#: INDEX notes of flows Tercel rejects on purpose: the deprecated Template task is not
#: supported (its validation error says to use a Subflow instead).
UNSUPPORTED = ("flow using deprecated Template task",)


@dataclass
class Row:
    """One line of INDEX.tsv."""

    path: str
    types: list[str]
    core_only: str
    notes: str

    @property
    def invalid(self) -> bool:
        """Whether Kestra's tests expect this file to be rejected."""
        return "invalid-fixture" in self.notes


def read_index(corpus: Path) -> list[Row]:
    """The rows of INDEX.tsv (comments and header skipped)."""
    rows: list[Row] = []
    for line in (corpus / "INDEX.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", "path\t")):
            continue
        cells = [*line.split("\t"), "", "", "", "", ""]
        types = [t for t in cells[3].split(",") if t]
        rows.append(Row(cells[0], types, cells[4], cells[5]))
    return rows


def problems_text(results: list[FlowResult]) -> list[str]:
    """Every problem of a file, formatted."""
    return [problem.format() for result in results for problem in result.problems]


def only_foreign_unknowns(results: list[FlowResult]) -> bool:
    """Whether every problem is an unknown type from Kestra's test/non-core plugins."""
    problems = [p for result in results for p in result.problems if p.severity == "error"]
    return bool(problems) and all(
        problem.message.startswith("unknown")
        and "type `" in problem.message
        and any(f"`{prefix}" in problem.message for prefix in FOREIGN_PREFIXES)
        for problem in problems
    )


def main(argv: list[str] | None = None) -> int:
    """Run the conformance check; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--check", action="store_true", help="fail below the baseline")
    parser.add_argument("--run", action="store_true", help="also run flows (conformance_run)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every problem")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "INDEX.tsv").is_file():
        print(f"conformance: no corpus at {corpus} (no INDEX.tsv); nothing checked")
        return 0

    reasons: dict[str, dict[str, object]] = json.loads(INVALID_REASONS.read_text("utf-8"))
    valid_ok, valid_total, invalid_ok, invalid_total = 0, 0, 0, 0
    foreign_ok, foreign_total = 0, 0
    flagged_on_purpose: dict[str, dict[str, str]] = json.loads(REFERENCE_FLAGGED.read_text("utf-8"))
    clean, flagged = 0, []
    failures: list[str] = []
    skipped: list[str] = []
    for row in read_index(corpus):
        file = corpus / row.path
        if any(row.notes.startswith(note) for note in NOT_FLOWS) or not file.is_file():
            continue
        if row.core_only == "n/a" and not row.invalid:
            continue  # no dotted type at all: not a flow (e.g. an execution fixture)
        if any(row.notes.startswith(note) for note in UNSUPPORTED):
            skipped.append(f"SKIPPED {row.path}: {row.notes}")
            continue
        results = validate_file(file)
        accepted = all(result.ok for result in results)
        reason = reasons.get(row.path, {})
        if row.invalid and "accept" not in reason:
            invalid_total += 1
            found = problems_text(results)
            expected = [str(e) for e in reason.get("expect", [])]  # type: ignore[attr-defined]
            missing = [e for e in expected if not any(e in problem for problem in found)]
            if not accepted and not missing and expected:
                invalid_ok += 1
            else:
                why = "accepted" if accepted else f"missing reasons {missing}"
                failures.append(f"INVALID {row.path}: {why}; got {found}")
        elif row.core_only == "no":
            foreign_total += 1
            if accepted or only_foreign_unknowns(results):
                foreign_ok += 1
            else:
                failures.append(f"NON-CORE {row.path}: {problems_text(results)}")
        else:
            valid_total += 1
            if accepted:
                valid_ok += 1
                # Warnings (e.g. a `??`-guarded reference) do not fail `tercel validate`.
                found = [
                    p.format()
                    for r in results
                    for p in reference_problems(r)
                    if p.severity == "error"
                ]
                expected = flagged_on_purpose.get(row.path)
                if not found:
                    clean += 1
                    if expected:
                        failures.append(
                            f"REFERENCES {row.path}: no longer flagged; update the list"
                        )
                elif expected and all(expected["expect"] in text for text in found):
                    flagged.append(f"FLAGGED {row.path}: {found} ({expected['why']})")
                else:
                    failures.append(f"REFERENCES {row.path}: {found}")
            else:
                failures.append(f"VALID {row.path}: {problems_text(results)}")
        if args.verbose:
            for text in problems_text(results):
                print(f"  {text}")

    for line in (*skipped, *flagged, *failures):
        print(line)
    print(f"core-only valid flows accepted: {valid_ok}/{valid_total}")
    print(
        f"core-only valid flows clean under the static reference checks: {clean}/{valid_total}"
        f" ({len(flagged)} flagged on purpose: they fail at run time in Kestra too)"
    )
    print(f"invalid fixtures rejected for the expected reason: {invalid_ok}/{invalid_total}")
    print(
        f"non-core flows accepted apart from Kestra test-plugin types: {foreign_ok}/{foreign_total}"
    )

    status = 0
    if args.check:
        baseline = json.loads(BASELINE.read_text("utf-8"))
        below = [
            f"{name}: {value} < {baseline[name]}"
            for name, value in (
                ("valid_accepted", valid_ok),
                ("valid_reference_clean", clean),
                ("invalid_rejected", invalid_ok),
                ("non_core_accepted", foreign_ok),
            )
            if value < baseline.get(name, 0)
        ]
        if any(line.startswith("REFERENCES ") for line in failures):
            below.append("a valid flow is flagged by the reference checks unexpectedly")
        if below:
            print("conformance below baseline: " + "; ".join(below))
            status = 1
    if args.run:
        sys.path.insert(0, str(HERE))
        from conformance_run import main as run_main  # the runtime's execution conformance

        run_args = ["--corpus", str(corpus), *(["--check"] if args.check else [])]
        status = max(status, int(run_main(run_args)))
    return status


if __name__ == "__main__":
    sys.exit(main())
