"""Display labels for enum values and field names, translated through Flask-Babel.

The msgids are English; the Indonesian text lives in translations/id (the default locale).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workspace.formatting import format_rupiah
from workspace.models import (
    AgencyKind,
    AgencyLevel,
    AgreementDecision,
    EventPhase,
    FollowUpStatus,
    ItemLevel,
    ProposalStatus,
    Role,
    SessionKind,
    SessionStatus,
    SuggestionStatus,
    VerdictKind,
)

ROLE = {
    Role.ORGANISER: _l("Organiser"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.PARTICIPANT: _l("Participant"),
    Role.REVIEWER: _l("Reviewer"),
    Role.OBSERVER: _l("Observer"),
}

PROPOSAL_STATUS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.AGREED: _l("Agreed"),
    ProposalStatus.AGREED_WITH_NOTES: _l("Agreed with notes"),
    ProposalStatus.NOT_AGREED: _l("Not yet agreed"),
}

AGREEMENT_DECISION = {
    AgreementDecision.AGREED: _l("Agreed"),
    AgreementDecision.AGREED_WITH_NOTES: _l("Agreed with notes"),
    AgreementDecision.NOT_AGREED: _l("Not yet agreed"),
}

ITEM_LEVEL = {
    ItemLevel.PROGRAM: _l("Program"),
    ItemLevel.KEGIATAN: _l("Activity"),
    ItemLevel.SUBKEGIATAN: _l("Sub-activity"),
}

AGENCY_LEVEL = {
    AgencyLevel.PROVINSI: _l("Province"),
    AgencyLevel.KABUPATEN: _l("Regency"),
    AgencyLevel.KOTA: _l("City"),
}

EVENT_PHASE = {
    EventPhase.PREPARATION: _l("Preparation"),
    EventPhase.MEETING: _l("Meeting"),
    EventPhase.REVIEW: _l("Review"),
    EventPhase.MONITORING: _l("Monitoring (Monev)"),
    EventPhase.CLOSED: _l("Closed"),
}

SESSION_KIND = {
    SessionKind.PLENARY: _l("Plenary"),
    SessionKind.BREAKOUT: _l("Breakout"),
}

SESSION_STATUS = {
    SessionStatus.SCHEDULED: _l("Scheduled"),
    SessionStatus.LIVE: _l("Live"),
    SessionStatus.CLOSED: _l("Closed"),
}

ITEM_FIELD = {
    "code": _l("Code"),
    "name": _l("Name"),
    "indicator": _l("Indicator"),
    "target": _l("Target"),
    "unit": _l("Unit"),
    "location": _l("Location"),
    "budget": _l("Indicative budget"),
    "funding_source": _l("Funding source"),
    "forward_target": _l("Target n+1"),
    "forward_budget": _l("Budget n+1"),
    "directions": _l("Presidential directions"),
    "note": _l("Important note"),
}

# What an agreement's snapshot compares, field by field (queries/agreements.snapshot_differences).
CHANGED_FIELD = {
    **ITEM_FIELD,
    "parent": _l("Place in the tree"),
    "outside_catalog": _l("Outside the nomenclature"),
}

SUGGESTION_STATUS = {
    SuggestionStatus.OPEN: _l("Suggestion"),
    SuggestionStatus.ACCEPTED: _l("Suggestion accepted"),
    SuggestionStatus.REJECTED: _l("Suggestion rejected"),
}

VERDICT = {
    VerdictKind.APPROVED: _l("Approved"),
    VerdictKind.NEEDS_REVISION: _l("Needs revision"),
}

ALIGNMENT = {
    "aligned": _l("Aligned"),
    "partial": _l("Partly aligned"),
    "province_only": _l("Province only"),
    "local_only": _l("Without the province"),
    "unused": _l("No proposal"),
}

PERSON_FIELD = {
    "name": _l("Name"),
    "position": _l("Position"),
    "nip": _l("NIP"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "agency": _l("Agency"),
    "roles": _l("Roles"),
}

AGENCY_KIND = {
    AgencyKind.KESBANGPOL: _l("Kesbangpol"),
    AgencyKind.BAPPEDA: _l("Bappeda"),
    AgencyKind.OTHER: _l("Other"),
}

# The organiser's audit page names each action in words (services write these codes).
AUDIT_ACTION = {
    "agency.add": _l("Agency added"),
    "agency.update": _l("Agency changed"),
    "agency.activate": _l("Agency reactivated"),
    "agency.deactivate": _l("Agency deactivated"),
    "catalog.import": _l("Nomenclature imported"),
    "codes.issue": _l("Join codes issued"),
    "codes.redeem": _l("Signed in with a join code"),
    "codes.refused": _l("Join codes refused"),
    "comment.hide": _l("Comment hidden"),
    "comment.unhide": _l("Comment shown again"),
    "documents.settings": _l("Document settings changed"),
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.phase": _l("Event phase changed"),
    "minutes.finalise": _l("Minutes finalised"),
    "minutes.correct": _l("Minutes corrected"),
    "followup.add": _l("Follow-up action recorded"),
    "followup.update": _l("Follow-up action reported on"),
    "monitoring.settings": _l("Monitoring settings changed"),
    "people.import": _l("Participant list imported"),
    "person.create": _l("Person added"),
    "person.update": _l("Person changed"),
    "person.activate": _l("Person reactivated"),
    "person.deactivate": _l("Person deactivated"),
    "person.password": _l("Password set by its owner"),
    "person.password_reset": _l("Password replaced by the server"),
}

FOLLOW_UP_STATUS = {
    FollowUpStatus.OPEN: _l("In progress"),
    FollowUpStatus.DONE: _l("Done"),
    FollowUpStatus.DROPPED: _l("Dropped"),
}

# Realisation (Monev): the values of a quarter, an item's formula, a reviewer's word.
REALISATION_FIELD = {
    "physical": _l("Physical realisation (K)"),
    "budget": _l("Budget realised (Rp)"),
    "problem": _l("Problems"),
    "solution": _l("Solution / follow-up"),
    "review": _l("Verification"),
    "formula": _l("Achievement formula"),
    "evidence": _l("Evidence"),
}

FORMULA = {
    "positif": _l("Positive (higher is better, quarters add up)"),
    "negatif": _l("Negative (lower is better, quarters add up)"),
    "persentase": _l("Percentage (the last value)"),
    "nilai_akhir": _l("Final value (the last value)"),
}

FORMULA_SHORT = {
    "positif": _l("Positive"),
    "negatif": _l("Negative"),
    "persentase": _l("Percentage"),
    "nilai_akhir": _l("Final value"),
}

STANDING = {
    "belum_diisi": _l("Not filled"),
    "diisi": _l("Filled"),
    "diverifikasi": _l("Verified"),
    "dikembalikan": _l("Returned"),
}

REVIEW_STATUS = {"verified": _l("verified"), "returned": _l("returned")}

QUARTER = ("I", "II", "III", "IV")


def realisation_label(field: str) -> str:
    """`q2_physical` → "Physical realisation (K), quarter II"; `formula` → its label."""
    if field == "formula":
        return str(REALISATION_FIELD["formula"])
    quarter, _sep, name = field.partition("_")
    if not (quarter[1:].isdigit() and 1 <= int(quarter[1:]) <= 4) or name not in REALISATION_FIELD:
        return field
    return f"{REALISATION_FIELD[name]} · TW {QUARTER[int(quarter[1:]) - 1]}"


def realisation_display(field: str, text: str | None) -> str:
    """A value of the realisation's history as people read it (rupiah grouped, a formula by name)."""
    text = text or ""
    if field.endswith("_budget") and text.isdigit():
        return format_rupiah(int(text))
    if field == "formula":
        return str(FORMULA_SHORT.get(text, text))
    if field.endswith("_review"):
        status, _sep, note = text.partition(": ")
        word = str(REVIEW_STATUS.get(status, status))
        return f"{word}: {note}" if note else word
    return text
