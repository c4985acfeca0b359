"""Ion text rows: what Kestra's `.ion` files hold, read and written as plain Python."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercel.errors import TaskError
from tercel.plugins.core.storage import ion


def test_rows_are_written_one_per_line_in_ion_text() -> None:
    buffer = io.BytesIO()
    count = ion.dump_rows([{"id": 1, "name": "a"}, {"id": 2, "name": None}], buffer)
    assert count == 2
    assert buffer.getvalue().decode() == '{id:1,name:"a"}\n{id:2,name:null}\n'


def test_reads_kestra_style_rows_into_plain_python() -> None:
    text = (
        '{id:1,name:"foo",at:2024-01-02T03:04:05.123Z,ratio:1.5e0,amount:12.30,ok:true,'
        "tag:sym,day:2024-01-02,none:null.int,list:[1,2]}\n"
    )
    (row,) = ion.loads(text)
    assert row == {
        "id": 1,
        "name": "foo",
        "at": datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC),
        "ratio": 1.5,
        "amount": Decimal("12.30"),
        "ok": True,
        "tag": "sym",
        "day": date(2024, 1, 2),
        "none": None,
        "list": [1, 2],
    }
    assert type(row["id"]) is int
    assert type(row["name"]) is str


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    rows = [{"a": 'x\ny"z', "d": date(2020, 2, 29), "n": Decimal("1.50")}, "s", 5, None, [True]]
    path = tmp_path / "rows.ion"
    ion.write_rows(path, rows)
    assert list(ion.iter_rows(path)) == rows


def test_invalid_ion_is_a_task_error() -> None:
    with pytest.raises(TaskError, match="not a valid Ion"):
        ion.loads("{a:")


_json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(_json_like)
def test_any_json_like_value_round_trips(value: object) -> None:
    assert ion.loads(ion.dumps(value)) == [value]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_FLAT_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), _TEXT)


@given(st.dictionaries(_TEXT, _FLAT_VALUE, max_size=6))
def test_flat_rows_print_exactly_as_the_ion_library_prints_them(row: dict[str, object]) -> None:
    from amazon.ion import simpleion

    expected = simpleion.dumps(row, binary=False, omit_version_marker=True)
    assert ion.dumps(row) == expected
    assert ion.loads(ion.dumps(row)) == [row]
