"""``takuso.toml`` loading: defaults, clear errors (file, TSO, key), certificate checks, secrets."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.config import ConfigError, demo_config, load_config
from core.kinds import KINDS_BY_NAME
from tso.pki import LocalPKI, ensure_test_pki, issue_client_files

REPO = Path(__file__).resolve().parents[1]
SECRET = "correct horse battery staple"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPKI:
    return ensure_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def p12(pki: LocalPKI) -> Path:
    """A client PKCS#12 protected by ``SECRET`` (not the default test passphrase)."""
    _, _, path = issue_client_files(
        pki, "secret-client", not_after=datetime.now(UTC) + timedelta(days=400), p12_password=SECRET
    )
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "takuso.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pem_tso(pki: LocalPKI, code: str = "03", extra: str = "") -> str:
    return (
        f'[tso."{code}"]\nbase_url = "https://127.0.0.1:8443"\n'
        f'cert_pem = "{pki.client_cert}"\nkey_pem = "{pki.client_key}"\n{extra}\n'
    )


def p12_tso(p12: Path, code: str = "03", extra: str = "") -> str:
    return (
        f'[tso."{code}"]\nbase_url = "https://127.0.0.1:8443"\n'
        f'pkcs12 = "{p12}"\npkcs12_password_env = "TAKUSO_TEST_P12"\n{extra}\n'
    )


HEAD = 'retailer_code = "9999"\n'


# -- defaults ----------------------------------------------------------------------------------------


def test_defaults(tmp_path: Path, pki: LocalPKI) -> None:
    config = load_config(write(tmp_path, HEAD + pem_tso(pki, "03") + pem_tso(pki, "08")))
    assert config.schedule.cron == "0 3 * * *" and config.schedule.timezone == "Asia/Tokyo"
    assert config.reconcile.tolerance_kwh == "0.5" and config.reconcile.tolerance == Decimal("0.5")
    assert config.warehouse is None and config.inbox is None and config.csv_aliases is None
    tokyo, shikoku = config.tsos["03"], config.tsos["08"]
    assert tokyo.adapter == "generic" and shikoku.adapter == "html_list"  # from core.areas
    assert tokyo.account == "default" and tokyo.min_tls == "1.2" and tokyo.max_connections == 2
    assert tokyo.kinds == tuple(KINDS_BY_NAME) and tokyo.enabled
    assert [t.area_code for t in config.selected_tsos()] == ["03", "08"]
    assert config.company_code("06") == "99996"


def test_all_options(tmp_path: Path, pki: LocalPKI) -> None:
    text = (
        HEAD
        + 'warehouse = "wh"\ninbox = "/srv/inbox"\ncsv_aliases = "aliases.toml"\n'
        + '[schedule]\ncron = "30 4 * * *"\ntimezone = "UTC"\n[reconcile]\ntolerance_kwh = "0.25"\n'
        + pem_tso(
            pki,
            "06",
            'path_prefix = "/takuso/:company_area_code/"\naccount = "bg-2"\nmin_tls = "1.3"\n'
            'kinds = ["low_energy_daily", "1220"]\nmax_connections = 4\ntimeout_s = 12.5\nretries = 0\n'
            f'ca_bundle = "{pki.ca_cert}"\nadapter = "generic"',
        )
    )
    (tmp_path / "aliases.toml").write_text("", encoding="utf-8")  # a named alias file must exist
    config = load_config(write(tmp_path, text))
    assert config.warehouse == tmp_path / "wh"  # relative to the config file
    assert config.inbox == Path("/srv/inbox") and config.csv_aliases == tmp_path / "aliases.toml"
    assert config.schedule.cron == "30 4 * * *" and config.reconcile.tolerance_kwh == "0.25"
    kansai = config.tsos["06"]
    assert kansai.path_prefix == "/takuso/99996"
    assert kansai.endpoint == "https://127.0.0.1:8443/takuso/99996"
    assert kansai.kinds == ("low_energy_daily", "low_monthly_usage")
    assert (kansai.account, kansai.min_tls, kansai.max_connections) == ("bg-2", "1.3", 4)
    assert (kansai.timeout_s, kansai.retries) == (12.5, 0)


def test_the_clients_settings_hold_the_selected_tsos_and_the_loopback_guard(tmp_path: Path, pki: LocalPKI) -> None:
    text = 'retailer_code = "9999"\nloopback_only = true\n' + pem_tso(pki, "08") + pem_tso(pki, "03")
    config = load_config(write(tmp_path, text + '[tso."10"]\nenabled = false\n'))
    settings = config.pull_settings()
    assert [t.area_code for t in settings.tsos] == ["03", "08"] and settings.loopback_only
    assert [t.area_code for t in config.pull_settings(["08"]).tsos] == ["08"]
    with pytest.raises(ConfigError, match="01"):
        config.pull_settings(["01"])


