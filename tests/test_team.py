"""The team service's plain-Python parts: settings, secrets checks, roles, audit log, proxy config, supervisor.

No Streamlit server here (see ``test_team_app.py`` for the app and ``test_team_service.py`` for
``make serve`` end to end in Chromium).
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from atlas.team import serve
from atlas.team.audit import AuditLog, make_record, safe_rows
from atlas.team.roles import AllowList, Permission, Role, read_allow_list, role_for
from atlas.team.settings import SECRETS_EXAMPLE, ServiceConfigError, ServiceSettings, check_auth_secrets

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k" * 20 + "Qz81_random_enough_3746"


def _secrets(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "secrets.toml"
    p.write_text(body)
    return p


GOOD = f"""[auth]
redirect_uri = "http://localhost:8080/oauth2callback"
cookie_secret = "{GOOD_SECRET}"
client_id = "geo"
client_secret = "s3cret"
server_metadata_url = "https://login.example/.well-known/openid-configuration"
"""


# --------------------------------------------------------------------------- settings
def test_settings_defaults_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = ServiceSettings()
    assert not s.sign_in and s.unknown_users == "viewer" and s.site_address == "http://localhost:8080"
    assert s.n_replicas >= 1
    f = tmp_path / "svc.toml"
    f.write_text('replicas = 3\nunknown_users = "refuse"\nroles_file = "/etc/geo/roles.toml"\naudit_max_mb = 1\n')
    monkeypatch.setenv("GEO_SERVICE_FILE", str(f))
    monkeypatch.setenv("GEO_REPLICAS", "4")
    s = ServiceSettings.from_env()
    assert s.replicas == 4 and s.n_replicas == 4  # the environment wins over the file
    assert s.unknown_users == "refuse" and s.roles_file == Path("/etc/geo/roles.toml")
    assert s.audit_max_bytes == 1024 * 1024


@pytest.mark.parametrize(("body", "env", "match"), [
    ("replica = 3\n", {}, r"svc\.toml: unknown setting 'replica'"),
    ("replicas = 'many'\n", {}, r"svc\.toml: replicas = 'many' should be a int"),
    ("", {"GEO_UNKNOWN_USERS": "admin"}, r"unknown_users='admin' is not one of viewer, refuse"),
    ("", {"GEO_SITE_ADDRESS": "atlas.example"}, r"site_address='atlas.example' is not an address"),
    ("", {"GEO_REPLICAS": "two"}, r"GEO_REPLICAS='two' is not a valid int"),
    ("replicas = [1,\n", {}, r"svc\.toml: the service settings are not valid TOML"),
])
def test_settings_errors_are_one_line_naming_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        body: str, env: dict[str, str], match: str) -> None:
    from geo import GeoError

    f = tmp_path / "svc.toml"
    f.write_text(body)
    monkeypatch.setenv("GEO_SERVICE_FILE", str(f))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(GeoError, match=match) as err:
        ServiceSettings.from_env()
    assert "\n" not in str(err.value)


def test_missing_service_file_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GEO_SERVICE_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(ServiceConfigError, match=r"nope\.toml: service settings file not found"):
        ServiceSettings.from_env()


# --------------------------------------------------------------------------- secrets
def test_good_secrets_and_named_providers(tmp_path: Path) -> None:
    cfg = check_auth_secrets(_secrets(tmp_path, GOOD))
    assert cfg.providers == {"default": "https://login.example/.well-known/openid-configuration"}
    assert cfg.origin == "http://localhost:8080"
    two = GOOD.split("client_id")[0] + """
