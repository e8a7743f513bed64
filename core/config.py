"""``takuso.toml``: the deployment's configuration (設定), loaded into frozen dataclasses.

Every option is documented once, in ``takuso.example.toml`` at the repository root. Relative paths in
the file are relative to the folder of the file. Errors are :class:`ConfigError` naming the file, the
TSO table and the key; a client certificate that expires within 30 days is logged as a warning.

Secrets: the PKCS#12 passphrase is never in the file. It comes from an environment variable
(``pkcs12_password_env``) or from a file only its owner can read (``pkcs12_password_file``), is read
only when needed, and never appears in a log record, an exception message or a ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.areas import AREAS
from core.certs import (
    EXPIRY_WARNING_DAYS,
    CertificateError,
    ClientIdentity,
    load_pem_pair,
    load_pkcs12,
    password_from_env,
    password_from_file,
)
from core.kinds import KINDS_BY_NAME, MESSAGE_KINDS
from core.paths import resolve_warehouse

log = logging.getLogger(__name__)

DEFAULT_CONFIG_NAME = "takuso.toml"
ADAPTERS = ("generic", "html_list", "kansai")
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
COMPANY_AREA_PLACEHOLDER = ":company_area_code"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which file, TSO and key, and what to do."""


@dataclass(frozen=True)
class ClientCertConfig:
    """Where a TSO's client certificate (クライアント証明書) comes from: PKCS#12 or a PEM pair."""

    pkcs12: Path | None = None
    pkcs12_password_env: str | None = None
    pkcs12_password_file: Path | None = None
    cert_pem: Path | None = None
    key_pem: Path | None = None

    def password(self) -> bytes:
        """Read the PKCS#12 passphrase now (environment or owner-only file); never cached, never logged."""
        if self.pkcs12_password_env:
            return password_from_env(self.pkcs12_password_env)
        if self.pkcs12_password_file:
            return password_from_file(self.pkcs12_password_file)
        raise CertificateError("no pkcs12_password_env or pkcs12_password_file for the PKCS#12 file")

    def load(self) -> ClientIdentity:
        """Load the key and certificate into memory (raises :class:`core.certs.CertificateError`)."""
        if self.pkcs12 is not None:
            return load_pkcs12(self.pkcs12, self.password())
        if self.cert_pem is not None and self.key_pem is not None:
            return load_pem_pair(self.cert_pem, self.key_pem)
        raise CertificateError("no client certificate configured (pkcs12, or cert_pem + key_pem)")


@dataclass(frozen=True)
class TsoConfig:
    """One area's download settings (``[tso."03"]``)."""

    area_code: str
    base_url: str
    client_cert: ClientCertConfig
    enabled: bool = True
    adapter: str = "generic"  # 'generic' (§4), 'html_list' (Shikoku, §5) or 'kansai' (§6)
    path_prefix: str = ""  # with ':company_area_code' already replaced
    account: str = "default"  # download_account: which retailer certificate
    ca_bundle: Path | None = None  # None: the system's trusted CAs
    min_tls: str = "1.2"
    kinds: tuple[str, ...] = tuple(KINDS_BY_NAME)
    max_connections: int = 2
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0
    file_deadline_s: float = 600.0  # one download attempt (listing or file), however slowly it trickles
    tso_deadline_s: float = 3600.0  # the whole pull of this TSO, retries included

    @property
    def endpoint(self) -> str:
        """``base_url`` + ``path_prefix``, without a trailing slash."""
        return self.base_url.rstrip("/") + self.path_prefix


@dataclass(frozen=True)
class PullSettings:
    """What the TSO client (取得) needs from ``takuso.toml``: the TSOs to pull, in area order, and whether
    only loopback hosts may be reached (the demo and the tests)."""

    tsos: tuple[TsoConfig, ...]
    loopback_only: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    """``[schedule]``: when ``takuso serve`` runs the nightly flow."""

    cron: str = "0 3 * * *"
    timezone: str = "Asia/Tokyo"


@dataclass(frozen=True)
class FlowConfig:
    """``[flow]``: where the nightly flow prepares files (``--task-runner`` and the environment win)."""

    task_runner: str = "local"  # 'local' (this machine's cores) or 'dask'
    dask_address: str | None = None  # scheduler address, e.g. "tcp://10.0.0.5:8786"; None: a local cluster