def test_disabled_tso_needs_no_certificate(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, HEAD + '[tso."10"]\nenabled = false\n'))
    assert config.selected_tsos() == []


def test_example_config_parses() -> None:
    config = load_config(REPO / "takuso.example.toml", check_certificates=False)
    assert config.retailer_code == "9999"
    assert config.tsos["08"].adapter == "html_list"


def test_demo_config_points_every_area_at_the_simulator(pki: LocalPKI) -> None:
    config = demo_config(
        "https://127.0.0.1:9999", client_cert=pki.client_cert, client_key=pki.client_key, ca_bundle=pki.ca_cert
    )
    assert config.loopback_only and len(config.tsos) == 10
    assert config.tsos["08"].endpoint == "https://127.0.0.1:9999/08" and config.tsos["08"].adapter == "html_list"
    with pytest.raises(ConfigError, match="99"):
        demo_config("https://127.0.0.1:1", client_cert=pki.client_cert, client_key=pki.client_key,
                    ca_bundle=pki.ca_cert, areas=["99"])  # fmt: skip


# -- errors name file, TSO and key ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: configuration file not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (HEAD + "colour = 'blue'\n", "key 'colour': unknown key"),
        (HEAD + "[schedule]\nkron = '0 3 * * *'\n", "[schedule] key 'kron': unknown key"),
        (HEAD + '[tso."03"]\nbase_url = "https://x"\nverify = false\n', "[tso.\"03\"] key 'verify': unknown key"),
        (HEAD + '[tso."11"]\nbase_url = "https://x"\n', "'11'"),
        ('[tso."03"]\nenabled = false\n', "key 'retailer_code': missing"),
        (HEAD + '[tso."03"]\nbase_url = "http://x"\n', "key 'base_url': must start with https://"),
        (HEAD + '[tso."03"]\nbase_url = "https://x"\n', "key 'pkcs12': no client certificate"),
        (HEAD + '[tso."03"]\nenabled = false\nadapter = "osaka"\n', "key 'adapter'"),
        (HEAD + '[tso."03"]\nenabled = false\nkinds = ["daily"]\n', "key 'kinds': unknown message kind"),
        (HEAD + '[tso."03"]\nenabled = false\nmin_tls = "1.4"\n', "key 'min_tls'"),
        (HEAD + '[tso."03"]\nenabled = false\naccount = "../x"\n', "key 'account'"),
        (HEAD + '[tso."03"]\nenabled = false\nmax_connections = 0\n', "key 'max_connections': must be positive"),
        (HEAD + '[tso."03"]\nenabled = false\ntimeout_s = "60"\n', "key 'timeout_s': expected int or float"),
        (HEAD + '[reconcile]\ntolerance_kwh = "half"\n', "key 'tolerance_kwh'"),
        ("retailer_code = 9999\n", "key 'retailer_code': expected str"),
        ("retailer_code = [\n", "not valid TOML"),
    ],
)
def test_errors_name_file_table_and_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert str(tmp_path / "takuso.toml") in str(info.value)
    assert where in str(info.value)


def test_missing_certificate_file(tmp_path: Path, pki: LocalPKI) -> None:
    text = HEAD + pem_tso(pki).replace(str(pki.client_cert), str(tmp_path / "gone.crt"))
    with pytest.raises(ConfigError, match=r"\[tso\.\"03\"\] key 'cert_pem': certificate file .*gone\.crt does not"):
        load_config(write(tmp_path, text))


def test_missing_pkcs12_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_TEST_P12", SECRET)
    with pytest.raises(ConfigError, match=r"\[tso\.\"03\"\] key 'pkcs12': PKCS#12 file .*missing\.p12 does not exist"):
        load_config(write(tmp_path, HEAD + p12_tso(tmp_path / "missing.p12")))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_certificate(tmp_path: Path, pki: LocalPKI) -> None:
    locked = tmp_path / "locked.crt"
    locked.write_bytes(pki.client_cert.read_bytes())
    locked.chmod(0)
    with pytest.raises(ConfigError, match="not readable"):
        load_config(write(tmp_path, HEAD + pem_tso(pki).replace(str(pki.client_cert), str(locked))))


def test_key_that_does_not_match_the_certificate(tmp_path: Path, pki: LocalPKI) -> None:
    text = HEAD + pem_tso(pki).replace(str(pki.client_key), str(pki.server_key))
    with pytest.raises(ConfigError, match="does not match certificate"):
        load_config(write(tmp_path, text))


def test_pkcs12_with_the_right_passphrase_from_the_environment(
    tmp_path: Path, p12: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKUSO_TEST_P12", SECRET)
    config = load_config(write(tmp_path, HEAD + p12_tso(p12)))
    assert config.tsos["03"].client_cert.pkcs12 == p12
    assert SECRET not in repr(config)  # only the variable's name is kept


def test_wrong_passphrase(
    tmp_path: Path, p12: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TAKUSO_TEST_P12", "wrong-" + SECRET)
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, HEAD + p12_tso(p12)))
    message = str(info.value)
    assert "[tso.\"03\"] key 'pkcs12'" in message and "wrong passphrase" in message and str(p12) in message
    assert SECRET not in message and SECRET not in caplog.text
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained traceback either


