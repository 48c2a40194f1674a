"""Sign-in, the signed-in person, server-side role checks and audit calls (the Streamlit side).

``gate()`` runs first in every script run of ``app.py``:

* **one-user mode** (``make app``, ``sign_in`` off): no sign-in; the person at this computer may do
  everything but read an audit log (none is kept).  The atlas only answers on loopback then: a
  request from another machine gets a page saying to run ``make serve``.
* **team mode** (``make serve``): the ``[auth]`` secrets are checked (one line naming the file if
  they are unusable); before sign-in the page holds only what the tool is and the sign-in button;
  a sign-in older than ``session_max_hours`` must be renewed; the role comes from
  :func:`atlas.team.roles.role_for`; people refused by the policy see why and can sign out.

Identity comes only from ``st.user``, which Streamlit fills from its signed identity cookie when the
websocket connects (a forged, expired or foreign-origin cookie gives a signed-out session).
Every action that needs more than ``viewer`` calls :func:`require` on the server, whatever the page
shows; :func:`refuse_forged_widgets` catches widget messages a role never received (e.g. a viewer's
hand-made upload message), drops the uploaded bytes, and records the attempt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import ipaddress
import logging
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import streamlit as st

from atlas.team.audit import AuditLog
from atlas.team.roles import Permission, Role, read_allow_list, role_for, verified_email
from atlas.team.settings import AuthConfig, ServiceConfigError, ServiceSettings, check_auth_secrets

logger = logging.getLogger(__name__)

_PERSON = "_team_person"
#: Widgets that only a role with the permission is ever sent (user keys of ``atlas/views``).
PROTECTED_WIDGETS: dict[Permission, tuple[str, ...]] = {
    Permission.CLIENTS: ("clients_file", "clients_synth", "clients_clear"),
    Permission.AUDIT: ("audit_filter", "audit_download"),
}
#: Session-state keys that hold client results (cleared for a role that may not see them).
CLIENT_STATE = ("client_counts", "client_rates", "client_counts_key", "client_summary", "client_release")
PROVIDER_TIMEOUT_S = 4.0
MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~:$")


@dataclass(frozen=True)
class Person:
    """Who is using this session."""

    user: str  # e-mail, "sub:<subject>" without one, or "local:<os user>" in one-user mode
    name: str
    role: Role
    signed_in: bool
    signed_in_at: float | None = None  # the ID token's ``iat`` (Unix seconds)

    def can(self, permission: Permission) -> bool:
        return self.role.can(permission)


def plain(text: str) -> str:
    """Text from the identity provider (a name, an e-mail) shown literally in Streamlit markdown."""
    text = " ".join(str(text).split())[:120]
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in text)


def service() -> ServiceSettings:
    """The service settings (read every run: cheap, and edits take effect at the next click)."""
    return ServiceSettings.from_env()


def person() -> Person | None:
    value = st.session_state.get(_PERSON)
    return value if isinstance(value, Person) else None


def can(permission: Permission) -> bool:
    p = person()
    return p is not None and p.can(permission)


# --------------------------------------------------------------------------- audit
def _replica() -> str:
    return os.environ.get("GEO_REPLICA") or f"{socket.gethostname()}:{os.getpid()}"


def _ip(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _client_ip() -> str | None:
    """The browser's address: the proxy's X-Forwarded-For when the direct peer is loopback."""
    with contextlib.suppress(Exception):  # st.context is empty outside a browser session (AppTest)
        peer = _ip(st.context.ip_address)
        fwd = _ip(str(st.context.headers.get("X-Forwarded-For") or "").split(",")[0])
        if fwd is not None and (peer is None or peer.is_loopback):
            return str(fwd)
        return None if peer is None else str(peer)
    return None


def _session_tag() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else hashlib.sha256(ctx.session_id.encode()).hexdigest()[:12]


def audit_log(s: ServiceSettings | None = None) -> AuditLog:
    s = s or service()
    return AuditLog(s.audit_log, max_bytes=s.audit_max_bytes, backups=s.audit_backups)


def record(event: str, outcome: str = "ok", *, who: Person | None = None, **fields: Any) -> None:
    """Write one audit line for this session's person (team mode only; one-user mode keeps no log).

    A log that cannot be written stops the action: :class:`ServiceConfigError` naming the file.
    """
    s = service()
    if not s.sign_in:
        return
    p = who or person()
    try:
        audit_log(s).write(event, outcome, user=p.user if p else None, role=p.role.value if p else None,
                           session=_session_tag(), replica=_replica(), ip=_client_ip(), **fields)
    except OSError as exc:
        logger.error("audit log %s cannot be written: %s", s.audit_log, exc.strerror)
        msg = (f"{s.audit_log}: the audit log cannot be written ({exc.strerror}), so this action is refused; "
               "ask your administrator to fix the file or GEO_AUDIT_LOG")
        raise ServiceConfigError(msg) from None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def require(permission: Permission, *, action: str, view: str, **fields: Any) -> bool:
    """True if this session's person may do ``action``; otherwise record the refusal and say so."""
    p = person()
    if p is not None and p.can(permission):
        return True
    role = p.role.label.lower() if p else "signed-out"
    record("refused", "refused", view=view, detail=f"{action}: needs permission to {permission.value}", **fields)
    st.error(f"Your role ({role}) cannot {action}. It needs permission to {permission.value}: ask your "
             "atlas administrator if you need it.")
    return False