@dataclass(frozen=True)
class ReconcileConfig:
    """``[reconcile]``: the tolerance is kept as a decimal string (never a float); ``tariffs`` is a tariff
    file or folder merged over the shipped tables (``rate_status`` user, or example for the demo's)."""

    tolerance_kwh: str = "0.5"
    tariffs: Path | None = None

    @property
    def tolerance(self) -> Decimal:
        return Decimal(self.tolerance_kwh)


@dataclass(frozen=True)
class Config:
    """The whole ``takuso.toml``."""

    retailer_code: str  # 4-character company code (事業者コード without its area character)
    tsos: Mapping[str, TsoConfig] = field(default_factory=dict)
    warehouse: Path | None = None
    inbox: Path | None = None
    csv_aliases: Path | None = None
    schedule: ScheduleConfig = ScheduleConfig()
    reconcile: ReconcileConfig = ReconcileConfig()
    flow: FlowConfig = FlowConfig()
    loopback_only: bool = False  # test/demo mode: refuse hosts that are not 127.0.0.0/8 or ::1
    source: Path | None = None  # the file it was loaded from; None for embedded configs

    def company_code(self, area_code: str) -> str:
        """The 5-character company code of the retailer in an area (tso-download.md §9 C2)."""
        return self.retailer_code + AREAS[area_code].company_area_char

    def selected_tsos(self, areas: Iterable[str] | None = None) -> list[TsoConfig]:
        """Enabled TSOs in area order, restricted to ``areas`` when given (unknown codes are an error)."""
        if areas is None:
            return [t for _, t in sorted(self.tsos.items()) if t.enabled]
        wanted = list(dict.fromkeys(areas))
        missing = [a for a in wanted if a not in self.tsos]
        if missing:
            where = self.source or "the configuration"
            raise ConfigError(f'{where}: area(s) {", ".join(missing)} have no [tso."NN"] table')
        return [self.tsos[a] for a in sorted(wanted)]

    def pull_settings(self, areas: Iterable[str] | None = None) -> PullSettings:
        """The client's settings for the enabled TSOs, or for ``areas`` (see :meth:`selected_tsos`)."""
        return PullSettings(tuple(self.selected_tsos(areas)), self.loopback_only)


# --------------------------------------------------------------------------------------------- loading

_TOP_KEYS = {
    "retailer_code",
    "warehouse_dir",
    "warehouse",
    "inbox",
    "csv_aliases",
    "schedule",
    "reconcile",
    "flow",
    "tso",
    "loopback_only",
}
_FLOW_KEYS = {"task_runner", "dask_address"}
_SCHEDULE_KEYS = {"cron", "timezone"}
_RECONCILE_KEYS = {"tolerance_kwh", "tariffs"}
_TSO_KEYS = {
    "enabled",
    "base_url",
    "adapter",
    "path_prefix",
    "account",
    "pkcs12",
    "pkcs12_password_env",
    "pkcs12_password_file",
    "cert_pem",
    "key_pem",
    "ca_bundle",
    "min_tls",
    "kinds",
    "max_connections",
    "timeout_s",
    "retries",
    "backoff_s",
    "file_deadline_s",
    "tso_deadline_s",
}
_ACCOUNT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Reader:
    """Typed access to one TOML table with error messages that name file, table and key."""

    def __init__(self, source: Path, table: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        self.source, self.table, self.data = source, table, data
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.error(unknown[0], f"unknown key; allowed keys: {', '.join(sorted(allowed))}")

    def error(self, key: str, message: str) -> ConfigError:
        where = f"[{self.table}] " if self.table else ""
        return ConfigError(f"{self.source}: {where}key {key!r}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise self.error(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def path(self, key: str) -> Path | None:
        value = self.get(key, str)
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.source.parent / p)

    def positive(self, key: str, kind: type, default: Any) -> Any:
        value = self.get(key, (int, float) if kind is float else int, default)
        if value <= 0 and not (key == "retries" and value == 0):
            raise self.error(key, f"must be positive, got {value!r}")
        return kind(value)


def default_config_path() -> Path:
    """``./takuso.toml`` in the current folder."""
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_config(path: Path | None = None, *, check_certificates: bool = True) -> Config:
    """Load and validate ``takuso.toml`` (default ``./takuso.toml``).

    With ``check_certificates`` every enabled TSO's client certificate is opened now (so a missing file,
    a wrong passphrase or an expired certificate fails before any download) and a certificate expiring
    within 30 days is logged as a warning.
    """
    source = Path(path) if path is not None else default_config_path()
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        hint = "" if path is not None else " (pass --config FILE; see takuso.example.toml)"
        raise ConfigError(f"{source}: configuration file not found{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the configuration file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    config = parse_config(raw, source)
    check_csv_aliases(config)
    if check_certificates:
        check_tso_certificates(config)
    return config


def check_csv_aliases(config: Config) -> None:
    """The ``csv_aliases`` file, when named, exists and is TOML (its content is checked by the CSV reader)."""
    path = config.csv_aliases
    if path is None:
        return
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config.source}: key 'csv_aliases': {path}: file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config.source}: key 'csv_aliases': {path}: {exc}") from None


