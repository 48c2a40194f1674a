"""Settings of the team service, and the checks of its sign-in secrets file.

:class:`ServiceSettings` is built like :class:`geo.config.Settings`: defaults, then a TOML file
(``GEO_SERVICE_FILE``, default ``geo-service.toml`` in the checkout when present), then ``GEO_<FIELD>``
environment variables.  Every field is read somewhere (``signin``, ``audit``, ``serve``).

The OpenID Connect client secret and the cookie secret live only in Streamlit's secrets file
(``.streamlit/secrets.toml``, ``[auth]``), never here; :func:`check_auth_secrets` reads that file
the way Streamlit will and turns each way it can be wrong into one line naming the file and the fix.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geo import GeoError, Settings

#: The repository root (``app.py``, ``deploy/``, ``.streamlit/``): the service runs a checkout.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where the example files live (copied and filled in by the people who run the service).
DEPLOY_DIR = PROJECT_ROOT / "deploy"
SECRETS_EXAMPLE = DEPLOY_DIR / "secrets.example.toml"
#: What an example or placeholder secret looks like (refused: it is public).
PLACEHOLDER_MARKS = ("change-me", "replace-me", "xxx")
MIN_COOKIE_SECRET_CHARS = 32
UNKNOWN_USER_POLICIES = ("viewer", "refuse")
PROXIES = ("caddy", "none")


class ServiceConfigError(GeoError, ValueError):
    """The team service is not (correctly) configured; the message is one line naming the file."""


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME")
    return (Path(base) if base else Path.home() / ".local" / "state") / "geo"


@dataclass(frozen=True)
class ServiceSettings:
    """Who may sign in and do what, where the audit log goes, and how ``make serve`` runs."""

    #: Require sign-in (``make serve`` turns it on; ``make app`` is the one-user atlas without it).
    sign_in: bool = False
    #: Streamlit's secrets file with the ``[auth]`` table (OIDC client, redirect URI, cookie secret).
    secrets_file: Path = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    #: Allow-list file: ``[users]`` e-mail -> role, ``[claims]`` ID-token claim value -> role (optional).
    roles_file: Path | None = None
    #: ID-token claim holding the user's roles or groups (e.g. ``roles`` in Entra ID, ``groups`` in Keycloak).
    roles_claim: str = "roles"
    #: Signed-in people with no role from the claim or the allow-list: ``viewer`` or ``refuse``.
    unknown_users: str = "viewer"
    #: A sign-in older than this must be renewed (hours; the identity cookie itself lasts 30 days).
    session_max_hours: float = 12.0
    #: The audit log (JSON lines); rotated at ``audit_max_mb``, keeping ``audit_backups`` old files.
    audit_log: Path = field(default_factory=lambda: _state_dir() / "audit" / "audit.jsonl")
    audit_max_mb: float = 10.0
    audit_backups: int = 10
    #: The address people open: ``http://localhost:8080`` (default, loopback only) or
    #: ``https://atlas.example.gov.uk`` (Caddy gets and renews the certificate itself).
    site_address: str = "http://localhost:8080"
    #: HTTPS certificate: "" = automatic (ACME, needs a public DNS name), "internal" = Caddy's own CA,
    #: or "CERT.pem KEY.pem" = files from your organisation.
    tls: str = ""
    #: The proxy ``make serve`` runs in front: ``caddy``, or ``none`` (your own nginx or load balancer,
    #: e.g. ``deploy/nginx-geo-atlas.conf``; the supervisor then runs and restarts the replicas only).
    proxy: str = "caddy"
    #: Streamlit processes behind the proxy (0 = one per core) and the first of their loopback ports.
    replicas: int = 0
    replica_base_port: int = 8601
    #: Where ``make serve`` writes the generated Caddyfile and the replicas' logs.
    run_dir: Path = field(default_factory=lambda: _state_dir() / "serve")

    def __post_init__(self) -> None:
        if self.unknown_users not in UNKNOWN_USER_POLICIES:
            msg = (f"unknown_users={self.unknown_users!r} is not one of {', '.join(UNKNOWN_USER_POLICIES)} "
                   "(GEO_UNKNOWN_USERS or geo-service.toml)")
            raise ServiceConfigError(msg)
        if self.proxy not in PROXIES:
            msg = f"proxy={self.proxy!r} is not one of {', '.join(PROXIES)} (GEO_PROXY or geo-service.toml)"
            raise ServiceConfigError(msg)
        scheme = urlsplit(self.site_address).scheme
        if scheme not in {"http", "https"} or not urlsplit(self.site_address).hostname:
            msg = (f"site_address={self.site_address!r} is not an address like http://localhost:8080 or "
                   "https://atlas.example.gov.uk (GEO_SITE_ADDRESS or geo-service.toml)")
            raise ServiceConfigError(msg)

    @property
    def n_replicas(self) -> int:
        """Replicas to start: the setting, or one per core."""
        return self.replicas if self.replicas > 0 else max(1, os.cpu_count() or 1)

    @property
    def audit_max_bytes(self) -> int:
        return int(self.audit_max_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, **overrides: Any) -> ServiceSettings:
        """Defaults, then the service file, then ``GEO_*`` environment variables, then ``overrides``."""
        kwargs: dict[str, Any] = {}
        names = {f.name: f for f in fields(cls)}
        path = _service_file()
        if path is not None:
            for key, value in _read_toml(path, "the service settings").items():
                if key not in names:
                    msg = (f"{path}: unknown setting {key!r}; known: {', '.join(names)}")
                    raise ServiceConfigError(msg)
                kwargs[key] = _typed(key, value, path)
        for name in names:
            text = os.environ.get(f"GEO_{name.upper()}")
            if text is not None and text.strip():
                kwargs[name] = _typed(name, Settings.parse_env_value(name, text, _default(name)), None)
        kwargs.update(overrides)
        return cls(**kwargs)


def _default(name: str) -> Any:
    f = ServiceSettings.__dataclass_fields__[name]
    return f.default_factory() if callable(f.default_factory) else f.default


def _typed(name: str, value: Any, path: Path | None) -> Any:
    """A file or environment value as the field's type (paths expanded, ``None`` for empty paths)."""
    default = _default(name)
    if name == "roles_file":
        return Path(str(value)).expanduser() if str(value).strip() else None
    if isinstance(default, Path):
        return Path(str(value)).expanduser()
    if isinstance(default, bool) and isinstance(value, bool):
        return value
    if isinstance(default, int | float) and not isinstance(default, bool) and isinstance(value, int | float):
        return type(default)(value)
    if isinstance(default, str) and isinstance(value, str):
        return value
    where = str(path) if path is not None else f"GEO_{name.upper()}"
    msg = f"{where}: {name} = {value!r} should be a {type(default).__name__}"
    raise ServiceConfigError(msg)


