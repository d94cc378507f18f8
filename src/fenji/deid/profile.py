"""De-identification profiles: column -> operator + parameters, stored as YAML for review.

```yaml
fenji_profile: 1
unlisted: error            # columns the profile does not name: error | keep | drop
k_anonymity: {k: 5, max_suppression: 0.05}
columns:
  身份证号: {role: direct, operator: pseudonymize, params: {format: token}}
  出生日期: {role: quasi, operator: generalize, params: {kind: date, to: year}}
  诊断: {role: sensitive, operator: keep}
```
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from fenji.deid.ladders import build_ladder
from fenji.deid.operators import OPERATORS, validate_params
from fenji.errors import ConfigError, InputError, choices
from fenji.model import ColumnProfile

ROLES = ("direct", "quasi", "sensitive")
UNLISTED = ("error", "keep", "drop")
FORMAT_VERSION = 1

# Roles for info types when the scan gave none (GB/T 42460-2023 Annex A direct, Annex B quasi).
DEFAULT_ROLES = {
    **dict.fromkeys(
        [
            "PERSON_NAME",
            "CN_RESIDENT_ID",
            "CN_MOBILE_PHONE",
            "CN_LANDLINE_PHONE",
            "EMAIL_ADDRESS",
            "BANK_CARD_NUMBER",
            "CN_PASSPORT",
            "CN_HMT_PERMIT",
            "HK_ID_CARD",
            "TW_ID_CARD",
            "CN_LICENSE_PLATE",
            "VIN",
            "IMEI",
            "MAC_ADDRESS",
            "IP_ADDRESS",
            "DEVICE_ID",
            "WECHAT_ID",
            "QQ_NUMBER",
            "BIOMETRIC",
            "CREDENTIAL",
            "ADDRESS",
        ],
        "direct",
    ),
    **dict.fromkeys(
        ["DATE_OF_BIRTH", "GENDER", "ETHNICITY", "RELIGION", "GPS_COORDINATE"], "quasi"
    ),
    **dict.fromkeys(["HEALTH_INFO", "FINANCIAL_ACCOUNT_INFO"], "sensitive"),
}
# Direct identifiers that carry no analytic value as pseudonyms: blank them.
SUPPRESS_DIRECT = ("CREDENTIAL", "BIOMETRIC")


@dataclass(frozen=True)
class Rule:
    """What to do with one column."""

    column: str
    operator: str
    params: Mapping[str, Any] = field(default_factory=dict)
    role: str | None = None  # direct | quasi | sensitive (GB/T 42460-2023 roles)
    info_type: str | None = None  # what the scan found, kept for the reviewer
    note: str = ""  # why --auto chose this rule


@dataclass(frozen=True)
class Profile:
    """A whole de-identification profile."""

    rules: tuple[Rule, ...]
    k: int | None = None
    max_suppression: float = 0.05
    unlisted: str = "error"
    source: str = "<profile>"

    def rule(self, column: str) -> Rule | None:
        """The rule for ``column``, if the profile names it."""
        return next((r for r in self.rules if r.column == column), None)

    def columns_with(self, role: str) -> tuple[str, ...]:
        """Columns declared with ``role``."""
        return tuple(r.column for r in self.rules if r.role == role)

    @property
    def needs_key(self) -> bool:
        """Whether any rule uses a keyed operator (hash, pseudonymize, date_shift)."""
        return any(OPERATORS[r.operator].needs_key for r in self.rules)


_TOP_KEYS = ("fenji_profile", "unlisted", "k_anonymity", "columns")
_RULE_KEYS = ("operator", "params", "role", "info_type", "note")


def parse_profile(data: Any, source: str) -> Profile:
    """Validate a profile read from YAML (``source`` names the file in messages)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a profile is a mapping with keys {choices(_TOP_KEYS)}")
    unknown = set(data) - set(_TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {choices(map(str, unknown))}; valid keys: "
            f"{choices(_TOP_KEYS)}"
        )
    if data.get("fenji_profile", FORMAT_VERSION) != FORMAT_VERSION:
        raise ConfigError(f"{source}: fenji_profile must be {FORMAT_VERSION}")
    unlisted = data.get("unlisted", "error")
    if unlisted not in UNLISTED:
        raise ConfigError(f"{source}: unlisted must be one of {choices(UNLISTED)}")
    k, max_suppression = _parse_k(data.get("k_anonymity"), source)
    columns = data.get("columns")
    if not isinstance(columns, Mapping) or not columns:
        raise ConfigError(f"{source}: 'columns' must map each column name to a rule")
    rules = []
    for name, body in columns.items():
        where = f"{source}, column {str(name)!r}"
        if not isinstance(body, Mapping):
            raise ConfigError(f"{where}: a rule is a mapping with keys {choices(_RULE_KEYS)}")
        extra = set(body) - set(_RULE_KEYS)
        if extra:
            raise ConfigError(
                f"{where}: unknown key(s) {choices(map(str, extra))}; valid: {choices(_RULE_KEYS)}"
            )
        role = body.get("role")
        if role is not None and role not in ROLES:
            raise ConfigError(f"{where}: role must be one of {choices(ROLES)} (or absent)")
        operator = str(body.get("operator", ""))
        params = validate_params(operator, body.get("params"), where)
        rules.append(
            Rule(str(name), operator, params, role, body.get("info_type"), body.get("note", ""))
        )
    return Profile(tuple(rules), k, max_suppression, unlisted, source)


