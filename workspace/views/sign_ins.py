"""Guessing passwords and join codes, without punishing a hotel (docs/security.md).

A hotel's laptops share one public address, so an address is never locked and neither is an
account: a username that keeps failing waits longer and longer between attempts
(`services.throttle`), and a browser that signed in to that account before (a signed "trusted
device" cookie, 30 days) is not held up by anyone else's failures. Usernames that name nobody are
slowed per address. Join codes: counted per address and per typed code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from workspace.extensions import db
from workspace.models import User
from workspace.services import onboarding, throttle

DEVICE_COOKIE = "sinergi_device"
DEVICE_DAYS = 30
MAX_TRUSTED_ACCOUNTS = 8  # accounts one browser remembers (a shared laptop at the registration desk)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sinergi-trusted-device")


def trusted_accounts(cookies: Mapping[str, str]) -> list[int]:
    """The accounts this browser signed in to before (from its signed cookie; [] if none or forged)."""
    raw = cookies.get(DEVICE_COOKIE, "")
    if not raw or len(raw) > 400:
        return []
    try:
        ids = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [value for value in ids if isinstance(value, int)] if isinstance(ids, list) else []


def trust_device(response: Response, user: User, cookies: Mapping[str, str]) -> None:
    ids = [user.id] + [known for known in trusted_accounts(cookies) if known != user.id]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(ids[:MAX_TRUSTED_ACCOUNTS]),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def _account_policy() -> throttle.Policy:
    config = current_app.config
    return throttle.Policy(free=int(config["SIGN_IN_FREE_FAILURES"]), cap=float(config["SIGN_IN_MAX_WAIT"]))


def _unknown_policy() -> throttle.Policy:
    return throttle.Policy(free=int(current_app.config["SIGN_IN_UNKNOWN_FREE_FAILURES"]), cap=60, window=60)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: whose throttle it answers to."""

    key: str  # "account:<username>" or "unknown:<address>"
    trusted: bool  # this browser signed in to the account before
    policy: throttle.Policy

    @classmethod
    def of(cls, typed_username: str, address: str, cookies: Mapping[str, str]) -> Attempt:
        username = typed_username.strip().lower()[:80]
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        if user_id is None:
            return cls(key=f"signin:unknown:{address}", trusted=False, policy=_unknown_policy())
        trusted = user_id in trusted_accounts(cookies)
        return cls(key=f"signin:account:{username}", trusted=trusted, policy=_account_policy())

    def seconds_to_wait(self) -> int:
        return 0 if self.trusted else throttle.seconds_to_wait(self.key)

    def failed(self) -> None:
        if not self.trusted:
            throttle.record_failure(self.key, self.policy)

    def succeeded(self) -> None:
        throttle.record_success(self.key)


def wrong_code_within_limits(typed: str, address: str) -> bool:
    """Count a wrong join code against its address and against the code typed; False past either."""
    config = current_app.config
    by_address = throttle.within_failure_limit(config["JOIN_CODE_RATE_LIMIT"], f"joincode:address:{address}")
    by_code = throttle.within_failure_limit(
        config["JOIN_CODE_PER_CODE_LIMIT"], f"joincode:code:{onboarding.normalise_code(typed)}"
    )
    return by_address and by_code