def test_passphrase_environment_variable_not_set(tmp_path: Path, p12: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAKUSO_TEST_P12", raising=False)
    with pytest.raises(ConfigError, match=r"key 'pkcs12_password_env': environment variable TAKUSO_TEST_P12 .*not set"):
        load_config(write(tmp_path, HEAD + p12_tso(p12)))


def test_passphrase_pasted_instead_of_a_variable_name_is_not_echoed(tmp_path: Path, p12: Path) -> None:
    text = HEAD + p12_tso(p12).replace('"TAKUSO_TEST_P12"', f'"{SECRET}"')
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert "NAME of an environment variable" in str(info.value) and SECRET not in str(info.value)


def test_passphrase_file_must_be_private(tmp_path: Path, p12: Path) -> None:
    secret_file = tmp_path / "p12.pass"
    secret_file.write_text(SECRET + "\n")
    text = HEAD + p12_tso(p12).replace(
        'pkcs12_password_env = "TAKUSO_TEST_P12"', f'pkcs12_password_file = "{secret_file}"'
    )
    secret_file.chmod(0o644)
    with pytest.raises(ConfigError, match=r"key 'pkcs12_password_file': .*mode 0644.*group or others"):
        load_config(write(tmp_path, text))
    secret_file.chmod(0o600)
    assert load_config(write(tmp_path, text)).tsos["03"].client_cert.pkcs12_password_file == secret_file


def test_pkcs12_and_pem_are_exclusive(tmp_path: Path, pki: LocalPKI, p12: Path) -> None:
    text = HEAD + p12_tso(p12, extra=f'cert_pem = "{pki.client_cert}"\nkey_pem = "{pki.client_key}"')
    with pytest.raises(ConfigError, match="either pkcs12 or cert_pem"):
        load_config(write(tmp_path, text))


# -- expiry -------------------------------------------------------------------------------------------


def test_expired_certificate_is_an_error(tmp_path: Path, pki: LocalPKI, monkeypatch: pytest.MonkeyPatch) -> None:
    crt, key, p12 = issue_client_files(pki, "expired", not_after=datetime.now(UTC) - timedelta(days=2), folder=tmp_path)
    text = HEAD + pem_tso(pki).replace(str(pki.client_cert), str(crt)).replace(str(pki.client_key), str(key))
    with pytest.raises(ConfigError, match=r"\[tso\.\"03\"\] key 'cert_pem': client certificate .* expired on"):
        load_config(write(tmp_path, text))
    monkeypatch.setenv("TAKUSO_TEST_P12", pki.client_p12_password)
    with pytest.raises(ConfigError, match=r"key 'pkcs12': client certificate .* expired on"):
        load_config(write(tmp_path, HEAD + p12_tso(p12)))


@pytest.mark.parametrize(("days", "warned"), [(10, True), (29, True), (45, False)])
def test_expiry_within_30_days_is_a_warning(
    tmp_path: Path, pki: LocalPKI, caplog: pytest.LogCaptureFixture, days: int, warned: bool
) -> None:
    crt, key, _ = issue_client_files(pki, "soon", not_after=datetime.now(UTC) + timedelta(days=days), folder=tmp_path)
    text = HEAD + pem_tso(pki).replace(str(pki.client_cert), str(crt)).replace(str(pki.client_key), str(key))
    with caplog.at_level(logging.WARNING, logger="core.config"):
        load_config(write(tmp_path, text))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert bool(messages) is warned
    if warned:
        assert '[tso."03"]' in messages[0] and "expires on" in messages[0]


# -- key file modes -------------------------------------------------------------------------------------


def test_generated_keys_are_private(pki: LocalPKI) -> None:
    for path in (pki.ca_key, pki.server_key, pki.client_key, pki.client_p12, pki.expired_server_key):
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert pki.folder.stat().st_mode & 0o777 == 0o700


def test_flow_table_chooses_the_task_runner(tmp_path: Path) -> None:
    path = tmp_path / "takuso.toml"
    path.write_text('retailer_code = "9999"\n[flow]\ntask_runner = "dask"\ndask_address = "tcp://127.0.0.1:8786"\n')
    cfg = load_config(path)
    assert (cfg.flow.task_runner, cfg.flow.dask_address) == ("dask", "tcp://127.0.0.1:8786")
    path.write_text('retailer_code = "9999"\n[flow]\ntask_runner = "spark"\n')
    with pytest.raises(ConfigError, match=r"flow.*task_runner.*\"local\" or \"dask\""):
        load_config(path)
