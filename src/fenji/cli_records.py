"""``fenji consent | rights | incident | records``: the Typer sub-apps of fenji.records.

Register them in ``fenji.cli``::

    from fenji.cli_records import consent_app, incident_app, records_app, rights_app
    app.add_typer(consent_app, name="consent")
    app.add_typer(rights_app, name="rights")
    app.add_typer(incident_app, name="incident")
    app.add_typer(records_app, name="records")
"""

from __future__ import annotations

from fenji.records.cli_consent import consent_app
from fenji.records.cli_incident import incident_app
from fenji.records.cli_log import records_app
from fenji.records.cli_rights import rights_app

__all__ = ["consent_app", "incident_app", "records_app", "rights_app"]
