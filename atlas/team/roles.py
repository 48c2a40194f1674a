"""Roles of the team atlas, what each may do, and who gets which.

``viewer``   every open-data view, scenarios, exports of open-data results
``analyst``  also uploads treatment-client extracts and sees and downloads client results
``admin``    also reads the audit log

A person's role comes, in this order, from

1. the allow-list file (``ServiceSettings.roles_file``): ``[users]`` maps e-mail addresses to roles
   (an explicit entry wins, also to take rights away that a group would give);
2. the ID-token claim ``ServiceSettings.roles_claim`` (``roles`` in Entra ID app roles, ``groups`` in
   Keycloak or Entra groups): each value is a role name or is mapped by the file's ``[claims]``
   table (e.g. an Entra group's object id -> ``analyst``); the highest role wins;
3. otherwise the ``unknown_users`` policy: ``viewer``, or ``refuse`` (no access at all).

Allow-list file::

    [users]
    "ana.lyst@council.gov.uk" = "analyst"
    "it.admin@council.gov.uk" = "admin"

    [claims]
    "geo-atlas-analysts" = "analyst"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from atlas.team.settings import ServiceConfigError


class Permission(StrEnum):
    """Something a role may do; checked on the server before every such action."""

    OPEN_DATA = "open-data views, scenarios and their exports"
    CLIENTS = "upload client extracts and see or download client results"
    AUDIT = "read the audit log"


class Role(StrEnum):
    """A person's role in the team atlas (ordered: each role can do what the ones before it can)."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def permissions(self) -> frozenset[Permission]:
        return _GRANTS[self]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        return {"viewer": "Viewer", "analyst": "Analyst", "admin": "Administrator"}[self.value]

    @classmethod
    def parse(cls, text: object) -> Role | None:
        """A role from its name (any case, surrounding blanks ignored); ``None`` if it is not one."""
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            return None


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.OPEN_DATA}),
    Role.ANALYST: frozenset({Permission.OPEN_DATA, Permission.CLIENTS}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class AllowList:
    """E-mail addresses and claim values mapped to roles (both keys compared in lower case)."""

    users: Mapping[str, Role] = field(default_factory=dict)
    claims: Mapping[str, Role] = field(default_factory=dict)
    path: Path | None = None


def read_allow_list(path: Path | None) -> AllowList:
    """The allow-list file (TOML), or an empty list when no file is configured.

    Every problem is one :class:`ServiceConfigError` line naming the file and the entry.
    """
    if path is None:
        return AllowList()
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        msg = f"{path}: roles file not found (GEO_ROLES_FILE / roles_file); create it or unset the setting"
        raise ServiceConfigError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: roles file is not valid TOML ({exc}); fix that line"
        raise ServiceConfigError(msg) from None
    unknown = sorted(set(doc) - {"users", "claims"})
    if unknown:
        msg = f"{path}: unknown table(s) {', '.join(unknown)}; use [users] (e-mail = role) and [claims] (value = role)"
        raise ServiceConfigError(msg)
    tables: dict[str, dict[str, Role]] = {}
    for table in ("users", "claims"):
        entries = doc.get(table, {})
        if not isinstance(entries, dict):
            msg = f"{path}: [{table}] must be a table of \"name\" = \"role\" lines"
            raise ServiceConfigError(msg)
        out: dict[str, Role] = {}
        for key, value in entries.items():
            role = Role.parse(value)
            if role is None:
                msg = (f"{path}: [{table}] {key!r} = {value!r} is not a role; use one of "
                       f"{', '.join(r.value for r in Role)}")
                raise ServiceConfigError(msg)
            if table == "users" and "@" not in key:
                msg = f"{path}: [users] {key!r} is not an e-mail address"
                raise ServiceConfigError(msg)
            out[key.strip().lower()] = role
        tables[table] = out
    return AllowList(users=tables["users"], claims=tables["claims"], path=path)


def claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    """The values of a roles/groups claim: a list, or one string (space or comma separated)."""
    raw = claims.get(name)
    if raw is None:
        return []
    items: Iterable[Any] = raw if isinstance(raw, list | tuple | set) else str(raw).replace(",", " ").split()
    return [str(v).strip() for v in items if str(v).strip()]


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The e-mail claim in lower case, unless the provider says it is not verified."""
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        return None
    return str(email).strip().lower()


def role_for(claims: Mapping[str, Any], allow: AllowList, *, roles_claim: str, unknown_users: str) -> Role | None:
    """The role of the person with these ID-token claims; ``None`` = refused (see the module docstring)."""
    email = verified_email(claims)
    if email is not None and email in allow.users:
        return allow.users[email]
    found = [Role.parse(v) or allow.claims.get(v.lower()) for v in claim_values(claims, roles_claim)]
    roles = [r for r in found if r is not None]
    if roles:
        return max(roles, key=lambda r: r.rank)
    return Role.VIEWER if unknown_users == "viewer" else None
