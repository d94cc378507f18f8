"""Records an organisation must be able to show (PIPL Art. 69): consent ledger, rights requests
and their execution, incidents with their clocks, PIA register, and a tamper-evident log.

Kept light on purpose (the catalogue's migrations import ``fenji.records.models``); import the
submodules: ``consent``, ``rights``, ``execute``, ``incidents``, ``log``, ``ropa``.
"""