def load_optional_config(path: Path | None = None) -> Config | None:
    """``--config FILE`` (which must exist), else ``./takuso.toml`` when there is one, else None.

    For the commands that work without a configuration (``ingest``, ``validate``); certificates are
    not opened, since these commands download nothing.
    """
    if path is None and not default_config_path().is_file():
        return None
    return load_config(path, check_certificates=False)


def parse_config(raw: Mapping[str, Any], source: Path) -> Config:
    """Build a :class:`Config` from parsed TOML (no file-system checks besides path resolution)."""
    top = _Reader(source, "", raw, _TOP_KEYS)
    retailer = top.get("retailer_code", str)
    if retailer is None:
        raise top.error("retailer_code", 'missing; your 4-character company code (事業者コード), e.g. "9999"')
    if not re.fullmatch(r"[A-Za-z0-9]{4}", retailer):
        raise top.error("retailer_code", f"expected 4 letters or digits (without the area character), got {retailer!r}")
    sched = _Reader(source, "schedule", top.get("schedule", dict, {}), _SCHEDULE_KEYS)
    schedule = ScheduleConfig(
        cron=sched.get("cron", str, ScheduleConfig.cron),
        timezone=sched.get("timezone", str, ScheduleConfig.timezone),
    )
    rec = _Reader(source, "reconcile", top.get("reconcile", dict, {}), _RECONCILE_KEYS)
    tolerance = str(rec.get("tolerance_kwh", (str, int), ReconcileConfig.tolerance_kwh))
    try:
        if Decimal(tolerance) < 0:
            raise InvalidOperation
    except InvalidOperation:
        raise rec.error(
            "tolerance_kwh", f'expected a non-negative decimal string such as "0.5", got {tolerance!r}'
        ) from None
    fl = _Reader(source, "flow", top.get("flow", dict, {}), _FLOW_KEYS)
    flow_cfg = FlowConfig(
        task_runner=fl.get("task_runner", str, FlowConfig.task_runner), dask_address=fl.get("dask_address", str, None)
    )
    if flow_cfg.task_runner not in ("local", "dask"):
        raise fl.error("task_runner", f'expected "local" or "dask", got {flow_cfg.task_runner!r}')
    tso_tables = top.get("tso", dict, {})
    tsos: dict[str, TsoConfig] = {}
    for code, table in tso_tables.items():
        if code not in AREAS:
            raise ConfigError(f"{source}: [tso.{code!r}]: unknown area code; expected one of {', '.join(AREAS)}")
        if not isinstance(table, dict):
            raise ConfigError(f'{source}: tso.{code!r} must be a table [tso."{code}"]')
        tsos[code] = _parse_tso(source, code, table, retailer)
    return Config(
        retailer_code=retailer,
        tsos=tsos,
        warehouse=top.path("warehouse_dir") or top.path("warehouse"),
        inbox=top.path("inbox"),
        csv_aliases=top.path("csv_aliases"),
        schedule=schedule,
        reconcile=ReconcileConfig(tolerance, rec.path("tariffs")),
        flow=flow_cfg,
        loopback_only=top.get("loopback_only", bool, False),
        source=source,
    )


