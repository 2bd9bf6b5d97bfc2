"""Renderers of a session room's parts: state, timer, spotlight, announcement, attendance and
proposals (with their agreements). The room page includes the same partials."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import selectinload

from workspace.extensions import db
from workspace.fragments.registry import Memo, fragment
from workspace.models import Attendance, Session, User
from workspace.queries.proposals import load_proposal_tree
from workspace.queries.sessions import current_agreements, proposals_of, timer_state

SESSION_PARTS = ("state", "timer", "spotlight", "announcement", "attendance", "proposals")


def session_context(session: Session, part: str) -> dict[str, Any]:
    """Each part with only the data its template needs (the timer needs no proposal tree)."""
    context: dict[str, Any] = {"session": session, "timer": timer_state(session)}
    if part == "spotlight":
        context["spotlight_proposal"] = (
            load_proposal_tree(session.spotlight_proposal_id) if session.spotlight_proposal_id else None
        )
    if part == "proposals":
        context["proposals"] = proposals_of(session)
        context["agreements"] = current_agreements(session)
    if part == "attendance":  # one query for the people and their agencies
        db.session.scalars(
            sa.select(Attendance)
            .where(Attendance.session_id == session.id)
            .options(selectinload(Attendance.user).selectinload(User.agency))
        ).all()
    return context


@fragment("session-{session_id}-{part:word}")
def session_part(memo: Memo, session_id: int, part: str) -> str | None:
    if part not in SESSION_PARTS:
        raise KeyError(f"no session part {part!r}")
    session = memo.get(("session", session_id), lambda: db.session.get(Session, session_id))
    if session is None:
        return None
    return render_template(f"sessions/_{part}.html", **session_context(session, part))
