"""`AccessRepository`: tenants, users, groups, service accounts, tokens, roles, bindings,
sessions and the audit log on the store's SQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.access.passwords import NO_PASSWORD
from tercel.access.permissions import (
    BUILTIN_ROLES,
    Role,
    permissions_from_wire,
    permissions_to_wire,
)
from tercel.access.records import (
    AuditEntry,
    BindingRecord,
    GroupRecord,
    ServiceAccountRecord,
    SessionRecord,
    SubjectType,
    TenantRecord,
    TokenRecord,
    UserRecord,
)
from tercel.errors import ConflictError, NotFoundError
from tercel.store.sql.database import Database
from tercel.store.sql.schema import (
    INSTANCE_TABLES,
    api_tokens,
    audit_log,
    executions,
    flows,
    group_members,
    groups,
    metadata,
    role_bindings,
    roles,
    service_accounts,
    sessions,
    tenants,
    users,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return uuid.uuid4().hex


def _user(row: Any) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        super_admin=bool(row.super_admin),
        disabled=bool(row.disabled),
        created=row.created,
        password_changed=row.password_changed,
        has_password=row.password_hash != NO_PASSWORD,
    )


def _token(row: Any) -> TokenRecord:
    return TokenRecord(
        row.id,
        row.service_account_id,
        row.name,
        row.created,
        row.expires,
        row.revoked,
        row.last_used,
    )


def _binding(row: Any) -> BindingRecord:
    return BindingRecord(
        row.id,
        row.tenant_id,
        SubjectType(row.subject_type),
        row.subject_id,
        row.role,
        row.namespace,
        row.created,
    )


class AccessRepository:
    """The access tables (`tercel.store.sql.schema`), on the store's `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- tenants ---------------------------------------------------------------------------
    def create_tenant(self, tenant_id: str, name: str | None = None) -> TenantRecord:
        """A new tenant (ConflictError if the id is taken)."""
        record = TenantRecord(tenant_id, name or tenant_id, _now())
        with self._db.transaction() as conn:
            if conn.execute(sa.select(tenants.c.id).where(tenants.c.id == tenant_id)).first():
                raise ConflictError(f"tenant `{tenant_id}` already exists")
            conn.execute(
                tenants.insert().values(id=record.id, name=record.name, created=record.created)
            )
        return record

    def tenants(self) -> list[TenantRecord]:
        """Every tenant, by id."""
        with self._db.read() as conn:
            rows = conn.execute(sa.select(tenants).order_by(tenants.c.id)).all()
        return [TenantRecord(r.id, r.name, r.created) for r in rows]

    def find_tenant(self, tenant_id: str) -> TenantRecord | None:
        """The tenant, or None."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(tenants).where(tenants.c.id == tenant_id)).first()
        return None if row is None else TenantRecord(row.id, row.name, row.created)

    def rename_tenant(self, tenant_id: str, name: str) -> TenantRecord:
        """Change a tenant's display name (its id, in every path, stays)."""
        with self._db.transaction() as conn:
            done = conn.execute(tenants.update().where(tenants.c.id == tenant_id).values(name=name))
            if not done.rowcount:
                raise NotFoundError(f"tenant `{tenant_id}` not found")
        found = self.find_tenant(tenant_id)
        assert found is not None
        return found

    def tenant_has_data(self, tenant_id: str) -> bool:
        """Whether flows or executions remain in the tenant."""
        with self._db.read() as conn:
            for table in (flows, executions):
                query = sa.select(table.c.tenant_id).where(table.c.tenant_id == tenant_id).limit(1)
                if conn.execute(query).first():
                    return True
        return False

    def purge_tenant_data(self, tenant_id: str) -> None:
        """Delete every row of a tenant's data (flows, executions, logs, KV, secrets...);
        its audit log stays."""
        keep = {"audit_log", *INSTANCE_TABLES}
        with self._db.transaction() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name not in keep and "tenant_id" in table.c:
                    conn.execute(table.delete().where(table.c.tenant_id == tenant_id))

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete a tenant and its access records (bindings, roles, groups, accounts)."""
        with self._db.transaction() as conn:
            accounts: list[str] = list(
                conn.execute(
                    sa.select(service_accounts.c.id).where(
                        service_accounts.c.tenant_id == tenant_id
                    )
                )
                .scalars()
                .all()
            )
            if accounts:
                conn.execute(
                    api_tokens.delete().where(api_tokens.c.service_account_id.in_(accounts))
                )
            group_ids: list[str] = list(
                conn.execute(sa.select(groups.c.id).where(groups.c.tenant_id == tenant_id))
                .scalars()
                .all()
            )
            if group_ids:
                conn.execute(group_members.delete().where(group_members.c.group_id.in_(group_ids)))
            for table in (service_accounts, groups, roles, role_bindings):
                conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
            done = conn.execute(tenants.delete().where(tenants.c.id == tenant_id))
        return bool(done.rowcount)

    # -- users -----------------------------------------------------------------------------
    def create_user(
        self, username: str, password_hash: str, *, super_admin: bool = False
    ) -> UserRecord:
        """A new user (ConflictError if the name is taken)."""
        now = _now()
        row = {
            "id": _id(),
            "username": username,
            "password_hash": password_hash,
            "super_admin": super_admin,
            "disabled": False,
            "created": now,
            "password_changed": now,
        }
        with self._db.transaction() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise ConflictError(f"user `{username}` already exists")
            conn.execute(users.insert().values(**row))
        found = self.find_user(username)
        assert found is not None
        return found

    def users(self) -> list[UserRecord]:
        """Every user, by name."""
        with self._db.read() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]

    def find_user(self, username: str) -> UserRecord | None:
        """A user by name."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        return None if row is None else _user(row)

    def user(self, user_id: str) -> UserRecord | None:
        """A user by id."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def password_hash(self, username: str) -> tuple[UserRecord, str] | None:
        """A user and its stored hash (for login only)."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        return None if row is None else (_user(row), row.password_hash)

    def any_password(self) -> bool:
        """Whether some enabled user can log in (then the API requires credentials)."""
        with self._db.read() as conn:
            query = sa.select(users.c.id).where(
                users.c.password_hash != NO_PASSWORD, users.c.disabled.is_(False)
            )
            return conn.execute(query.limit(1)).first() is not None

    def update_user(
        self,
        user_id: str,
        *,
        password_hash: str | None = None,
        super_admin: bool | None = None,
        disabled: bool | None = None,
    ) -> UserRecord:
        """Change a user; a new password ends every session of the user."""
        values: dict[str, Any] = {}
        if password_hash is not None:
            values.update(password_hash=password_hash, password_changed=_now())
        if super_admin is not None:
            values["super_admin"] = super_admin
        if disabled is not None:
            values["disabled"] = disabled
        with self._db.transaction() as conn:
            if values:
                done = conn.execute(users.update().where(users.c.id == user_id).values(**values))
                if not done.rowcount:
                    raise NotFoundError(f"user `{user_id}` not found")
            if password_hash is not None or disabled:
                conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
        found = self.user(user_id)
        if found is None:
            raise NotFoundError(f"user `{user_id}` not found")
        return found

    def delete_user(self, user_id: str) -> bool:
        """Delete a user, its sessions, memberships and bindings."""
        with self._db.transaction() as conn:
            conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
            conn.execute(group_members.delete().where(group_members.c.user_id == user_id))
            conn.execute(
                role_bindings.delete().where(
                    role_bindings.c.subject_type == SubjectType.USER.value,
                    role_bindings.c.subject_id == user_id,
                )
            )
            return bool(conn.execute(users.delete().where(users.c.id == user_id)).rowcount)

    # -- groups ----------------------------------------------------------------------------
    def create_group(self, tenant: str, name: str) -> GroupRecord:
        """A new group of a tenant."""
        group_id = _id()
        with self._db.transaction() as conn:
            exists = sa.select(groups.c.id).where(
                groups.c.tenant_id == tenant, groups.c.name == name
            )
            if conn.execute(exists).first():
                raise ConflictError(f"group `{name}` already exists")
            conn.execute(
                groups.insert().values(id=group_id, tenant_id=tenant, name=name, created=_now())
            )
        return GroupRecord(group_id, tenant, name, ())

    def groups(self, tenant: str) -> list[GroupRecord]:
        """The groups of a tenant with their members."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(groups).where(groups.c.tenant_id == tenant).order_by(groups.c.name)
            ).all()
            members = conn.execute(
                sa.select(group_members).where(group_members.c.group_id.in_([r.id for r in rows]))
            ).all()
        by_group: dict[str, list[str]] = {}
        for m in members:
            by_group.setdefault(m.group_id, []).append(m.user_id)
        return [
            GroupRecord(r.id, r.tenant_id, r.name, tuple(sorted(by_group.get(r.id, []))))
            for r in rows
        ]

    def set_group_members(self, tenant: str, group_id: str, user_ids: Iterable[str]) -> GroupRecord:
        """Replace a group's members."""
        with self._db.transaction() as conn:
            row = conn.execute(
                sa.select(groups).where(groups.c.tenant_id == tenant, groups.c.id == group_id)
            ).first()
            if row is None:
                raise NotFoundError(f"group `{group_id}` not found")
            conn.execute(group_members.delete().where(group_members.c.group_id == group_id))
            wanted = sorted(set(user_ids))
            for user_id in wanted:
                if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
                    raise NotFoundError(f"user `{user_id}` not found")
                conn.execute(group_members.insert().values(group_id=group_id, user_id=user_id))
        return GroupRecord(group_id, tenant, row.name, tuple(wanted))

    def delete_group(self, tenant: str, group_id: str) -> bool:
        """Delete a group, its memberships and bindings."""
        with self._db.transaction() as conn:
            done = conn.execute(
                groups.delete().where(groups.c.tenant_id == tenant, groups.c.id == group_id)
            )
            if done.rowcount:
                conn.execute(group_members.delete().where(group_members.c.group_id == group_id))
                conn.execute(
                    role_bindings.delete().where(
                        role_bindings.c.subject_type == SubjectType.GROUP.value,
                        role_bindings.c.subject_id == group_id,
                    )
                )
        return bool(done.rowcount)

    def groups_of(self, user_id: str) -> list[str]:
        """Ids of the groups a user belongs to (any tenant)."""
        with self._db.read() as conn:
            query = sa.select(group_members.c.group_id).where(group_members.c.user_id == user_id)
            return list(conn.execute(query).scalars())

    # -- service accounts and tokens -------------------------------------------------------
    def create_service_account(
        self, tenant: str, name: str, description: str | None = None
    ) -> ServiceAccountRecord:
        """A new service account of a tenant."""
        record = ServiceAccountRecord(_id(), tenant, name, description, _now())
        with self._db.transaction() as conn:
            exists = sa.select(service_accounts.c.id).where(
                service_accounts.c.tenant_id == tenant, service_accounts.c.name == name
            )
            if conn.execute(exists).first():
                raise ConflictError(f"service account `{name}` already exists")
            conn.execute(
                service_accounts.insert().values(
                    id=record.id,
                    tenant_id=tenant,
                    name=name,
                    description=description,
                    created=record.created,
                )
            )
        return record

    def service_accounts(self, tenant: str) -> list[ServiceAccountRecord]:
        """The service accounts of a tenant."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(service_accounts)
                .where(service_accounts.c.tenant_id == tenant)
                .order_by(service_accounts.c.name)
            ).all()
        return [
            ServiceAccountRecord(r.id, r.tenant_id, r.name, r.description, r.created) for r in rows
        ]

    def service_account(
        self, account_id: str, tenant: str | None = None
    ) -> ServiceAccountRecord | None:
        """A service account by id (in `tenant` when given)."""
        query = sa.select(service_accounts).where(service_accounts.c.id == account_id)
        if tenant is not None:
            query = query.where(service_accounts.c.tenant_id == tenant)
        with self._db.read() as conn:
            r = conn.execute(query).first()
        return (
            None
            if r is None
            else ServiceAccountRecord(r.id, r.tenant_id, r.name, r.description, r.created)
        )

    def delete_service_account(self, tenant: str, account_id: str) -> bool:
        """Delete a service account, its tokens and bindings."""
        with self._db.transaction() as conn:
            done = conn.execute(
                service_accounts.delete().where(
                    service_accounts.c.tenant_id == tenant, service_accounts.c.id == account_id
                )
            )
            if done.rowcount:
                conn.execute(
                    api_tokens.delete().where(api_tokens.c.service_account_id == account_id)
                )
                conn.execute(
                    role_bindings.delete().where(
                        role_bindings.c.subject_type == SubjectType.SERVICE_ACCOUNT.value,
                        role_bindings.c.subject_id == account_id,
                    )
                )
        return bool(done.rowcount)

    def create_token(
        self, account_id: str, token_id: str, secret_hash: str, name: str, expires: datetime | None
    ) -> TokenRecord:
        """Store a new token's id and digest."""
        now = _now()
        with self._db.transaction() as conn:
            conn.execute(
                api_tokens.insert().values(
                    id=token_id,
                    service_account_id=account_id,
                    name=name,
                    secret_hash=secret_hash,
                    created=now,
                    expires=expires,
                )
            )
        return TokenRecord(token_id, account_id, name, now, expires, None, None)

    def tokens(self, account_id: str) -> list[TokenRecord]:
        """The tokens of a service account."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(api_tokens)
                .where(api_tokens.c.service_account_id == account_id)
                .order_by(api_tokens.c.created)
            ).all()
        return [_token(r) for r in rows]

    def token_secret(self, token_id: str) -> tuple[TokenRecord, str] | None:
        """A token and its stored digest (for authentication only)."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return None if row is None else (_token(row), row.secret_hash)

    def revoke_token(self, account_id: str, token_id: str) -> bool:
        """Revoke a token now (it stays listed, refused from then on)."""
        with self._db.transaction() as conn:
            done = conn.execute(
                api_tokens.update()
                .where(api_tokens.c.id == token_id, api_tokens.c.service_account_id == account_id)
                .values(revoked=_now())
            )
        return bool(done.rowcount)

    def token_used(self, token_id: str) -> None:
        """Record when a token was last used."""
        with self._db.transaction() as conn:
            conn.execute(
                api_tokens.update().where(api_tokens.c.id == token_id).values(last_used=_now())
            )

    # -- roles and bindings ----------------------------------------------------------------
    def put_role(
        self, tenant: str, name: str, permissions: dict[str, Any], description: str = ""
    ) -> Role:
        """Create or replace a custom role of a tenant (built-in names are refused)."""
        if name in BUILTIN_ROLES:
            raise ConflictError(f"role `{name}` is built in and cannot be changed")
        parsed = permissions_from_wire(permissions)
        with self._db.transaction() as conn:
            conn.execute(roles.delete().where(roles.c.tenant_id == tenant, roles.c.name == name))
            conn.execute(
                roles.insert().values(
                    tenant_id=tenant,
                    name=name,
                    description=description,
                    permissions=permissions_to_wire(parsed),
                )
            )
        return Role(name, parsed, description, False, tenant)

    def roles(self, tenant: str) -> list[Role]:
        """The built-in roles, then the tenant's own."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(roles).where(roles.c.tenant_id == tenant).order_by(roles.c.name)
            ).all()
        own = [
            Role(r.name, permissions_from_wire(r.permissions), r.description or "", False, tenant)
            for r in rows
        ]
        return [*BUILTIN_ROLES.values(), *own]

    def role(self, tenant: str, name: str) -> Role | None:
        """A role by name in a tenant (built-in or its own)."""
        if name in BUILTIN_ROLES:
            return BUILTIN_ROLES[name]
        with self._db.read() as conn:
            r = conn.execute(
                sa.select(roles).where(roles.c.tenant_id == tenant, roles.c.name == name)
            ).first()
        return (
            None
            if r is None
            else Role(
                r.name, permissions_from_wire(r.permissions), r.description or "", False, tenant
            )
        )

    def delete_role(self, tenant: str, name: str) -> bool:
        """Delete a custom role and the bindings to it."""
        if name in BUILTIN_ROLES:
            raise ConflictError(f"role `{name}` is built in and cannot be deleted")
        with self._db.transaction() as conn:
            conn.execute(
                role_bindings.delete().where(
                    role_bindings.c.tenant_id == tenant, role_bindings.c.role == name
                )
            )
            return bool(
                conn.execute(
                    roles.delete().where(roles.c.tenant_id == tenant, roles.c.name == name)
                ).rowcount
            )

    def bind(
        self,
        tenant: str,
        subject_type: SubjectType,
        subject_id: str,
        role: str,
        namespace: str | None = None,
    ) -> BindingRecord:
        """Give a subject a role in a tenant (limited to `namespace` and its children)."""
        if self.role(tenant, role) is None:
            raise NotFoundError(f"role `{role}` not found in tenant `{tenant}`")
        record = BindingRecord(
            _id(), tenant, subject_type, subject_id, role, namespace or None, _now()
        )
        with self._db.transaction() as conn:
            conn.execute(
                role_bindings.insert().values(
                    id=record.id,
                    tenant_id=tenant,
                    subject_type=subject_type.value,
                    subject_id=subject_id,
                    role=role,
                    namespace=record.namespace,
                    created=record.created,
                )
            )
        return record

    def bindings(self, tenant: str) -> list[BindingRecord]:
        """The bindings of a tenant."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(role_bindings)
                .where(role_bindings.c.tenant_id == tenant)
                .order_by(role_bindings.c.created)
            ).all()
        return [_binding(r) for r in rows]

    def bindings_of(self, subjects: Iterable[tuple[SubjectType, str]]) -> list[BindingRecord]:
        """Every binding of these subjects, in every tenant."""
        wanted = list(subjects)
        if not wanted:
            return []
        condition = sa.or_(
            *(
                sa.and_(
                    role_bindings.c.subject_type == kind.value, role_bindings.c.subject_id == sid
                )
                for kind, sid in wanted
            )
        )
        with self._db.read() as conn:
            return [_binding(r) for r in conn.execute(sa.select(role_bindings).where(condition))]

    def unbind(self, tenant: str, binding_id: str) -> bool:
        """Delete a binding."""
        with self._db.transaction() as conn:
            done = conn.execute(
                role_bindings.delete().where(
                    role_bindings.c.tenant_id == tenant, role_bindings.c.id == binding_id
                )
            )
        return bool(done.rowcount)

    # -- sessions --------------------------------------------------------------------------
    def create_session(
        self, id_hash: str, user_id: str, csrf_token: str, expires: datetime
    ) -> None:
        """Store a new login session."""
        with self._db.transaction() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires < _now()))
            conn.execute(
                sessions.insert().values(
                    id_hash=id_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created=_now(),
                    expires=expires,
                )
            )

    def session(self, id_hash: str) -> SessionRecord | None:
        """A live session, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(sessions).where(
                    sessions.c.id_hash == id_hash, sessions.c.expires > _now()
                )
            ).first()
        return None if row is None else SessionRecord(row.user_id, row.csrf_token, row.expires)

    def end_session(self, id_hash: str) -> None:
        """Log a session out."""
        with self._db.transaction() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == id_hash))

    # -- audit log -------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        """Append an audit entry."""
        with self._db.transaction() as conn:
            conn.execute(
                audit_log.insert().values(
                    tenant_id=entry.tenant,
                    date=entry.date,
                    actor_type=entry.actor_type,
                    actor=entry.actor,
                    action=entry.action,
                    resource=entry.resource,
                    resource_id=entry.resource_id,
                    namespace=entry.namespace,
                    method=entry.method,
                    path=entry.path,
                    status=entry.status,
                    ip=entry.ip,
                    channel=entry.channel,
                    details=entry.details,
                )
            )

    def audit_search(
        self,
        tenant: str | None,
        *,
        actor: str | None = None,
        resource: str | None = None,
        resource_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        page: int = 1,
        size: int = 50,
    ) -> tuple[list[AuditEntry], int]:
        """Entries matching every given filter, newest first, and their total."""
        conditions: list[sa.ColumnElement[bool]] = []
        if tenant is not None:
            conditions.append(audit_log.c.tenant_id == tenant)
        if actor:
            conditions.append(audit_log.c.actor == actor)
        if resource:
            conditions.append(audit_log.c.resource == resource.upper())
        if resource_id:
            conditions.append(audit_log.c.resource_id == resource_id)
        if start is not None:
            conditions.append(audit_log.c.date >= start)
        if end is not None:
            conditions.append(audit_log.c.date <= end)
        where = sa.and_(sa.true(), *conditions)
        with self._db.read() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(audit_log).where(where)
            ).scalar_one()
            rows = conn.execute(
                sa.select(audit_log)
                .where(where)
                .order_by(audit_log.c.date.desc(), audit_log.c.id.desc())
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        entries = [
            AuditEntry(
                r.tenant_id,
                r.date,
                r.actor_type,
                r.actor,
                r.action,
                r.resource,
                r.resource_id,
                r.namespace,
                r.method,
                r.path,
                r.status,
                r.ip,
                r.channel,
                r.details,
                r.id,
            )
            for r in rows
        ]
        return entries, int(total)