def download_logger(view: str, file_kind: str, data: bytes, rows: int | None = None,
                    area: str | None = None) -> Any:
    """An ``on_click`` for ``st.download_button`` that records the download (hash, rows) in the audit log."""
    digest = sha256(data)

    def _log() -> None:
        record("download", view=view, area=area, file_kind=file_kind, rows=rows, sha256=digest)

    return _log


# --------------------------------------------------------------------------- forged widget messages
def refuse_forged_widgets(view: str) -> bool:
    """Refuse (and record) widget states this person's role was never shown; True if any came.

    Streamlit ignores the state of a widget the script does not draw, so a viewer's hand-made upload
    message never reaches the Clients code; this makes the attempt visible, drops the bytes that
    were uploaded for it, and tells the person.  (Reads the run's incoming widget states, which
    Streamlit keeps keyed by element id ``$$ID-<hash>-<user key>``.)
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    p = person()
    ctx = get_script_run_ctx()
    if ctx is None or p is None:
        return False
    try:
        states = dict(ctx.session_state._state._new_widget_state.states)
    except AttributeError:  # pragma: no cover - a Streamlit release that moved its internals
        logger.warning("cannot inspect incoming widget states in this Streamlit version")
        return False
    forged: list[tuple[str, Any]] = []
    for wid, state in states.items():
        key = wid.split("-", 2)[-1] if wid.startswith("$$ID-") else None
        for permission, keys in PROTECTED_WIDGETS.items():
            if key in keys and not p.can(permission):
                forged.append((key, state))
    for key, state in forged:
        proto = getattr(state, "value", None)
        files = getattr(getattr(proto, "file_uploader_state_value", None), "uploaded_file_info", [])
        for info in files:
            with contextlib.suppress(Exception):
                ctx.uploaded_file_mgr.remove_file(ctx.session_id, info.file_id)
        record("refused", "refused", view=view, file_kind="client extract" if key == "clients_file" else None,
               detail=f"forged '{key}' widget message from a {p.role.value} (never shown to this role)")
    if forged:
        st.error(f"Refused: your role ({p.role.label.lower()}) cannot upload or see client data. "
                 "The attempt has been recorded.")
    return bool(forged)


def clear_client_results() -> None:
    """Drop client results from this session (a role without :data:`Permission.CLIENTS`)."""
    for key in CLIENT_STATE:
        if st.session_state.get(key) is not None:
            st.session_state[key] = None


# --------------------------------------------------------------------------- the gate
def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _is_loopback_request() -> bool:
    """False only for a request known to come from another machine (AppTest has no address)."""
    with contextlib.suppress(Exception):
        ip = _ip(st.context.ip_address)
        return ip is None or ip.is_loopback
    return True


def _local_person() -> Person:
    return Person(user=f"local:{getpass.getuser()}", name="This computer", role=Role.ANALYST, signed_in=False)


def _first_sign_in(s: ServiceSettings, subject: str, iat: float | None) -> bool:
    """True once per identity cookie across all replicas (a marker file created with O_EXCL)."""
    folder = s.audit_log.parent / "sign-ins"
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    tag = hashlib.sha256(f"{subject}|{iat}".encode()).hexdigest()[:32]
    try:
        os.close(os.open(folder / tag, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
    except FileExistsError:
        return False
    cutoff = time.time() - 2 * s.session_max_hours * 3600
    for old in folder.iterdir():  # markers of cookies that can no longer be used
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    return True


def _landing(cfg: AuthConfig, note: str | None = None) -> None:
    """What the tool is and the sign-in button: nothing else before sign-in."""
    st.markdown('<div class="atlas-title">Drug &amp; alcohol service access atlas</div>'
                '<p class="atlas-sub">Your team\'s shared atlas of how far people live from treatment and '
                "harm-reduction services, who is furthest, and what a new or moved site would change.</p>",
                unsafe_allow_html=True)
    st.markdown("Sign in with your organisation account to open it. What you can do depends on your role: "
                "**viewers** see the open-data maps, scenarios and exports; **analysts** may also upload "
                "treatment-client extracts; **administrators** may also read the audit log.")
    if note:
        st.info(note)
    err = st.session_state.get("_signin_error")
    if err:
        st.error(err)
    for name in cfg.providers:
        label = "Sign in" if len(cfg.providers) == 1 else f"Sign in with {name}"
        st.button(label, key=f"signin_{name}", type="primary", on_click=_sign_in, args=(cfg, name))


def provider_problem(metadata_url: str, timeout_s: float = PROVIDER_TIMEOUT_S) -> str | None:
    """Why the identity provider cannot be used right now (``None`` if its metadata answers)."""
    try:
        with urllib.request.urlopen(metadata_url, timeout=timeout_s) as resp:
            if resp.status != 200:
                return f"it answered HTTP {resp.status}"
            return None
    except urllib.error.HTTPError as exc:
        return f"it answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"it could not be reached ({reason})"


def _sign_in(cfg: AuthConfig, provider: str) -> None:
    problem = provider_problem(cfg.providers[provider])
    if problem:
        logger.warning("sign-in service %s: %s", cfg.providers[provider], problem)
        st.session_state["_signin_error"] = (
            f"The sign-in service is not available: {problem}. Please try again in a few minutes; if it "
            "goes on, tell your IT team (the identity provider named in the atlas's sign-in settings).")
        return
    st.session_state["_signin_error"] = None
    st.login(provider)


def _sign_out() -> None:
    with contextlib.suppress(ServiceConfigError):  # a broken log must not keep anyone signed in
        record("sign-out")
    st.session_state.pop(_PERSON, None)
    st.logout()


def gate() -> Person:
    """The person using this session, or a page that stops the run (see the module docstring)."""
    try:
        s = service()
    except ServiceConfigError as exc:
        _stop_with(str(exc))
        raise  # unreachable: st.stop() ends the run
    if not s.sign_in:
        if not _is_loopback_request():
            _stop_with("This atlas runs in one-user mode (no sign-in), so it only answers on this computer. "
                       "To share it with a team, run `make serve` (sign-in, roles, audit log).")
        p = _local_person()
        st.session_state[_PERSON] = p
        return p
    try:
        cfg = check_auth_secrets(s.secrets_file)
        allow = read_allow_list(s.roles_file)
    except ServiceConfigError as exc:
        logger.error("%s", exc)
        _stop_with(str(exc))
        raise
    if not st.user.is_logged_in:
        st.session_state.pop(_PERSON, None)
        _landing(cfg)
        st.stop()
    claims = {k: v for k, v in st.user.to_dict().items() if k != "tokens"}
    subject = str(claims.get("sub") or "")
    email = verified_email(claims)
    user = email or f"sub:{subject}"
    iat = claims.get("iat")
    signed_at = float(iat) if isinstance(iat, int | float) else None
    role = role_for(claims, allow, roles_claim=s.roles_claim, unknown_users=s.unknown_users)
    name = str(claims.get("name") or email or subject)
    p = Person(user=user, name=name, role=role or Role.VIEWER, signed_in=True, signed_in_at=signed_at)
    seen = st.session_state.get("_team_seen")
    if signed_at is None or time.time() - signed_at > s.session_max_hours * 3600:
        if seen != ("expired", user):
            st.session_state["_team_seen"] = ("expired", user)
            age = "at an unknown time" if signed_at is None else \
                f"{(time.time() - signed_at) / 3600:.0f} h ago"
            record("sign-in-expired", "refused", who=p, detail=f"signed in {age}; limit {s.session_max_hours:g} h")
        st.session_state.pop(_PERSON, None)
        _landing(cfg, note=f"Your sign-in has expired (sign-ins last {s.session_max_hours:g} hours). "
                           "Please sign in again.")
        st.stop()
    if role is None:
        if seen != ("refused", user):
            st.session_state["_team_seen"] = ("refused", user)
            record("sign-in-refused", "refused", who=p, detail="not on the allow-list; unknown users are refused")
        st.session_state.pop(_PERSON, None)
        st.markdown('<div class="atlas-title">Drug &amp; alcohol service access atlas</div>', unsafe_allow_html=True)
        st.error(f"You are signed in as {plain(user)}, but this account has no access to the atlas. "
                 "Ask your atlas administrator to add you.")
        st.button("Sign out", key="signout_refused", on_click=_sign_out)
        st.stop()
    if seen != ("ok", user, role):
        st.session_state["_team_seen"] = ("ok", user, role)
        event = "sign-in" if _first_sign_in(s, subject, signed_at) else "session-start"
        when = dt.datetime.fromtimestamp(signed_at, dt.UTC).isoformat(timespec="seconds") if signed_at else None
        record(event, who=p, detail=f"signed in at {when}" if when else None)
    st.session_state[_PERSON] = p
    return p


def still_signed_in() -> bool:
    """False when this session's sign-in has expired since the gate last ran (checked on fragment reruns)."""
    p = person()
    if p is None:
        return False
    if not p.signed_in or p.signed_in_at is None:
        return True
    return time.time() - p.signed_in_at <= service().session_max_hours * 3600


def account_box(p: Person) -> None:
    """Who is signed in, their role, and the sign-out button (sidebar, team mode only)."""
    if not p.signed_in:
        return
    sb = st.sidebar
    sb.markdown("### Account")
    sb.caption(f"Signed in as **{plain(p.name)}** ({plain(p.user)}) · role: **{p.role.label}**")
    sb.button("Sign out", key="signout", on_click=_sign_out)
