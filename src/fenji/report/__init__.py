"""Report renderers over one :class:`fenji.model.ScanResult`: the JSON contract, a self-contained
HTML file, SARIF 2.1.0 and Rich tables. Every ``write_*`` renders fully first, then writes
atomically (or to stdout when the path is None)."""

from fenji.report.charts import GRADE_COLOURS, grade_colour, grade_style
from fenji.report.console import print_table
from fenji.report.contract import atomic_write, contract_schema, to_contract, write_json
from fenji.report.html import render_html, write_html
from fenji.report.sarif import to_sarif, write_sarif

__all__ = [
    "GRADE_COLOURS",
    "atomic_write",
    "contract_schema",
    "grade_colour",
    "grade_style",
    "print_table",
    "render_html",
    "to_contract",
    "to_sarif",
    "write_html",
    "write_json",
    "write_sarif",
]
