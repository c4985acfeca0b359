"""Splitting SQL into statements and binding `:name` parameters leave literals alone."""

from __future__ import annotations

import pytest

from tercel.errors import TaskError
from tercel.plugins.jdbc.statements import bind_parameters, split_statements
from tercel.plugins.jdbc.urls import parse_jdbc_url

pytestmark = pytest.mark.unit


def test_statements_split_on_semicolons_outside_literals_and_comments() -> None:
    sql = """
    CREATE TABLE t (a TEXT); -- a comment; with a semicolon
    INSERT INTO t VALUES ('x;y'), ("z;");
    /* block; comment */
    CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
    SELECT * FROM t
    """
    statements = split_statements(sql)
    assert len(statements) == 4
    # A comment stays with the statement after it.
    assert statements[1].startswith("-- a comment; with a semicolon\n")
    assert statements[1].endswith("INSERT INTO t VALUES ('x;y'), (\"z;\")")
    assert statements[2].endswith("AS $$ SELECT 1; $$ LANGUAGE sql")
    assert statements[3] == "SELECT * FROM t"


def test_blank_and_comment_only_statements_are_dropped() -> None:
    assert split_statements(";; -- nothing\n;") == []


def test_named_parameters_become_the_driver_placeholders() -> None:
    sql = "SELECT :id, ':id', x::text, :missing FROM t WHERE a = :id AND b LIKE '50%'"
    named, used = bind_parameters(sql, {"id"}, "named")
    assert named == sql
    assert used == ["id", "id"]
    dollar, _ = bind_parameters(sql, {"id"}, "dollar")
    assert dollar == "SELECT $id, ':id', x::text, :missing FROM t WHERE a = $id AND b LIKE '50%'"
    pyformat, _ = bind_parameters(sql, {"id"}, "pyformat")
    assert pyformat == (
        "SELECT %(id)s, ':id', x::text, :missing FROM t WHERE a = %(id)s AND b LIKE '50%%'"
    )


@pytest.mark.parametrize(
    ("url", "driver", "address"),
    [
        ("jdbc:duckdb:/data/warehouse.db", "duckdb", "/data/warehouse.db"),
        ("jdbc:duckdb:", "duckdb", ":memory:"),
        ("jdbc:sqlite:/tmp/app.db", "sqlite", "/tmp/app.db"),
        ("jdbc:sqlite::memory:", "sqlite", ":memory:"),
        ("jdbc:postgresql://db:5433/shop?sslmode=disable&foo=1", "postgresql",
         "postgresql://ada:p%40ss@db:5433/shop?sslmode=disable"),
    ],
)
def test_jdbc_urls_name_the_driver_and_address(url: str, driver: str, address: str) -> None:
    target = parse_jdbc_url(url, username="ada", password="p@ss")
    assert (target.driver, target.address) == (driver, address)


def test_unknown_drivers_and_non_jdbc_urls_are_refused() -> None:
    with pytest.raises(TaskError, match="unsupported JDBC driver `oracle`"):
        parse_jdbc_url("jdbc:oracle:thin:@host")
    with pytest.raises(TaskError, match="must be a JDBC URL") as raised:
        parse_jdbc_url("postgresql://u:secret@h/db")
    assert "secret" not in str(raised.value)