def _parse_tso(source: Path, code: str, table: Mapping[str, Any], retailer: str) -> TsoConfig:
    r = _Reader(source, f'tso."{code}"', table, _TSO_KEYS)
    enabled = r.get("enabled", bool, True)
    base_url = r.get("base_url", str, "")
    if enabled and not base_url:
        raise r.error("base_url", "missing; the portal's https:// address")
    if base_url and not base_url.lower().startswith("https://"):
        raise r.error("base_url", f"must start with https:// (client-certificate TLS), got {base_url!r}")
    adapter = r.get("adapter", str, AREAS[code].adapter)
    if adapter not in ADAPTERS:
        raise r.error("adapter", f"expected one of {', '.join(ADAPTERS)}, got {adapter!r}")
    prefix = r.get("path_prefix", str, "")
    prefix = prefix.replace(COMPANY_AREA_PLACEHOLDER, retailer + AREAS[code].company_area_char).rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise r.error("path_prefix", f"must start with '/', got {prefix!r}")
    account = r.get("account", str, "default")
    if not _ACCOUNT.fullmatch(account) or ".." in account:
        raise r.error("account", f"use letters, digits, '_', '-' or '.' (it names a folder), got {account!r}")
    min_tls = str(r.get("min_tls", (str, float), "1.2"))
    if min_tls not in TLS_VERSIONS:
        raise r.error("min_tls", f"expected one of {', '.join(TLS_VERSIONS)}, got {min_tls!r}")
    kinds_raw = r.get("kinds", list, None)
    kinds = tuple(KINDS_BY_NAME) if kinds_raw is None else tuple(_kind_name(r, k) for k in kinds_raw)
    cert = _parse_cert(r, required=enabled)
    ca_bundle = r.path("ca_bundle")
    return TsoConfig(
        area_code=code,
        enabled=enabled,
        base_url=base_url.rstrip("/"),
        adapter=adapter,
        path_prefix=prefix,
        account=account,
        client_cert=cert,
        ca_bundle=ca_bundle,
        min_tls=min_tls,
        kinds=kinds,
        max_connections=r.positive("max_connections", int, 2),
        timeout_s=r.positive("timeout_s", float, 60.0),
        retries=r.positive("retries", int, 3),
        backoff_s=r.positive("backoff_s", float, 1.0),
        file_deadline_s=r.positive("file_deadline_s", float, TsoConfig.file_deadline_s),
        tso_deadline_s=r.positive("tso_deadline_s", float, TsoConfig.tso_deadline_s),
    )


def _kind_name(r: _Reader, value: object) -> str:
    if isinstance(value, str):
        if value in KINDS_BY_NAME:
            return value
        if value in MESSAGE_KINDS:
            return MESSAGE_KINDS[value].name
    raise r.error("kinds", f"unknown message kind {value!r}; use names such as {', '.join(list(KINDS_BY_NAME)[:3])}…")


def _parse_cert(r: _Reader, *, required: bool) -> ClientCertConfig:
    cert = ClientCertConfig(
        pkcs12=r.path("pkcs12"),
        pkcs12_password_env=r.get("pkcs12_password_env", str),
        pkcs12_password_file=r.path("pkcs12_password_file"),
        cert_pem=r.path("cert_pem"),
        key_pem=r.path("key_pem"),
    )
    if cert.pkcs12 is not None:
        if cert.cert_pem or cert.key_pem:
            raise r.error("pkcs12", "give either pkcs12 or cert_pem + key_pem, not both")
        if bool(cert.pkcs12_password_env) == bool(cert.pkcs12_password_file):
            raise r.error(
                "pkcs12_password_env",
                "give exactly one of pkcs12_password_env (an environment variable NAME) or pkcs12_password_file",
            )
        if cert.pkcs12_password_env and not _ENV_NAME.fullmatch(cert.pkcs12_password_env):
            # Guard against a passphrase pasted where the variable name belongs; do not echo it.
            raise r.error("pkcs12_password_env", "must be the NAME of an environment variable, not the passphrase")
    elif cert.cert_pem or cert.key_pem:
        if not (cert.cert_pem and cert.key_pem):
            raise r.error("cert_pem" if not cert.cert_pem else "key_pem", "cert_pem and key_pem go together")
    elif required:
        raise r.error("pkcs12", "no client certificate: set pkcs12 (+ pkcs12_password_env), or cert_pem + key_pem")
    return cert


