"""One-time join codes: issued on name-tag cards (only their keyed hash is stored), redeemed once
before the event ends (the code spent and the sign-in started in one unit of work), reissued to
reset a forgotten password. The password a person sets after it: `accounts.change_own_password`."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from workspace.core.errors import PermissionDenied, ValidationFailed
from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import Event, JoinCode, Membership, Role, User
from workspace.models.base import utcnow
from workspace.services.accounts import open_login
from workspace.services.onboarding._common import event_by_id, organised_event
from workspace.services.onboarding.audit import record_audit
from workspace.services.onboarding.event import code_sign_in_end, event_end
from workspace.services.onboarding.people import event_person

# 12 symbols of a 32-letter alphabet without 0/O and 1/I: 60 bits, typed as XXXX-XXXX-XXXX.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", typed.upper())[:40]


def code_hash(code: str) -> str:
    """Keyed hash: a leaked database does not let anyone try codes offline."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, normalise_code(code).encode("ascii"), hashlib.sha256).hexdigest()


# ---- Issuing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    user: User
    code: str  # as printed: XXXX-XXXX-XXXX

    @property
    def normalised(self) -> str:
        return normalise_code(self.code)


def issue_codes(actor: User, event_id: int, user_ids: list[int]) -> list[IssuedCode]:
    """A new one-time code for each person; their earlier unused codes stop working. Shown once:
    only the hash is stored, so printing the cards again issues new codes."""
    event = organised_event(actor, event_id)
    if not user_ids:
        raise ValidationFailed({"people": _("Choose at least one person.")})
    chosen = [event_person(event, user_id, actor) for user_id in dict.fromkeys(user_ids)]
    _refuse_fellow_organisers(actor, event, chosen)
    issued: list[IssuedCode] = []
    with write_transaction():
        event = event_by_id(event_id)
        expires = event_end(event)
        now = utcnow()
        for user_id in dict.fromkeys(user_ids):  # the same person twice would void their first card
            user = event_person(event, user_id, actor)
            issued.append(IssuedCode(user=user, code=format_code(new_code(actor, event, user, expires, now))))
        record_audit(
            actor, event, "codes.issue", f"event:{event.id}", ", ".join(item.user.name for item in issued)[:2000]
        )
    for item in issued:
        db.session.refresh(item.user)
    return issued


def _refuse_fellow_organisers(actor: User, event: Event, users: list[User]) -> None:
    """A code signs its holder in and lets them set a new password without the old one: issued to
    an organiser (of any event) or a platform administrator, it would let one organiser take over
    another. Only a platform administrator (or the server's command line) may. A refused attempt
    is written to the event's audit."""
    if actor.is_platform_admin:
        return
    fellows = [user for user in users if user.id != actor.id and is_organiser_anywhere(user)]
    if not fellows:
        return
    names = ", ".join(user.name for user in fellows)
    with write_transaction():
        record_audit(actor, event_by_id(event.id), "codes.refused", f"event:{event.id}", names[:2000])
    raise PermissionDenied(
        _(
            "%(names)s: organisers get join codes and new passwords only from a platform administrator.",
            names=names,
        )
    )


def is_organiser_anywhere(user: User) -> bool:
    if user.is_platform_admin:
        return True
    organises = db.session.scalar(
        sa.select(Membership.id).where(Membership.user_id == user.id, Membership.role == Role.ORGANISER).limit(1)
    )
    return organises is not None


def new_code(actor: User | None, event: Event, user: User, expires: datetime, now: datetime) -> str:
    """Revoke the person's unused codes of the event and store the hash of a new one; returns it.
    `actor` None: issued on the server's command line."""
    db.session.execute(
        sa.update(JoinCode)
        .where(
            JoinCode.event_id == event.id,
            JoinCode.user_id == user.id,
            JoinCode.used_at.is_(None),
            JoinCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    db.session.add(
        JoinCode(
            event_id=event.id,
            user_id=user.id,
            code_hash=code_hash(code),
            expires_at=expires,
            created_by_id=actor.id if actor else None,
        )
    )
    return code


# ---- Redeeming ---------------------------------------------------------------------------------


class CodeRefused(ValidationFailed):
    def __init__(self, message: str) -> None:
        super().__init__({"code": message})


@dataclass(frozen=True)
class CodeSignIn:
    user: User  # its `login_token` is the new sign-in's
    event: Event
    expires_at: datetime | None  # the sign-in ends with the event unless the person sets a password
    must_set_password: bool


def redeem_code(typed: str, user_agent: str = "") -> CodeSignIn:
    """Use a join code: once, before the event ends, if it was not replaced and the person is
    active. Spending the code and starting the sign-in are one unit of work: a code is never spent
    without the sign-in it was for."""
    join_code = _usable_code(typed)
    user = db.session.get(User, join_code.user_id)
    event = event_by_id(join_code.event_id)
    if user is None or not user.active or not user.roles_in(event):
        raise CodeRefused(_("This account is not active. Ask the secretariat."))
    expires_at = code_sign_in_end(event)
    with write_transaction():
        used = db.session.scalar(
            sa.update(JoinCode)
            .where(JoinCode.id == join_code.id, JoinCode.used_at.is_(None), JoinCode.revoked_at.is_(None))
            .values(used_at=utcnow())
            .returning(JoinCode.id)
        )
        if used is None:  # two laptops with one card, at the same second: only one wins
            raise _already_used()
        record_audit(user, event, "codes.redeem", f"user:{user.id}", user.name)
        token = open_login(user.id, user_agent, expires_at=expires_at, event_id=event.id)
    user.login_token = token
    return CodeSignIn(user=user, event=event, expires_at=expires_at, must_set_password=not event.code_sign_in_lasts)


def _usable_code(typed: str) -> JoinCode:
    """The stored code the person typed, if it may still be used; otherwise why not."""
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH:
        raise CodeRefused(_("A join code has 12 letters and digits, like ABCD-EFGH-JKMN."))
    join_code = db.session.scalar(sa.select(JoinCode).where(JoinCode.code_hash == code_hash(code)))
    if join_code is None:
        raise CodeRefused(_("This join code is not known. Check it, or ask the secretariat for a new one."))
    if join_code.revoked_at is not None:
        raise CodeRefused(_("This join code was replaced by a newer one. Ask the secretariat for your new card."))
    if join_code.used_at is not None:
        raise _already_used()
    if join_code.expires_at <= utcnow():
        raise CodeRefused(_("This join code has expired: the event is over."))
    return join_code


def _already_used() -> CodeRefused:
    return CodeRefused(
        _("This join code has already been used. Sign in with your password, or ask the secretariat for a new code.")
    )
