"""The gateway's own records: users, teams, API keys and refresh-token families.

Blocking SQLAlchemy Core code, run from the event loop through the gateway's thread pool. Only
the unit of work commits; reads use plain sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway import tables as t
from servicekit.db import Database
from servicekit.errors import ApiError, Conflict, NotFound, PreconditionFailed, Unauthenticated
from servicekit.pagination import Page, SortKey, keyset_page
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    team: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    tokens_valid_after: datetime | None
    password_hash: str

    @classmethod
    def from_row(cls, row) -> User:
        m = row._mapping
        return cls(
            id=m["id"],
            email=m["email"],
            name=m["name"],
            roles=tuple(sorted(m["roles"] or ())),
            team=m["team"],
            active=bool(m["active"]),
            version=m["version"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            last_login_at=m["last_login_at"],
            tokens_valid_after=m["tokens_valid_after"],
            password_hash=m["password_hash"],
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "roles": list(self.roles),
            "team": self.team,
            "active": self.active,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_login_at": self.last_login_at,
        }


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    description: str | None
    prefix: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row) -> ApiKey:
        m = row._mapping
        return cls(
            id=m["id"],
            name=m["name"],
            description=m["description"],
            prefix=m["prefix"],
            scopes=tuple(sorted(m["scopes"] or ())),
            created_by=m["created_by"],
            created_at=m["created_at"],
            expires_at=m["expires_at"],
            revoked_at=m["revoked_at"],
            last_used_at=m["last_used_at"],
        )

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def public(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        if self.revoked_at is not None:
            status = "revoked"
        elif self.expires_at is not None and self.expires_at <= now:
            status = "expired"
        else:
            status = "active"
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "prefix": self.prefix,
            "scopes": list(self.scopes),
            "status": status,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "last_used_at": self.last_used_at,
        }


class RefreshReuse(Unauthenticated):
    code = "refresh_token_reused"
    message = "This refresh token was already used; the whole session is revoked. Sign in again."


USER_SORTS = {
    "email": SortKey("email", (t.users.c.email, t.users.c.id)),
    "name": SortKey("name", (t.users.c.name, t.users.c.id)),
    "-created_at": SortKey("-created_at", (t.users.c.created_at, t.users.c.id), descending=True),
}


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.uow = UnitOfWorkFactory(db, "gateway")

    # -- users ------------------------------------------------------------------------------

    def user(self, user_id: str) -> User | None:
        with self.db.session() as session:
            row = session.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return User.from_row(row) if row else None

    def user_by_email(self, email: str) -> User | None:
        with self.db.session() as session:
            row = session.execute(
                select(t.users).where(t.users.c.email == email.strip().lower())
            ).first()
        return User.from_row(row) if row else None

    def list_users(
        self,
        *,
        limit: int,
        cursor: str | None,
        sort: str = "email",
        team: str | None = None,
        role: str | None = None,
        active: bool | None = None,
        q: str | None = None,
    ) -> Page:
        statement = select(t.users)
        if team is not None:
            statement = statement.where(t.users.c.team == team)
        if active is not None:
            statement = statement.where(t.users.c.active.is_(active))
        if q:
            pattern = f"%{q.lower().replace('%', '').replace('_', '')}%"
            statement = statement.where(
                or_(t.users.c.email.like(pattern), func.lower(t.users.c.name).like(pattern))
            )
        sort_key = USER_SORTS[sort]
        with self.db.session() as session:
            if role is None:
                page = keyset_page(
                    session,
                    statement,
                    sort_key,
                    limit=limit,
                    cursor=cursor,
                    row_key=lambda r: _sort_values(sort, r),
                    scalars=False,
                )
                page.items = [User.from_row(r) for r in page.items]
                return page
            # Roles live in a JSON list; filter in Python page by page, still keyset-ordered.
            found: list[User] = []
            next_cursor = cursor
            while len(found) < limit:
                page = keyset_page(
                    session,
                    statement,
                    sort_key,
                    limit=max(limit, 100),
                    cursor=next_cursor,
                    row_key=lambda r: _sort_values(sort, r),
                    scalars=False,
                )
                for row in page.items:
                    user = User.from_row(row)
                    if role in user.roles:
                        found.append(user)
                        if len(found) == limit:
                            from servicekit.pagination import encode_cursor

                            last = row
                            return Page(found, encode_cursor(sort, list(_sort_values(sort, last))))
                next_cursor = page.next_cursor
                if next_cursor is None:
                    break
            return Page(found, None)

    def create_user(
        self,
        *,
        email: str,
        name: str,
        password_hash: str,
        roles: list[str],
        team: str | None,
        active: bool = True,
    ) -> User:
        now = utcnow()
        user_id = str(uuid.uuid4())
        with self.uow() as uow:
            self._check_team(uow.session, team)
            try:
                uow.session.execute(
                    insert(t.users).values(
                        id=user_id,
                        email=email.strip().lower(),
                        name=name,
                        password_hash=password_hash,
                        roles=sorted(set(roles)),
                        team=team,
                        active=active,
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
                uow.commit()
            except IntegrityError:
                raise Conflict(
                    "A user with this email address already exists.", code="email_taken"
                ) from None
        return self.user(user_id)

    def update_user(
        self, user_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> User:
        """Change name, roles, team or active; a deactivation or role change ends sessions."""
        with self.uow() as uow:
            row = uow.session.execute(select(t.users).where(t.users.c.id == user_id)).first()
            if row is None:
                raise NotFound(f"no user {user_id}")
            user = User.from_row(row)
            if expected_version is not None and expected_version != user.version:
                raise PreconditionFailed(
                    f"The user is at version {user.version}, you read {expected_version}."
                )
            values: dict[str, Any] = {}
            for key in ("name", "team", "active"):
                if key in changes and changes[key] != getattr(user, key):
                    values[key] = changes[key]
            if "roles" in changes and tuple(sorted(set(changes["roles"]))) != user.roles:
                values["roles"] = sorted(set(changes["roles"]))
            if "team" in values:
                self._check_team(uow.session, values["team"])
            if not values:
                return user
            if values.get("active") is False:
                values["tokens_valid_after"] = utcnow()
                self._revoke_user_sessions(uow.session, user_id)
            if "active" in values or "roles" in values:
                self._check_admins_remain(uow.session, user, values)
            values["version"] = user.version + 1
            values["updated_at"] = utcnow()
            result = uow.session.execute(
                update(t.users)
                .where(t.users.c.id == user_id, t.users.c.version == user.version)
                .values(**values)
            )
            if result.rowcount != 1:
                raise Conflict(
                    "Someone else changed this user at the same time; fetch it and retry.",
                    code="concurrent_modification",
                )
            uow.commit()
        return self.user(user_id)

    def set_password(self, user_id: str, password_hash: str, *, end_sessions: bool) -> None:
        with self.uow() as uow:
            values: dict[str, Any] = {"password_hash": password_hash, "updated_at": utcnow()}
            if end_sessions:
                values["tokens_valid_after"] = utcnow()
                self._revoke_user_sessions(uow.session, user_id)
            result = uow.session.execute(
                update(t.users)
                .where(t.users.c.id == user_id)
                .values(version=t.users.c.version + 1, **values)
            )
            if result.rowcount != 1:
                raise NotFound(f"no user {user_id}")
            uow.commit()

    def record_login(self, user_id: str, new_hash: str | None) -> None:
        values: dict[str, Any] = {"last_login_at": utcnow()}
        if new_hash:
            values["password_hash"] = new_hash
        with self.uow() as uow:
            uow.session.execute(update(t.users).where(t.users.c.id == user_id).values(**values))
            uow.commit()

    def has_active_admin(self) -> bool:
        with self.db.session() as session:
            rows = session.execute(
                select(t.users.c.roles).where(t.users.c.active.is_(True))
            ).scalars()
            return any("admin" in (roles or ()) for roles in rows)

    def _check_admins_remain(self, session, user: User, values: dict[str, Any]) -> None:
        was_admin = "admin" in user.roles and user.active
        still_admin = "admin" in values.get("roles", user.roles) and values.get(
            "active", user.active
        )
        if not was_admin or still_admin:
            return
        rows = session.execute(
            select(t.users.c.id, t.users.c.roles).where(
                t.users.c.active.is_(True), t.users.c.id != user.id
            )
        )
        if not any("admin" in (r.roles or ()) for r in rows):
            raise Conflict(
                "This is the last active admin; make someone else admin first.",
                code="last_admin",
            )

    def _check_team(self, session, team: str | None) -> None:
        if team is None:
            return
        if session.execute(select(t.teams.c.name).where(t.teams.c.name == team)).first() is None:
            raise ApiError(
                f"There is no team {team!r}; create it first.",
                status=422,
                code="validation_failed",
                details={"team": ["Unknown team."]},
            )

    # -- teams ------------------------------------------------------------------------------

    def teams(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            counts = dict(
                session.execute(
                    select(t.users.c.team, func.count())
                    .where(t.users.c.team.is_not(None))
                    .group_by(t.users.c.team)
                ).all()
            )
            rows = session.execute(select(t.teams).order_by(t.teams.c.name)).all()
        return [{**dict(r._mapping), "members": counts.get(r.name, 0)} for r in rows]

    def team(self, name: str) -> dict[str, Any]:
        for team in self.teams():
            if team["name"] == name:
                return team
        raise NotFound(f"no team {name}")

    def create_team(self, name: str, description: str | None) -> dict[str, Any]:
        with self.uow() as uow:
            try:
                uow.session.execute(
                    insert(t.teams).values(name=name, description=description, created_at=utcnow())
                )
                uow.commit()
            except IntegrityError:
                raise Conflict(f"The team {name!r} exists already.", code="team_exists") from None
        return self.team(name)

    def ensure_team(self, name: str, description: str | None = None) -> None:
        with self.db.session() as session:
            exists = session.execute(select(t.teams.c.name).where(t.teams.c.name == name)).first()
        if exists is None:
            self.create_team(name, description)

    def update_team(self, name: str, description: str | None) -> dict[str, Any]:
        with self.uow() as uow:
            result = uow.session.execute(
                update(t.teams).where(t.teams.c.name == name).values(description=description)
            )
            if result.rowcount != 1:
                raise NotFound(f"no team {name}")
            uow.commit()
        return self.team(name)

    def delete_team(self, name: str) -> None:
        with self.uow() as uow:
            members = uow.session.execute(
                select(func.count()).select_from(t.users).where(t.users.c.team == name)
            ).scalar_one()
            if members:
                raise Conflict(
                    f"The team {name!r} still has {members} member(s); move them first.",
                    code="team_not_empty",
                )
            result = uow.session.execute(t.teams.delete().where(t.teams.c.name == name))
            if result.rowcount != 1:
                raise NotFound(f"no team {name}")
            uow.commit()

    # -- API keys ---------------------------------------------------------------------------

    def create_api_key(
        self,
        *,
        name: str,
        description: str | None,
        prefix: str,
        key_hash: str,
        scopes: list[str],
        created_by: str,
        expires_at: datetime | None,
    ) -> ApiKey:
        key_id = str(uuid.uuid4())
        with self.uow() as uow:
            uow.session.execute(
                insert(t.api_keys).values(
                    id=key_id,
                    name=name,
                    description=description,
                    prefix=prefix,
                    key_hash=key_hash,
                    scopes=sorted(set(scopes)),
                    created_by=created_by,
                    created_at=utcnow(),
                    expires_at=expires_at,
                )
            )
            uow.commit()
        return self.api_key(key_id)

    def api_key(self, key_id: str) -> ApiKey:
        with self.db.session() as session:
            row = session.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFound(f"no API key {key_id}")
        return ApiKey.from_row(row)

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        with self.db.session() as session:
            row = session.execute(
                select(t.api_keys).where(t.api_keys.c.key_hash == key_hash)
            ).first()
        return ApiKey.from_row(row) if row else None

    def list_api_keys(self, *, limit: int, cursor: str | None, include_revoked: bool) -> Page:
        statement = select(t.api_keys)
        if not include_revoked:
            statement = statement.where(t.api_keys.c.revoked_at.is_(None))
        sort = SortKey("-created_at", (t.api_keys.c.created_at, t.api_keys.c.id), descending=True)
        with self.db.session() as session:
            page = keyset_page(
                session,
                statement,
                sort,
                limit=limit,
                cursor=cursor,
                row_key=lambda r: (r.created_at, r.id),
                scalars=False,
            )
        page.items = [ApiKey.from_row(r) for r in page.items]
        return page

    def revoke_api_key(self, key_id: str) -> ApiKey:
        with self.uow() as uow:
            result = uow.session.execute(
                update(t.api_keys)
                .where(t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            if (
                result.rowcount == 0
                and not uow.session.execute(
                    select(t.api_keys.c.id).where(t.api_keys.c.id == key_id)
                ).first()
            ):
                raise NotFound(f"no API key {key_id}")
            uow.commit()
        return self.api_key(key_id)

    def touch_api_key(self, key_id: str, at: datetime, min_interval: float = 60.0) -> None:
        """Record use, at most once per ``min_interval`` seconds across all processes."""
        with self.uow() as uow:
            uow.session.execute(
                update(t.api_keys)
                .where(
                    t.api_keys.c.id == key_id,
                    or_(
                        t.api_keys.c.last_used_at.is_(None),
                        t.api_keys.c.last_used_at < at - timedelta(seconds=min_interval),
                    ),
                )
                .values(last_used_at=at)
            )
            uow.commit()

    # -- refresh tokens (sessions) ----------------------------------------------------------

    def issue_refresh(
        self, user_id: str, token_hash: str, ttl: int, family_id: str | None = None
    ) -> str:
        """Store a new refresh token (in a new family unless given); return the family id."""
        family_id = family_id or str(uuid.uuid4())
        now = utcnow()
        with self.uow() as uow:
            uow.session.execute(
                insert(t.refresh_tokens).values(
                    id=str(uuid.uuid4()),
                    user_id=user_id,
                    family_id=family_id,
                    token_hash=token_hash,
                    created_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )
            uow.commit()
        return family_id

    def rotate_refresh(self, token_hash: str, new_hash: str, ttl: int) -> tuple[User, str]:
        """Spend a refresh token and store its successor in the same family.

        A token that was already spent or revoked is a sign of theft: the whole family is
        revoked and the caller must sign in again.
        """
        now = utcnow()
        reused_family = None
        with self.uow() as uow:
            row = uow.session.execute(
                select(t.refresh_tokens).where(t.refresh_tokens.c.token_hash == token_hash)
            ).first()
            if row is None:
                raise Unauthenticated("Unknown refresh token.", code="invalid_refresh_token")
            if row.used_at is not None or row.revoked_at is not None:
                reused_family = (row.family_id, row.user_id)
            elif row.expires_at <= now:
                raise Unauthenticated(
                    "The refresh token has expired; sign in again.", code="refresh_token_expired"
                )
            else:
                spent = uow.session.execute(
                    update(t.refresh_tokens)
                    .where(
                        t.refresh_tokens.c.id == row.id,
                        t.refresh_tokens.c.used_at.is_(None),
                        t.refresh_tokens.c.revoked_at.is_(None),
                    )
                    .values(used_at=now)
                )
                if spent.rowcount != 1:  # a concurrent refresh with the same token won
                    reused_family = (row.family_id, row.user_id)
                else:
                    user_row = uow.session.execute(
                        select(t.users).where(t.users.c.id == row.user_id)
                    ).first()
                    user = User.from_row(user_row)
                    if not user.active:
                        raise Unauthenticated(
                            "This account is deactivated.", code="invalid_refresh_token"
                        )
                    uow.session.execute(
                        insert(t.refresh_tokens).values(
                            id=str(uuid.uuid4()),
                            user_id=row.user_id,
                            family_id=row.family_id,
                            token_hash=new_hash,
                            created_at=now,
                            expires_at=now + timedelta(seconds=ttl),
                        )
                    )
                    uow.commit()
                    return user, row.family_id
        family_id, user_id = reused_family
        self.revoke_family(family_id, user_id)
        raise RefreshReuse()

    def family_of(self, token_hash: str) -> tuple[str, str] | None:
        with self.db.session() as session:
            row = session.execute(
                select(t.refresh_tokens.c.family_id, t.refresh_tokens.c.user_id).where(
                    t.refresh_tokens.c.token_hash == token_hash
                )
            ).first()
        return (row.family_id, row.user_id) if row else None

    def revoke_family(self, family_id: str, user_id: str) -> None:
        with self.uow() as uow:
            self._revoke_families(uow.session, user_id, [family_id])
            uow.commit()

    def revoke_user_sessions(self, user_id: str) -> None:
        with self.uow() as uow:
            self._revoke_user_sessions(uow.session, user_id)
            uow.commit()

    def _revoke_user_sessions(self, session, user_id: str) -> None:
        families = (
            session.execute(
                select(t.refresh_tokens.c.family_id)
                .where(t.refresh_tokens.c.user_id == user_id)
                .distinct()
            )
            .scalars()
            .all()
        )
        self._revoke_families(session, user_id, families)

    def _revoke_families(self, session, user_id: str, families) -> None:
        now = utcnow()
        for family_id in families:
            session.execute(
                update(t.refresh_tokens)
                .where(
                    t.refresh_tokens.c.family_id == family_id,
                    t.refresh_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            exists = session.execute(
                select(t.revoked_sessions.c.family_id).where(
                    t.revoked_sessions.c.family_id == family_id
                )
            ).first()
            if exists is None:
                # Kept as long as an access token of the session can live (and then some).
                session.execute(
                    insert(t.revoked_sessions).values(
                        family_id=family_id,
                        user_id=user_id,
                        revoked_at=now,
                        expires_at=now + timedelta(days=1),
                    )
                )

    def session_revoked(self, family_id: str) -> bool:
        with self.db.session() as session:
            return (
                session.execute(
                    select(t.revoked_sessions.c.family_id).where(
                        t.revoked_sessions.c.family_id == family_id
                    )
                ).first()
                is not None
            )

    def purge_expired(self) -> dict[str, int]:
        """Delete refresh tokens a day past expiry and revoked-session markers past theirs."""
        now = utcnow()
        with self.uow() as uow:
            tokens = uow.session.execute(
                t.refresh_tokens.delete().where(
                    t.refresh_tokens.c.expires_at < now - timedelta(days=1)
                )
            ).rowcount
            markers = uow.session.execute(
                t.revoked_sessions.delete().where(t.revoked_sessions.c.expires_at < now)
            ).rowcount
            uow.commit()
        return {"refresh_tokens": tokens or 0, "revoked_sessions": markers or 0}


def _sort_values(sort: str, row) -> tuple:
    m = row._mapping
    if sort == "email":
        return (m["email"], m["id"])
    if sort == "name":
        return (m["name"], m["id"])
    return (m["created_at"], m["id"])