def _parse_k(block: Any, source: str) -> tuple[int | None, float]:
    if block is None:
        return None, 0.05
    if not isinstance(block, Mapping) or set(block) - {"k", "max_suppression"}:
        raise ConfigError(f"{source}: k_anonymity takes keys k, max_suppression")
    k = block.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise ConfigError(f"{source}: k_anonymity.k must be an integer >= 2")
    share = block.get("max_suppression", 0.05)
    if not isinstance(share, int | float) or not 0 <= share < 1:
        raise ConfigError(f"{source}: k_anonymity.max_suppression must be in [0, 1)")
    return k, float(share)


def load_profile(path: Path | str) -> Profile:
    """Read and validate a profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"profile {path}: cannot read it ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"profile {path}: not valid YAML{where}") from None
    return parse_profile(data, f"profile {path}")


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The YAML-ready form of a profile."""
    out: dict[str, Any] = {"fenji_profile": FORMAT_VERSION, "unlisted": profile.unlisted}
    if profile.k is not None:
        out["k_anonymity"] = {"k": profile.k, "max_suppression": profile.max_suppression}
    columns: dict[str, Any] = {}
    for rule in profile.rules:
        body: dict[str, Any] = {}
        if rule.role:
            body["role"] = rule.role
        if rule.info_type:
            body["info_type"] = rule.info_type
        body["operator"] = rule.operator
        if rule.params:
            body["params"] = dict(rule.params)
        if rule.note:
            body["note"] = rule.note
        columns[rule.column] = body
    out["columns"] = columns
    return out


_HEADER = """\
# fenji de-identification profile: review before use.
# Each column: operator + params; role = direct | quasi | sensitive (GB/T 42460-2023).
# Operators: {ops}. See docs/deidentify.md.
"""


def save_profile(profile: Profile, path: Path | str, *, overwrite: bool = False) -> Path:
    """Write a profile as YAML atomically (temp file, then rename); never clobber by default."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"profile {path} already exists; choose another path or pass --force")
    text = _HEADER.format(ops=", ".join(OPERATORS)) + yaml.safe_dump(
        profile_to_dict(profile), allow_unicode=True, sort_keys=False, width=100
    )
    write_text_atomic(path, text)
    return path


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def auto_profile(columns: Sequence[ColumnProfile], *, data: pl.DataFrame | None = None) -> Profile:
    """Build a profile from scan results: direct identifiers pseudonymised or suppressed,
    quasi-identifiers generalised one step (``--k`` then searches further), sensitive
    attributes kept and declared, everything else kept.

    ``data`` (a sample of the table) lets quasi-identifiers without a telling info type get a
    ladder from their values (numbers -> bins, codes -> prefixes ...).
    """
    rules = []
    for col in columns:
        info = col.info_types[0].type if col.info_types else None
        role = col.role or DEFAULT_ROLES.get(info or "") or ("sensitive" if col.sensitive else None)
        rules.append(_auto_rule(col.name, info, role, data))
    return Profile(tuple(rules), unlisted="error", source="auto profile")


def _auto_rule(name: str, info: str | None, role: str | None, data: pl.DataFrame | None) -> Rule:
    if role == "direct":
        if info in SUPPRESS_DIRECT:
            return Rule(name, "suppress", {}, role, info, "credential/biometric: blanked")
        if info == "ADDRESS":
            # A full address is a direct identifier; its city is a quasi-identifier.
            params = {"kind": "address", "to": "city"}
            return Rule(name, "generalize", params, "quasi", info, "full address cut to city")
        return Rule(
            name,
            "pseudonymize",
            {"format": "token"},
            role,
            info,
            "opaque keyed token; format-kept (reversible) formats exist for IDs, phones, cards",
        )
    if role == "quasi":
        series = data[name] if data is not None and name in data.columns else pl.Series(name, [])
        ladder = build_ladder(series, (info,) if info else ())
        step = ladder.steps[1] if ladder.top > 1 else ladder.steps[0]
        note = f"{ladder.kind} quasi-identifier: {step.label} (the --k search may go further)"
        return Rule(name, step.operator, dict(step.params), role, info, note)
    if role == "sensitive":
        return Rule(name, "keep", {}, role, info, "sensitive attribute: kept and declared")
    return Rule(name, "keep", {}, None, info, "" if info is None else "PI without a role: kept")
