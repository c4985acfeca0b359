"""Who calls: `AccessControl` resolves the caller of a request from its credentials.

Basic auth and ``TERCEL_API_TOKENS`` of the settings act as a super-admin; a user's name and
password (argon2, throttled), a service account's ``tct_`` token, or the UI's session cookie
give a `Principal` with the roles of its bindings. Access control is on when the settings
hold credentials or some user has a password; otherwise every caller is the local operator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tercel.access.passwords import verify_password
from tercel.access.principal import ANONYMOUS, ActorType, Grant, Principal, operator
from tercel.access.records import SubjectType, UserRecord
from tercel.access.throttle import LoginThrottle
from tercel.access.tokens import digest, parse_api_token, same
from tercel.errors import AuthenticationError, TooManyAttemptsError

if TYPE_CHECKING:
    from tercel.config import Settings
    from tercel.store.api import Store
    from tercel.store.sql.access import AccessRepository

SESSION_COOKIE = "tercel_session"
#: How long a verified user name + password is trusted without hashing it again.
BASIC_CACHE_SECONDS = 60.0
ENFORCED_CACHE_SECONDS = 1.0
#: How long a resolved caller (roles included) and a tenant's existence are reused.
PRINCIPAL_CACHE_SECONDS = 2.0


class AccessControl:
    """Authentication and authorization of one application (`app.state.access`)."""

    def __init__(
        self, settings: Settings, repository: AccessRepository | None, store: Store
    ) -> None:
        self.settings = settings
        self.repository = repository
        self.store = store
        self.throttle = LoginThrottle()
        self._verified: dict[str, tuple[float, str]] = {}
        self._principals: dict[str, tuple[float, Principal]] = {}
        self._tenants: dict[str, tuple[float, bool]] = {}
        self._enforced: tuple[float, bool] = (0.0, False)

    def bootstrap(self) -> None:
        """Give the `admin` super-admin the ``TERCEL_ADMIN_PASSWORD`` when it has none yet
        (a fresh or migrated install); a password set since is never overwritten."""
        password = self.settings.admin_password
        if not password or self.repository is None:
            return
        from tercel.access.passwords import hash_password

        found = self.repository.find_user("admin")
        if found is None:
            self.repository.create_user("admin", hash_password(password), super_admin=True)
        elif not found.has_password:
            self.repository.update_user(found.id, password_hash=hash_password(password))
        self.users_changed()

    # -- whether credentials are required --------------------------------------------------
    def enforced(self) -> bool:
        """Whether callers must authenticate (re-checked at most once a second)."""
        if self.settings.auth_enabled:
            return True
        if self.repository is None:
            return False
        now = time.monotonic()
        if now - self._enforced[0] > ENFORCED_CACHE_SECONDS:
            self._enforced = (now, self.repository.any_password())
        return self._enforced[1]

    def users_changed(self) -> None:
        """Forget cached verifications (a password, a user, a binding or a tenant changed)."""
        self._verified.clear()
        self._principals.clear()
        self._tenants.clear()
        self._enforced = (0.0, False)

    # -- who calls -------------------------------------------------------------------------
    def resolve(
        self, headers: dict[str, str], cookies: dict[str, str], ip: str | None
    ) -> Principal:
        """The caller of a request; AuthenticationError when its credentials are wrong.

        A resolved caller is reused for `PRINCIPAL_CACHE_SECONDS` (its credentials' digest is
        the key): a change made through this process applies at once (`users_changed`),
        one made through another process within that delay.
        """
        if not self.enforced():
            return operator("local")
        credentials = headers.get("authorization") or cookies.get(SESSION_COOKIE)
        if not credentials:
            return ANONYMOUS
        key = digest(credentials)
        now = time.monotonic()
        hit = self._principals.get(key)
        if hit is not None and now - hit[0] < PRINCIPAL_CACHE_SECONDS:
            return hit[1]
        principal = self._resolve(headers, cookies, ip)
        if principal.authenticated:
            if len(self._principals) > 10_000:
                self._principals.clear()
            self._principals[key] = (now, principal)
        return principal

    def _resolve(
        self, headers: dict[str, str], cookies: dict[str, str], ip: str | None
    ) -> Principal:
        header = headers.get("authorization")
        if header:
            scheme, _, credentials = header.partition(" ")
            scheme, credentials = scheme.lower(), credentials.strip()
            if scheme == "bearer":
                return self._bearer(credentials)
            if scheme == "basic":
                return self._basic(credentials, ip)
            raise AuthenticationError("authentication: use basic auth, a bearer token or log in")
        session = cookies.get(SESSION_COOKIE)
        if session and self.repository is not None:
            found = self.repository.session(digest(session))
            if found is not None:
                user = self.repository.user(found.user_id)
                if user is not None and not user.disabled:
                    return self.user_principal(user, csrf_token=found.csrf_token)
        return ANONYMOUS

    def _bearer(self, token: str) -> Principal:
        if any(same(token, configured) for configured in self.settings.api_tokens):
            return operator("api-token")
        parsed = parse_api_token(token)
        if parsed is not None and self.repository is not None:
            found = self.repository.token_secret(parsed[0])
            if found is not None and same(digest(parsed[1]), found[1]):
                record = found[0]
                if record.usable(datetime.now(UTC)):
                    account = self.repository.service_account(record.service_account_id)
                    if account is not None:
                        self.repository.token_used(record.id)
                        grants = self._grants([(SubjectType.SERVICE_ACCOUNT, account.id)])
                        return Principal(
                            ActorType.SERVICE_ACCOUNT,
                            account.name,
                            account.id,
                            grants=grants,
                            home_tenant=account.tenant,
                        )
                raise AuthenticationError("authentication: this API token is revoked or expired")
        raise AuthenticationError("authentication: unknown API token")

    def _basic(self, credentials: str, ip: str | None) -> Principal:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("authentication: malformed basic credentials") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise AuthenticationError("authentication: malformed basic credentials")
        settings = self.settings
        if settings.has_basic_auth and same(username, settings.basic_auth_user or ""):
            if same(password, settings.basic_auth_password or ""):
                return operator(username)
            raise AuthenticationError("authentication: wrong user name or password")
        user = self.check_password(username, password, ip)
        return self.user_principal(user)

    def check_password(self, username: str, password: str, ip: str | None) -> UserRecord:
        """The user whose password this is (throttled; AuthenticationError when wrong)."""
        if self.repository is None:
            raise AuthenticationError("authentication: wrong user name or password")
        key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        hit = self._verified.get(key)
        if hit is not None and time.monotonic() - hit[0] < BASIC_CACHE_SECONDS:
            user = self.repository.user(hit[1])
            if user is not None and not user.disabled:
                return user
        keys = (f"user:{username}", f"ip:{ip}")
        wait = self.throttle.retry_after(*keys)
        if wait > 0:
            raise TooManyAttemptsError(
                f"too many failed logins: retry in {int(wait) + 1} s", retry_after=wait
            )
        found = self.repository.password_hash(username)
        ok = verify_password(None if found is None else found[1], password)
        if not ok or found is None or found[0].disabled:
            self.throttle.failed(*keys)
            raise AuthenticationError("authentication: wrong user name or password")
        self.throttle.succeeded(keys[0])
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[key] = (time.monotonic(), found[0].id)
        return found[0]

    def user_principal(self, user: UserRecord, csrf_token: str | None = None) -> Principal:
        """A user with the roles of their bindings and of their groups' bindings."""
        assert self.repository is not None
        subjects = [(SubjectType.USER, user.id)]
        subjects += [(SubjectType.GROUP, g) for g in self.repository.groups_of(user.id)]
        return Principal(
            ActorType.USER,
            user.username,
            user.id,
            super_admin=user.super_admin,
            grants=self._grants(subjects),
            csrf_token=csrf_token,
        )

    def _grants(self, subjects: list[tuple[SubjectType, str]]) -> tuple[Grant, ...]:
        assert self.repository is not None
        grants = []
        for binding in self.repository.bindings_of(subjects):
            role = self.repository.role(binding.tenant, binding.role)
            if role is not None:
                grants.append(Grant(binding, role))
        return tuple(grants)

    # -- tenants ---------------------------------------------------------------------------
    def tenant_exists(self, tenant: str) -> bool:
        """Whether the tenant exists (always true without the access tables; cached like
        callers)."""
        if self.repository is None:
            return True
        now = time.monotonic()
        hit = self._tenants.get(tenant)
        if hit is not None and now - hit[0] < PRINCIPAL_CACHE_SECONDS:
            return hit[1]
        if len(self._tenants) > 10_000:
            self._tenants.clear()
        exists = self.repository.find_tenant(tenant) is not None
        self._tenants[tenant] = (now, exists)
        return exists
