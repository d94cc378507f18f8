"""The error a privacy-computing run raises when the protocol itself fails.

Bad options and unreadable inputs stay ``InputError`` / ``SourceError`` (exit 2). A partner that
disconnects, times out, speaks another protocol version or disagrees on the agreed parameters is
a ``ProtocolError`` (exit 3), so scripts can tell "fix your command" from "the run with the
partner failed". Messages name the party (index and address) and never carry data values.
"""

from __future__ import annotations

from fenji.errors import FenjiError


class ProtocolError(FenjiError):
    """A joint computation failed between the parties (peer gone, timeout, mismatch)."""

    exit_code = 3
