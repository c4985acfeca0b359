"""`scripts/conformance.py` counts accepted valid flows and correctly rejected fixtures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "conformance.py"
VALID = "id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.fixture(scope="module")
def conformance() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conformance_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_corpus(root: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["# comment", "path\tflow_id\tnamespace\ttypes\tcore_only\tnotes"]
    for path, text, core_only, notes in rows:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
        lines.append(f"{path}\tx\tn\tio.kestra.plugin.core.log.Log\t{core_only}\t{notes}")
    (root / "INDEX.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_counts_valid_invalid_and_foreign_flows(
    conformance: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = make_corpus(
        tmp_path,
        [
            ("core/flows/valids/a.yaml", VALID, "yes", ""),
            ("core/flows/valids/broken.yaml", VALID + "    bad: 1\n", "yes", ""),
            (
                "core/flows/invalids/empty.yaml",
                "id: empty\nnamespace: n\n",
                "n/a",
                "invalid-fixture",
            ),
            (
                "core/flows/valids/test-plugin.yaml",
                VALID.replace("io.kestra.plugin.core.log.Log", "io.kestra.core.runners.test.X"),
                "no",
                "",
            ),
        ],
    )
    assert conformance.main(["--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "core-only valid flows accepted: 1/2" in out
    assert "invalid fixtures rejected for the expected reason: 1/1" in out
    assert "non-core flows accepted apart from Kestra test-plugin types: 1/1" in out
    assert "VALID core/flows/valids/broken.yaml" in out


def test_check_fails_below_the_baseline(conformance: ModuleType, tmp_path: Path) -> None:
    corpus = make_corpus(
        tmp_path, [("core/flows/valids/a.yaml", VALID + "    bad: 1\n", "yes", "")]
    )
    assert conformance.main(["--corpus", str(corpus), "--check"]) == 1


def test_missing_corpus_is_not_an_error(conformance: ModuleType, tmp_path: Path) -> None:
    assert conformance.main(["--corpus", str(tmp_path / "none")]) == 0


def test_valid_flow_with_a_wrong_reference_is_not_counted_clean(
    conformance: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = VALID.replace("message: hi", "message: '{{ outputs.nope.value }}'")
    corpus = make_corpus(
        tmp_path,
        [
            ("core/flows/valids/a.yaml", VALID, "yes", ""),
            ("core/flows/valids/wrong.yaml", wrong, "yes", ""),
        ],
    )
    assert conformance.main(["--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    # The model accepts both (as Kestra does); `tercel validate` flags the second.
    assert "core-only valid flows accepted: 2/2" in out
    assert "core-only valid flows clean under the static reference checks: 1/2" in out
    assert "REFERENCES core/flows/valids/wrong.yaml" in out
    assert conformance.main(["--corpus", str(corpus), "--check"]) == 1
