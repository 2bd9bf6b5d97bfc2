"""Reminders before a quarter's reporting deadline (issue 18, item 5): three days before it, the
people responsible for a proposal's realisation (the participants of the agencies working on it)
get an in-app notification when that quarter is still empty or was returned. Sent once per
proposal and quarter (`DeadlineReminder`, unique: two processes cannot both send it).

Run by a background loop in the serving process (`start_reminder_loop`, hourly) and by
`flask monev-reminders` (for a cron job where the app runs without one).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from workspace.core.texts import N_, Text
from workspace.core.uow import write_transaction
from workspace.extensions import db, socketio
from workspace.formatting import local_today
from workspace.models import DeadlineReminder, Event, EventPhase, Proposal
from workspace.queries.monitoring import bands_of, quarters_of
from workspace.queries.realisation import Standing, progress_of_proposals, reporters_of
from workspace.services.comments import notify, record_notified

DAYS_BEFORE = 3
CHECK_EVERY_SECONDS = 3600
_loops_started: set[int] = set()


def _message(proposal: Proposal, roman: str, deadline: date, returned: bool) -> Text:
    if returned:
        return N_(
            "The realisation of quarter %(quarter)s of %(agency)s was returned and is due on %(date)s",
            quarter=roman,
            agency=proposal.agency.short_name,
            date=deadline.isoformat(),
        )
    return N_(
        "The realisation of quarter %(quarter)s of %(agency)s is due on %(date)s and is not filled yet",
        quarter=roman,
        agency=proposal.agency.short_name,
        date=deadline.isoformat(),
    )


def send_deadline_reminders(event: Event, today: date) -> int:
    """Remind, once, of every quarter due within three days that is empty or returned; how many
    proposal-quarters were reminded."""
    if event.phase is not EventPhase.MONITORING:
        return 0
    quarters = [q for q in quarters_of(event) if q.deadline - timedelta(days=DAYS_BEFORE) <= today <= q.deadline]
    if not quarters:
        return 0
    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.event_id == event.id)))
    figures = progress_of_proposals(proposals, quarters_of(event), bands_of(event), today)
    sent = {
        (row.proposal_id, row.quarter)
        for row in db.session.scalars(
            sa.select(DeadlineReminder).where(DeadlineReminder.proposal_id.in_([p.id for p in proposals]))
        )
    }
    count = 0
    for proposal in proposals:
        for quarter in quarters:
            standing = figures[proposal.id].standings[quarter.number - 1].standing
            if (proposal.id, quarter.number) in sent or standing not in (Standing.EMPTY, Standing.RETURNED):
                continue
            if _remind(proposal, quarter.number, quarter.roman, quarter.deadline, standing is Standing.RETURNED):
                count += 1
    return count


def _remind(proposal: Proposal, number: int, roman: str, deadline: date, returned: bool) -> bool:
    try:
        with write_transaction():
            db.session.add(DeadlineReminder(proposal_id=proposal.id, quarter=number))
            db.session.flush()  # another process sent it first: the unique index says so, here
            message = _message(proposal, roman, deadline, returned)  # shown in each reader's language
            people = reporters_of(proposal)
            record_notified(notify(people, proposal.event_id, "realisation-due", message, proposal.id, None))
    except IntegrityError:
        return False
    return True


def send_all_reminders(today: date | None = None) -> int:
    day = today or local_today()
    events = db.session.scalars(sa.select(Event).where(Event.phase == EventPhase.MONITORING))
    return sum(send_deadline_reminders(event, day) for event in list(events))


def start_reminder_loop(app: Flask) -> None:
    """Once per app: check the deadlines now and then every hour (the serving process)."""
    if id(app) in _loops_started:
        return
    _loops_started.add(id(app))

    def loop() -> None:
        while True:
            with app.app_context():
                try:
                    send_all_reminders()
                except Exception:  # the database briefly away: the next hour tries again
                    app.logger.warning("deadline reminders failed", exc_info=True)
                finally:
                    db.session.remove()
            socketio.sleep(CHECK_EVERY_SECONDS)

    socketio.start_background_task(loop)