def _service_file() -> Path | None:
    env = os.environ.get("GEO_SERVICE_FILE")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            msg = f"{path}: service settings file not found (GEO_SERVICE_FILE); create it or unset the variable"
            raise ServiceConfigError(msg)
        return path
    default = PROJECT_ROOT / "geo-service.toml"
    return default if default.is_file() else None


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: {what} are not valid TOML ({exc}); fix that line"
        raise ServiceConfigError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read {what} ({exc.strerror}); check the file and its permissions"
        raise ServiceConfigError(msg) from None


# --------------------------------------------------------------------------- sign-in secrets
@dataclass(frozen=True)
class AuthConfig:
    """What the app and ``make serve`` need to know of ``[auth]`` (no secret values)."""

    path: Path
    redirect_uri: str
    #: Provider name for ``st.login`` (``"default"`` = the keys directly under ``[auth]``) -> metadata URL.
    providers: dict[str, str]

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the redirect URI: the address people must open."""
        parts = urlsplit(self.redirect_uri)
        return f"{parts.scheme}://{parts.netloc}"


PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def check_auth_secrets(path: Path) -> AuthConfig:
    """Read ``[auth]`` from Streamlit's secrets file; one-line :class:`ServiceConfigError` if unusable."""
    fix = f"copy {SECRETS_EXAMPLE.relative_to(PROJECT_ROOT)} there and fill it in"
    if not path.is_file():
        msg = f"{path}: sign-in is not configured (file not found); {fix}, or set GEO_SECRETS_FILE"
        raise ServiceConfigError(msg)
    auth = _read_toml(path, "the sign-in secrets").get("auth")
    if not isinstance(auth, dict):
        msg = f"{path}: no [auth] table; sign-in is not configured ({fix})"
        raise ServiceConfigError(msg)
    missing = [k for k in ("redirect_uri", "cookie_secret") if not str(auth.get(k, "")).strip()]
    if missing:
        msg = f"{path}: [auth] lacks {', '.join(missing)} ({fix})"
        raise ServiceConfigError(msg)
    redirect = str(auth["redirect_uri"])
    parts = urlsplit(redirect)
    if parts.scheme not in {"http", "https"} or not parts.hostname or not parts.path.endswith("/oauth2callback"):
        msg = (f"{path}: [auth] redirect_uri = {redirect!r} must be the atlas address followed by "
               "/oauth2callback, e.g. http://localhost:8080/oauth2callback")
        raise ServiceConfigError(msg)
    secret = str(auth["cookie_secret"])
    if len(secret) < MIN_COOKIE_SECRET_CHARS or any(m in secret.lower() for m in PLACEHOLDER_MARKS):
        msg = (f"{path}: [auth] cookie_secret is too short or a placeholder; use at least "
               f"{MIN_COOKIE_SECRET_CHARS} random characters, e.g. from: python -c \"import secrets; "
               "print(secrets.token_urlsafe(48))\"")
        raise ServiceConfigError(msg)
    providers: dict[str, str] = {}
    if any(k in auth for k in PROVIDER_KEYS):
        providers["default"] = _provider(path, "[auth]", auth)
    for name, section in auth.items():
        if isinstance(section, dict) and name != "client_kwargs":
            if "_" in name:
                msg = f"{path}: provider name [auth.{name}] must not contain '_' (Streamlit refuses it); rename it"
                raise ServiceConfigError(msg)
            providers[name] = _provider(path, f"[auth.{name}]", section)
    if not providers:
        msg = (f"{path}: [auth] names no identity provider: add client_id, client_secret and "
               f"server_metadata_url ({fix})")
        raise ServiceConfigError(msg)
    return AuthConfig(path=path, redirect_uri=redirect, providers=providers)


def _provider(path: Path, where: str, section: dict[str, Any]) -> str:
    missing = [k for k in PROVIDER_KEYS if not str(section.get(k, "")).strip()]
    if missing:
        msg = f"{path}: {where} lacks {', '.join(missing)} (see {SECRETS_EXAMPLE.relative_to(PROJECT_ROOT)})"
        raise ServiceConfigError(msg)
    url = str(section["server_metadata_url"])
    if urlsplit(url).scheme not in {"http", "https"}:
        msg = (f"{path}: {where} server_metadata_url = {url!r} must be an http(s) URL ending in "
               "/.well-known/openid-configuration")
        raise ServiceConfigError(msg)
    return url