[auth.entra]
client_id = "a"
client_secret = "b"
server_metadata_url = "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"
[auth.google]
client_id = "c"
client_secret = "d"
server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"
"""
    assert list(check_auth_secrets(_secrets(tmp_path, two)).providers) == ["entra", "google"]


@pytest.mark.parametrize(("body", "match"), [
    (None, r"sign-in is not configured \(file not found\); copy deploy/secrets\.example\.toml"),
    ("[auth\nredirect_uri = 1\n", r"not valid TOML \(.*line 1"),
    ("[server]\nport = 1\n", r"no \[auth\] table"),
    (GOOD.replace('cookie_secret = "' + GOOD_SECRET + '"\n', ""), r"\[auth\] lacks cookie_secret"),
    (GOOD.replace(GOOD_SECRET, "short"), r"cookie_secret is too short or a placeholder"),
    (GOOD.replace("/oauth2callback", "/callback"), r"redirect_uri = .* must be the atlas address followed by /oauth2callback"),
    (GOOD.replace('client_secret = "s3cret"\n', ""), r"\[auth\] lacks client_secret"),
    (GOOD.split("client_id")[0], r"names no identity provider"),
    (GOOD.replace("https://login.example", "login.example"), r"server_metadata_url = .* must be an http\(s\) URL"),
    (GOOD + '[auth.my_idp]\nclient_id = "a"\n', r"provider name \[auth\.my_idp\] must not contain '_'"),
])
def test_secrets_problems_are_one_line_naming_the_file(tmp_path: Path, body: str | None, match: str) -> None:
    path = tmp_path / "secrets.toml" if body is None else _secrets(tmp_path, body)
    with pytest.raises(ServiceConfigError, match=match) as err:
        check_auth_secrets(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    assert GOOD_SECRET not in msg and "s3cret" not in msg  # never echo a secret


def test_the_committed_example_is_refused_until_filled_in() -> None:
    with pytest.raises(ServiceConfigError, match="placeholder"):
        check_auth_secrets(SECRETS_EXAMPLE)


# --------------------------------------------------------------------------- roles
def test_roles_and_permissions() -> None:
    assert [r.rank for r in Role] == [0, 1, 2]
    assert Role.VIEWER.can(Permission.OPEN_DATA) and not Role.VIEWER.can(Permission.CLIENTS)
    assert Role.ANALYST.can(Permission.CLIENTS) and not Role.ANALYST.can(Permission.AUDIT)
    assert all(Role.ADMIN.can(p) for p in Permission)
    assert Role.parse(" Analyst ") is Role.ANALYST and Role.parse("root") is None


def test_role_from_allow_list_claim_or_policy(tmp_path: Path) -> None:
    f = tmp_path / "roles.toml"
    f.write_text('[users]\n"Ana@Council.example" = "analyst"\n"boss@council.example" = "viewer"\n'
                 '[claims]\n"geo-admins" = "admin"\n"0b1c-group-id" = "analyst"\n')
    allow = read_allow_list(f)
    kw = {"roles_claim": "groups", "unknown_users": "viewer"}
    assert role_for({"email": "ana@council.example"}, allow, **kw) is Role.ANALYST  # case-insensitive
    # the allow-list wins over the claim (an explicit entry can take rights away)
    assert role_for({"email": "boss@council.example", "groups": ["geo-admins"]}, allow, **kw) is Role.VIEWER
    # claim values: mapped through [claims] or role names; the highest wins; string claims split
    assert role_for({"email": "x@y.org", "groups": ["0b1c-group-id", "geo-admins"]}, allow, **kw) is Role.ADMIN
    assert role_for({"email": "x@y.org", "groups": "staff analyst"}, allow, **kw) is Role.ANALYST
    assert role_for({"email": "x@y.org", "roles": ["admin"]}, allow, **kw) is Role.VIEWER  # another claim
    # an unverified e-mail does not match the allow-list
    assert role_for({"email": "ana@council.example", "email_verified": False}, allow, **kw) is Role.VIEWER
    assert role_for({"email": "x@y.org"}, allow, roles_claim="groups", unknown_users="refuse") is None
    assert role_for({"sub": "no-email"}, AllowList(), roles_claim="roles", unknown_users="viewer") is Role.VIEWER


@pytest.mark.parametrize(("body", "match"), [
    ('[users]\n"a@b.org" = "owner"\n', r"\[users\] 'a@b.org' = 'owner' is not a role; use one of viewer, analyst, admin"),
    ('[users]\n"ana" = "viewer"\n', r"\[users\] 'ana' is not an e-mail address"),
    ('[people]\n"a@b.org" = "viewer"\n', r"unknown table\(s\) people"),
    ('users = "a@b.org"\n', r"\[users\] must be a table"),
    ('[users]\n"a@b.org" = \n', r"roles file is not valid TOML"),
])
def test_roles_file_errors(tmp_path: Path, body: str, match: str) -> None:
    f = tmp_path / "roles.toml"
    f.write_text(body)
    with pytest.raises(ServiceConfigError, match=match) as err:
        read_allow_list(f)
    assert str(err.value).startswith(str(f))
    with pytest.raises(ServiceConfigError, match="roles file not found"):
        read_allow_list(tmp_path / "missing.toml")


# --------------------------------------------------------------------------- audit log
def test_audit_record_keeps_only_safe_fields() -> None:
    rec = make_record("upload", user="ana@council.example", role="analyst", view="Clients", area="Rutland",
                      file_kind="client extract (CSV)", rows=237, sha256="AB" * 32,
                      detail="row 3 postcode LE15 6AB\nnot found")
    assert rec["rows"] == 235 and rec["sha256"] == "ab" * 32
    assert "LE15" not in json.dumps(rec) and "[postcode removed]" in rec["detail"] and "\n" not in rec["detail"]
    assert rec["ts"].endswith("Z") and rec["event"] == "upload" and rec["outcome"] == "ok"
    assert make_record("upload", rows=3)["rows"] == "fewer than 5"
    assert make_record("upload", rows=0)["rows"] == "fewer than 5"
    assert "sha256" not in make_record("upload", sha256="not-a-hash")
    assert [safe_rows(n) for n in (5, 6, 8, 12)] == [5, 5, 10, 10]
    with pytest.raises(ValueError, match="not allowed"):
        make_record("upload", postcode="LE15 6AB")
    with pytest.raises(ValueError, match="unknown audit event"):
        make_record("delete-everything")


def _writer(path: str, n: int, who: int) -> None:
    log = AuditLog(Path(path), max_bytes=4000, backups=50)
    for i in range(n):
        log.write("download", user=f"user{who}@x.org", detail=f"line {i}")


def test_audit_log_rotates_across_processes_without_losing_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 60, k)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    log = AuditLog(path, max_bytes=4000, backups=50)
    assert len(log.files()) > 3  # it rotated
    assert all(f.stat().st_size <= 4000 for f in log.files())
    records = log.read(limit=10_000)
    assert len(records) == 180 and not [r for r in records if "bad_line" in r]  # no torn lines
    assert {(r["user"], r["detail"]) for r in records} == {(f"user{k}@x.org", f"line {i}")
                                                           for k in range(3) for i in range(60)}
    assert records == sorted(records, key=lambda r: r["ts"], reverse=True)  # newest first
    assert len(log.read(limit=7)) == 7
    small = AuditLog(tmp_path / "b.jsonl", max_bytes=300, backups=2)
    for i in range(20):
        small.write("download", detail=f"n{i}")
    assert len(small.files()) == 3  # the current file and two backups, older ones dropped


# --------------------------------------------------------------------------- make serve
def test_caddyfile_is_valid_for_http_and_https(tmp_path: Path) -> None:
    if shutil.which("caddy") is None:
        pytest.skip("no caddy binary (install the Debian 'caddy' package: make browser-deps)")
    for address, tls in (("http://localhost:8080", ""), ("https://atlas.example.gov.uk", ""),
                         ("https://atlas.intranet.example:8443", "internal")):
        s = ServiceSettings(site_address=address, tls=tls, replicas=3, run_dir=tmp_path / "run")
        text = serve.caddyfile(s, serve.replica_ports(s))
        f = tmp_path / "Caddyfile"
        f.write_text(text)
        out = subprocess.run(["caddy", "adapt", "--config", str(f), "--adapter", "caddyfile"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-1000:]
        cfg = json.loads(out.stdout)
        routes = json.dumps(cfg["apps"]["http"])
        assert routes.count("127.0.0.1:8601") >= 2 and "127.0.0.1:8603" in routes
        assert '"cookie"' in routes and serve.STICKY_COOKIE in routes and "/_stcore/health" in routes
        if address.startswith("http:"):
            assert "bind 127.0.0.1" in text and "auto_https off" in text
        else:
            assert "bind" not in text and "Strict-Transport-Security" in text
            assert ("tls internal" in text) == (tls == "internal")


def test_nginx_example_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("no nginx binary (Debian 'nginx-light': make browser-deps)")
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "atlas.example.gov.uk")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                                       serialization.NoEncryption()))
    site = (ROOT / "deploy" / "nginx-geo-atlas.conf").read_text()
    site = (site.replace("/etc/ssl/certs/atlas.example.gov.uk.pem", str(tmp_path / "c.pem"))
            .replace("/etc/ssl/private/atlas.example.gov.uk.key", str(tmp_path / "k.pem"))
            .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{\n include {tmp_path}/site.conf;\n}}\n")
    out = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "hash $cookie__streamlit_xsrf consistent" in site and "proxy_set_header Upgrade" in site


def _serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "atlas.team.serve", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


@pytest.mark.parametrize(("body", "match"), [
    (None, "sign-in is not configured (file not found)"),
    ("[auth]\nredirect_uri = \n", "not valid TOML"),
    ("", "no [auth] table"),
])
def test_make_serve_one_line_error_when_sign_in_is_not_configured(tmp_path: Path, body: str | None,
                                                                  match: str) -> None:
    path = tmp_path / "secrets.toml"
    if body is not None:
        path.write_text(body)
    out = _serve({"GEO_SECRETS_FILE": str(path), "GEO_AUDIT_LOG": str(tmp_path / "a.jsonl")})
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"make serve: {path}: ") and match in lines[0], out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_make_serve_check_plans_and_catches_a_redirect_mismatch(tmp_path: Path) -> None:
    if shutil.which("caddy") is None:
        pytest.skip("no caddy binary")
    secrets = _secrets(tmp_path, GOOD)
    env = {"GEO_SECRETS_FILE": str(secrets), "GEO_AUDIT_LOG": str(tmp_path / "audit" / "a.jsonl"),
           "GEO_RUN_DIR": str(tmp_path / "run"), "GEO_REPLICAS": "3", "GEO_REPLICA_BASE_PORT": "47601",
           "GEO_SITE_ADDRESS": "http://localhost:8080"}
    out = _serve(env, "--check")
    assert out.returncode == 0, out.stderr
    assert "3 Streamlit replica(s) on 127.0.0.1:47601, 47602, 47603 behind Caddy" in out.stdout
    assert (tmp_path / "run" / "Caddyfile").is_file() and (tmp_path / "audit" / "a.jsonl").is_file()
    out = _serve({**env, "GEO_SITE_ADDRESS": "http://127.0.0.1:8080"}, "--check")
    assert out.returncode == 2 and "is not on the site address http://127.0.0.1:8080" in out.stderr
    out = _serve({**env, "GEO_PROXY": "none"}, "--check")
    assert out.returncode == 0 and "behind your own proxy" in out.stdout


def test_supervisor_restarts_a_dead_child() -> None:
    import os
    import signal

    child = serve.Child(name="sleeper", cmd=[sys.executable, "-c", "import time; time.sleep(60)"],
                        env=dict(os.environ))
    sup = serve.Supervisor([child], poll_s=0.1)
    child.start()
    try:
        first = child.proc.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.time() + 20
        while time.time() < deadline and not (child.alive() and child.proc.pid != first):
            sup.check(child, time.monotonic())
            time.sleep(0.1)
        assert child.alive() and child.proc.pid != first and child.restarts == 1
    finally:
        child.stop()


def test_names_from_the_provider_are_shown_literally() -> None:
    from atlas.team.signin import plain

    out = plain("[win a prize](https://evil.example) <img src=x onerror=alert(1)>\n**bold**")
    assert "\\[win a prize\\]\\(https\\:" in out and "\\<img" in out and "\\*\\*bold\\*\\*" in out
    assert "\n" not in out
    assert plain("Ana Lyst") == "Ana Lyst"


def test_audit_table_shows_blanks_and_whole_numbers() -> None:
    from atlas.views.audit import table

    t = table([{"ts": "t1", "event": "upload", "rows": 240, "user": "a@b.org"}, {"ts": "t2", "event": "sign-in"}])
    assert list(t.columns) == ["Time (UTC)", "Event", "Person", "Rows"]
    assert t.to_dict("records")[1] == {"Time (UTC)": "t2", "Event": "sign-in", "Person": "", "Rows": ""}
    assert t.iloc[0]["Rows"] == "240"
