"""Large files convert in bounded memory: rows and elements stream, never pile up."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROWS = 800_000

PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from tercel.testing import FakeTaskContext, run_task

    ROWS = int(sys.argv[2])

    def high_water_mb():
        # VmHWM, not ru_maxrss: the latter also counts the pytest process this was forked from.
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) // 1024

    async def main(base):
        ctx = FakeTaskContext(Path(base))
        source = Path(base) / 'big.csv'
        with source.open('w') as out:
            out.write('id,name,city,amount,comment\\n')
            for i in range(ROWS):
                out.write(f'{i},"Name {i}, Jr.",Paris,{i % 997}.25,{"x" * 280}\\n')
        uri = ctx.storage.put(ctx.file_uri('big.csv'), source)
        size_mb = source.stat().st_size // (1024 * 1024)
        source.unlink()
        before = high_water_mb()
        to_ion = await run_task(
            {'id': 'to_ion', 'type': 'io.kestra.plugin.serdes.csv.CsvToIon', 'from': uri}, ctx
        )
        ion_mb = high_water_mb()
        print(json.dumps({
            'csv_mb': size_mb, 'size': to_ion.outputs['size'],
            'before_mb': before, 'after_ion_mb': ion_mb,
        }))

    asyncio.run(main(sys.argv[1]))
    """
)


def test_a_large_csv_converts_to_ion_in_bounded_memory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), str(ROWS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(report)  # the measured figures, shown with `pytest -s`
    assert report["csv_mb"] >= 240, report
    assert report["size"] == ROWS
    # The whole file would need several times its size in memory; streaming needs a few MB.
    assert report["after_ion_mb"] - report["before_mb"] < 60, report


XML_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from tercel.testing import FakeTaskContext, run_task

    BOOKS = int(sys.argv[2])

    def high_water_mb():
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) // 1024

    async def main(base):
        ctx = FakeTaskContext(Path(base))
        source = Path(base) / 'big.xml'
        with source.open('w') as out:
            out.write('<?xml version="1.0"?><catalog><title>Books</title>')
            for i in range(BOOKS):
                out.write(f'<book id="b{i}"><author>Author {i}</author><price>{i % 50}.5</price>'
                          f'<blurb>{"z" * 200}</blurb></book>')
            out.write('</catalog>')
        uri = ctx.storage.put(ctx.file_uri('big.xml'), source)
        size_mb = source.stat().st_size // (1024 * 1024)
        source.unlink()
        before = high_water_mb()
        result = await run_task(
            {'id': 'x', 'type': 'io.kestra.plugin.serdes.xml.XmlToIon', 'from': uri,
             'query': '/catalog/book'}, ctx
        )
        print(json.dumps({'xml_mb': size_mb, 'size': result.outputs['size'],
                          'before_mb': before, 'after_mb': high_water_mb()}))

    asyncio.run(main(sys.argv[1]))
    """
)

BOOKS = 250_000


def test_a_large_xml_file_streams_element_by_element_with_a_query(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", XML_PROBE, str(tmp_path), str(BOOKS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(report)  # the measured figures, shown with `pytest -s`
    assert report["xml_mb"] >= 60, report
    assert report["size"] == BOOKS
    # Building the document would take several times its size; streaming takes a few MB.
    assert report["after_mb"] - report["before_mb"] < 40, report
