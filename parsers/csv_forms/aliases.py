"""The declarative alias map (別名定義): loading, merging user files and area overlays, csv-forms.md §6.1.

The built-in map is ``aliases.toml`` in this package. A user file extends or overrides it (the user
wins): alias lists, wide patterns and file-name patterns are *extended*; every other value is
replaced. An area overlay ``[areas."03".forms.<form_id>]`` is merged the same way for that area only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from parsers.csv_forms.normalize import nfkc, normalize_header

BUILTIN_ALIASES = "aliases.toml"
FORM_IDS: tuple[str, ...] = (
    "generator_allocated_energy",
    "contract_demand_breakdown",
    "curtailment_discounts",
)
TYPES = frozenset(
    {
        "point_id",
        "string",
        "date",
        "month",
        "slot",
        "quantity",
        "yen",
        "rate",
        "days",
        "items",
        "timestamp",
        "check_total",
    }
)
_EXTENDED_LIST_PARENTS = frozenset({"aliases", "columns"})
_EXTENDED_LIST_KEYS = frozenset({"filename_patterns"})


class AliasConfigError(ValueError):
    """The alias map is inconsistent (unknown type, an alias claimed by two columns, a bad regex …)."""


@dataclass(frozen=True)
class CheckTotal:
    """A check-total column (日計/月計) compared with the sum of ``sum`` per ``per`` group."""

    column: str
    sum: str
    per: tuple[str, ...]
    tolerance: Decimal


@dataclass(frozen=True)
class WideSpec:
    """Repeated column groups (横持ち列): canonical column → header regexes; ``index_column`` gets n."""

    columns: dict[str, tuple[re.Pattern[str], ...]]
    index_column: str | None

    @property
    def provides(self) -> frozenset[str]:
        """Columns counted as present when at least one wide column is in the header."""
        cols = set(self.columns)
        if self.index_column:
            cols.add(self.index_column)
        return frozenset(cols)


@dataclass(frozen=True)
class FormSpec:
    """Everything the reader needs to know about one form (帳票) in one area."""

    form_id: str
    name_ja: str
    required: tuple[str, ...]
    not_null: tuple[str, ...]
    key: tuple[str, ...]
    types: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    lookup: dict[str, str]  # normalized header → canonical column
    values: dict[str, dict[str, str]]  # column → normalized received text → canonical value
    wide: WideSpec | None
    check_totals: tuple[CheckTotal, ...]
    per_point_key: tuple[str, ...]
    per_point_columns: tuple[str, ...]
    window: tuple[str, str, int] | None  # (column, anchor, months)
    ordered: tuple[tuple[str, str], ...]
    periods: tuple[tuple[tuple[str, ...], str, str], ...]  # (key columns, start, end): no two rows overlap
    month_column: str | None
    month_from_date: str | None
    filename_patterns: tuple[re.Pattern[str], ...]
    header_search_lines: int
    empty_without_header: bool
    encoding: str | None
    delimiter: str
    quotechar: str
    max_problems_per_rule: int

    @property
    def output_columns(self) -> tuple[str, ...]:
        """Canonical columns stored in the table, in declared order (check totals excluded)."""
        return tuple(c for c, t in self.types.items() if t != "check_total")


def merge(base: dict[str, Any], over: dict[str, Any], *, parent: str = "") -> dict[str, Any]:
    """Deep-merge ``over`` onto ``base`` (the user wins); alias and pattern lists are extended."""
    out = dict(base)
    for key, value in over.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            out[key] = merge(current, value, parent=key)
        elif (
            isinstance(current, list)
            and isinstance(value, list)
            and (parent in _EXTENDED_LIST_PARENTS or key in _EXTENDED_LIST_KEYS)
        ):
            out[key] = list(dict.fromkeys([*value, *current]))
        else:
            out[key] = value
    return out


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Any]:
    text = resources.files("parsers.csv_forms").joinpath(BUILTIN_ALIASES).read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_config(aliases_file: Path | None = None) -> dict[str, Any]:
    """The built-in alias map, with ``aliases_file`` (a user TOML file) merged on top when given."""
    config = _builtin()
    if aliases_file is None:
        return config
    try:
        user = tomllib.loads(Path(aliases_file).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise AliasConfigError(f"cannot read alias file {aliases_file}: {e}") from None
    return merge(config, user)


def form_spec(form_id: str, area_code: str | None = None, config: dict[str, Any] | None = None) -> FormSpec:
    """Build the :class:`FormSpec` of ``form_id`` for ``area_code`` (area overlay applied)."""
    config = config if config is not None else load_config()
    forms = config.get("forms", {})
    if form_id not in forms:
        raise AliasConfigError(f"unknown form {form_id!r}; known: {', '.join(forms)}")
    raw: dict[str, Any] = forms[form_id]
    area_cfg: dict[str, Any] = config.get("areas", {}).get(area_code, {}) if area_code else {}
    overlay = area_cfg.get("forms", {}).get(form_id)
    if overlay:
        raw = merge(raw, overlay)
    encoding = raw.get("encoding") or area_cfg.get("encoding")
    return _build(form_id, raw, config, encoding)


def all_form_ids(config: dict[str, Any] | None = None) -> tuple[str, ...]:
    config = config if config is not None else load_config()
    return tuple(config.get("forms", {}))


def _compile(patterns: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(nfkc(p), re.IGNORECASE))
        except re.error as e:
            raise AliasConfigError(f"bad regex {p!r} in {where}: {e}") from None
    return tuple(compiled)


def _value_key(text: str) -> str:
    return nfkc(text).strip()


def _build(form_id: str, raw: dict[str, Any], config: dict[str, Any], encoding: str | None) -> FormSpec:
    where = f"forms.{form_id}"
    types: dict[str, str] = dict(raw.get("types", {}))
    for column, type_name in types.items():
        if type_name not in TYPES:
            raise AliasConfigError(f"{where}.types.{column}: unknown type {type_name!r}")
    required = tuple(raw.get("required", ()))
    for column in (*required, *raw.get("not_null", ()), *raw.get("key", ())):
        if column not in types:
            raise AliasConfigError(f"{where}: column {column!r} has no type")

    aliases: dict[str, tuple[str, ...]] = {}
    lookup: dict[str, str] = {}
    for column in types:
        variants = tuple(raw.get("aliases", {}).get(column, ()))
        aliases[column] = variants
        for header in (column, *variants):
            key = normalize_header(header)
            owner = lookup.setdefault(key, column)
            if owner != column:
                raise AliasConfigError(f"{where}: header {header!r} is an alias of both {owner!r} and {column!r}")
    unknown = set(raw.get("aliases", {})) - set(types)
    if unknown:
        raise AliasConfigError(f"{where}.aliases: columns without a type: {', '.join(sorted(unknown))}")

    values = {
        column: {_value_key(k): v for k, v in mapping.items()} for column, mapping in raw.get("values", {}).items()
    }

    wide_raw = raw.get("wide")
    wide = None
    if wide_raw and wide_raw.get("columns"):
        wide = WideSpec(
            columns={c: _compile(list(p), f"{where}.wide.columns.{c}") for c, p in wide_raw["columns"].items()},
            index_column=wide_raw.get("index_column"),
        )

    check_totals = tuple(
        CheckTotal(column, spec["sum"], tuple(spec.get("per", ())), Decimal(str(spec.get("tolerance", "0"))))
        for column, spec in raw.get("check_totals", {}).items()
    )
    per_point = raw.get("per_point", {})
    window_raw = raw.get("window")
    window = (window_raw["column"], window_raw["anchor"], int(window_raw["months"])) if window_raw else None

    return FormSpec(
        form_id=form_id,
        name_ja=raw.get("name_ja", form_id),
        required=required,
        not_null=tuple(raw.get("not_null", ())),
        key=tuple(raw.get("key", ())),
        types=types,
        aliases=aliases,
        lookup=lookup,
        values=values,
        wide=wide,
        check_totals=check_totals,
        per_point_key=tuple(per_point.get("key", ())),
        per_point_columns=tuple(per_point.get("columns", ())),
        window=window,
        ordered=tuple((a, b) for a, b in raw.get("ordered", ())),
        periods=tuple((tuple(p["key"]), p["start"], p["end"]) for p in raw.get("periods", ())),
        month_column=raw.get("month_column"),
        month_from_date=raw.get("month_from_date"),
        filename_patterns=_compile(list(raw.get("filename_patterns", ())), f"{where}.filename_patterns"),
        header_search_lines=int(raw.get("header_search_lines", config.get("header_search_lines", 20))),
        empty_without_header=bool(raw.get("empty_without_header", False)),
        encoding=encoding,
        delimiter=str(raw.get("delimiter", config.get("delimiter", ","))),
        quotechar=str(raw.get("quotechar", config.get("quotechar", '"'))),
        max_problems_per_rule=int(raw.get("max_problems_per_rule", config.get("max_problems_per_rule", 1000))),
    )
