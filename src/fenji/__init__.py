"""fenji (分级): discover, classify and grade personal information under PIPL, DSL and GDPR."""

__version__ = "0.1.0"