def check_tso_certificates(config: Config, now: datetime | None = None) -> None:
    """Open every enabled TSO's certificate and CA bundle; raise on problems, warn when expiry is near."""
    now = now or datetime.now(UTC)
    source = config.source or "embedded configuration"
    for tso in config.selected_tsos():
        table = f'[tso."{tso.area_code}"]'
        cert = tso.client_cert
        key = "pkcs12" if cert.pkcs12 is not None else "cert_pem"
        try:
            if cert.pkcs12 is not None:
                try:
                    password = cert.password()
                except CertificateError as exc:
                    pw_key = "pkcs12_password_env" if cert.pkcs12_password_env else "pkcs12_password_file"
                    raise ConfigError(f"{source}: {table} key {pw_key!r}: {exc}") from None
                identity = load_pkcs12(cert.pkcs12, password)
                del password
            else:
                identity = cert.load()
        except CertificateError as exc:
            raise ConfigError(f"{source}: {table} key {key!r}: {exc}") from None
        days = identity.days_left(now)
        expiry = identity.not_after.date().isoformat()
        if days <= 0:
            raise ConfigError(
                f"{source}: {table} key {key!r}: client certificate {identity.subject!r} ({identity.source}) "
                f"expired on {expiry}; renew it (OCCTO account) and replace the file"
            )
        if days <= EXPIRY_WARNING_DAYS:
            log.warning(
                "%s: %s client certificate %r (%s) expires on %s, in %d day(s); renew it soon",
                source,
                table,
                identity.subject,
                identity.source,
                expiry,
                int(days),
            )
        if tso.ca_bundle is not None and not tso.ca_bundle.is_file():
            raise ConfigError(f"{source}: {table} key 'ca_bundle': {tso.ca_bundle} does not exist")


# ------------------------------------------------------------------------------------- demo / embedded


def demo_config(
    base_url: str,
    *,
    client_cert: Path,
    client_key: Path,
    ca_bundle: Path,
    areas: Iterable[str] | None = None,
    warehouse: Path | None = None,
    retailer_code: str = "9999",
    retries: int = 2,
    backoff_s: float = 0.2,
    timeout_s: float = 10.0,
    tariffs: Path | None = None,
) -> Config:
    """The embedded configuration of ``takuso demo``: every area against one loopback simulator.

    ``tariffs`` is the demo's own tariff file (the sample's example rates), merged over the shipped ones.

    ``base_url`` is the simulator's (``https://127.0.0.1:PORT``); area ``NN`` lives under ``/NN``. The
    client certificate and CA are the simulator's generated test PKI. Loopback-only mode is on.
    """
    codes = list(areas) if areas is not None else list(AREAS)
    unknown = [c for c in codes if c not in AREAS]
    if unknown:
        raise ConfigError(f"demo configuration: unknown area code(s) {', '.join(unknown)}")
    cert = ClientCertConfig(cert_pem=client_cert, key_pem=client_key)
    tsos = {
        code: TsoConfig(
            area_code=code,
            base_url=base_url.rstrip("/"),
            client_cert=cert,
            adapter=AREAS[code].adapter,
            path_prefix=f"/{code}",
            ca_bundle=ca_bundle,
            retries=retries,
            backoff_s=backoff_s,
            timeout_s=timeout_s,
        )
        for code in codes
    }
    return Config(
        retailer_code=retailer_code,
        tsos=tsos,
        warehouse=warehouse,
        reconcile=ReconcileConfig(tariffs=tariffs),
        loopback_only=True,
    )


def pick_warehouse(option: Path | None, config: Config) -> Path:
    """``--warehouse``, else ``$TAKUSO_WAREHOUSE``, else the config's ``warehouse_dir``, else ``./takuso-warehouse``."""
    if option is None and not os.environ.get("TAKUSO_WAREHOUSE") and config.warehouse is not None:
        return config.warehouse
    return resolve_warehouse(option, config.source)
