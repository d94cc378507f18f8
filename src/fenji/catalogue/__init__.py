"""The catalogue: every scan's profiles, grades and individuals sketches, never raw PI values.

>>> from fenji.catalogue import Catalogue
>>> cat = Catalogue("sqlite:///:memory:")
>>> cat.list_scans()
[]
"""

from fenji.catalogue.records import ScanRecord, ScanSummary, TableRecord
from fenji.catalogue.store import Catalogue
from fenji.catalogue.urls import data_dir, default_url, redact, resolve_url

__all__ = [
    "Catalogue",
    "ScanRecord",
    "ScanSummary",
    "TableRecord",
    "data_dir",
    "default_url",
    "redact",
    "resolve_url",
]
