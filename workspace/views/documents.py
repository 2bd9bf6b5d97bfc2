"""The documents people sign: the berita acara (draft, final, corrections), the daftar hadir, and
the organiser's settings for both (kop, numbering, signatories).

Thin: `@access` loads the event and refuses before the request is read; exports/ builds the
documents, services.documents finalises and corrects them and saves the settings, one unit of work
each. A refused form renders again with the reason beside its field (422).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from workspace.core.access import access, by_id
from workspace.core.errors import NotFound, ValidationFailed
from workspace.core.numbers import query_id
from workspace.core.permissions import can_keep_documents, can_manage_event
from workspace.exports.attendance_list import attendance_pdf, attendance_xlsx, build_attendance_list
from workspace.exports.minutes import build_minutes
from workspace.exports.minutes_pdf import minutes_pdf
from workspace.exports.spreadsheet import XLSX_MEDIA_TYPE
from workspace.extensions import db
from workspace.formatting import local_today, zone_name
from workspace.models import Event, MinutesDocument, Session, User
from workspace.queries.documents import document_settings, final_minutes, minutes_document
from workspace.queries.monitoring import bands_of, monitoring_settings, quarters_of
from workspace.services import documents
from workspace.services import monitoring as monitoring_service
from workspace.views.helpers import download, get_or_404

blueprint = Blueprint("documents", __name__)

MAX_LOGO_UPLOAD = documents.MAX_LOGO_BYTES

by_event = by_id(Event, "event_id", "event")
Page = str | tuple[str, int] | BaseResponse


def _actor() -> User:
    return current_user._get_current_object()


def _scope_session(event: Event) -> Session | None:
    """`?sesi=` names a session of this event (404 otherwise); none: the whole event."""
    session_id = query_id(request.args.get("sesi"), not_found=True)
    if session_id is None:
        return None
    session = get_or_404(Session, session_id)
    if session.event_id != event.id:
        abort(404)
    return session


def _document_of(event: Event, document_id: int) -> MinutesDocument:
    document = minutes_document(event, document_id)
    if document is None:
        raise NotFound(_("The page or data you are looking for does not exist."))
    return document


def _today() -> str:
    return local_today().isoformat()


def _zone() -> str:
    return zone_name(current_app.config["BABEL_DEFAULT_TIMEZONE"])


# ---- The berita acara ---------------------------------------------------------------------------


def _minutes_page(event: Event, session: Session | None, errors: dict[str, str] | None = None) -> tuple[str, int]:
    finals = final_minutes(event, session.id if session else None)
    settings = document_settings(event)
    today = local_today()
    page = render_template(
        "outputs/minutes.html",
        event=event,
        minutes=build_minutes(event, session),
        sessions=event.sessions,
        finals=finals,
        in_force=next((d for d in finals if d.in_force), None),
        can_keep=can_keep_documents(current_user, event),
        can_set_up=can_manage_event(current_user, event),
        next_number=documents.document_number(settings.number_pattern, settings.next_number, today),
        today=today.isoformat(),
        form=request.form if errors else {},
        errors=errors or {},
    )
    return page, 422 if errors else 200


@blueprint.route("/rakor/<int:event_id>/berita-acara")
@access("event", load=by_event)
@login_required
def minutes(event_id: int, event: Event) -> Page:
    return _minutes_page(event, _scope_session(event))


@blueprint.route("/rakor/<int:event_id>/berita-acara.pdf")
@access("event", load=by_event)
@login_required
def minutes_download(event_id: int, event: Event) -> Response:
    """The draft as a PDF, marked DRAF on every page (a final one is served from what was stored)."""
    document = build_minutes(event, _scope_session(event))
    return download(minutes_pdf(document), "application/pdf", document.filename)


@blueprint.route("/rakor/<int:event_id>/berita-acara/final", methods=["POST"])
@access("document-keeper", load=by_event)
@login_required
def finalise(event_id: int, event: Event) -> Page:
    session = _scope_session(event)
    try:
        document = documents.finalise_minutes(_actor(), event_id, session.id if session else None, request.form)
    except ValidationFailed as invalid:
        return _minutes_page(event, session, invalid.errors)
    flash(_("The minutes are final: number %(number)s.", number=document.number), "success")
    return redirect(url_for("documents.final_document", event_id=event_id, document_id=document.id))


@blueprint.route("/rakor/<int:event_id>/berita-acara/<int:document_id>")
@access("event", load=by_event)
@login_required
def final_document(event_id: int, document_id: int, event: Event) -> Page:
    """The final document's print view, exactly as stored when it was finalised."""
    document = _document_of(event, document_id)
    replaced_by = db.session.query(MinutesDocument).filter_by(replaces_id=document.id).one_or_none()
    return render_template(
        "outputs/minutes_final.html",
        event=event,
        document=document,
        replaced_by=replaced_by,
        can_keep=can_keep_documents(current_user, event),
        today=_today(),
        form={},
        errors={},
    )


@blueprint.route("/rakor/<int:event_id>/berita-acara/<int:document_id>.pdf")
@access("event", load=by_event)
@login_required
def final_pdf(event_id: int, document_id: int, event: Event) -> Response:
    """The stored bytes, unchanged since the document was finalised (its hash as the ETag)."""
    document = _document_of(event, document_id)
    response = download(document.pdf, "application/pdf", document.filename)
    response.set_etag(document.pdf_sha256)
    return response


@blueprint.route("/rakor/<int:event_id>/berita-acara/<int:document_id>/koreksi", methods=["POST"])
@access("document-keeper", load=by_event)
@login_required
def correct(event_id: int, document_id: int, event: Event) -> Page:
    document = _document_of(event, document_id)
    try:
        correction = documents.correct_minutes(_actor(), event_id, document_id, request.form)
    except ValidationFailed as invalid:
        replaced_by = db.session.query(MinutesDocument).filter_by(replaces_id=document.id).one_or_none()
        return render_template(
            "outputs/minutes_final.html",
            event=event,
            document=document,
            replaced_by=replaced_by,
            can_keep=True,
            today=_today(),
            form=request.form,
            errors=invalid.errors,
        ), 422
    flash(_("The correction is final: number %(number)s.", number=correction.number), "success")
    return redirect(url_for("documents.final_document", event_id=event_id, document_id=correction.id))


# ---- The daftar hadir ---------------------------------------------------------------------------


@blueprint.route("/rakor/<int:event_id>/daftar-hadir")
@access("event", load=by_event)
@login_required
def attendance(event_id: int, event: Event) -> str:
    return render_template(
        "outputs/attendance.html",
        event=event,
        attendance=build_attendance_list(event, _scope_session(event), _zone()),
        sessions=event.sessions,
    )


@blueprint.route("/rakor/<int:event_id>/daftar-hadir.<any(pdf, xlsx):file_type>")
@access("event", load=by_event)
@login_required
def attendance_download(event_id: int, file_type: str, event: Event) -> Response:
    attendance = build_attendance_list(event, _scope_session(event), _zone())
    if file_type == "pdf":
        return download(attendance_pdf(attendance), "application/pdf", f"{attendance.filename_stem}.pdf")
    return download(attendance_xlsx(attendance), XLSX_MEDIA_TYPE, f"{attendance.filename_stem}.xlsx")


# ---- Settings: kop, numbering, signatories --------------------------------------------------------


def _settings_page(event: Event, errors: dict[str, str] | None = None) -> tuple[str, int]:
    page = render_template(
        "admin/documents.html",
        event=event,
        settings=document_settings(event),
        form=request.form if errors else None,
        errors=errors or {},
        example=documents.document_number,
    )
    return page, 422 if errors else 200


@blueprint.route("/rakor/<int:event_id>/admin/dokumen")
@access("organiser", load=by_event)
@login_required
def settings(event_id: int, event: Event) -> Page:
    return _settings_page(event)


@blueprint.route("/rakor/<int:event_id>/admin/dokumen", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def save_settings(event_id: int, event: Event) -> Page:
    upload = request.files.get("logo")
    content = upload.read(MAX_LOGO_UPLOAD + 1) if upload is not None and upload.filename else b""
    logo = documents.LogoUpload(content=content, remove=request.form.get("remove_logo") == "1")
    try:
        documents.save_document_settings(_actor(), event_id, request.form.to_dict(), logo)
    except ValidationFailed as invalid:
        return _settings_page(event, invalid.errors)
    flash(_("The document settings are saved."), "success")
    return redirect(url_for("documents.settings", event_id=event_id))


# ---- Monitoring (Monev) settings: quarters' deadlines, bands ------------------------------------


def _monitoring_page(event: Event, errors: dict[str, str] | None = None) -> tuple[str, int]:
    settings = monitoring_settings(event)
    page = render_template(
        "admin/monitoring.html",
        event=event,
        quarters=quarters_of(event),
        bands=bands_of(event),
        settings=settings,
        form=request.form if errors else None,
        errors=errors or {},
    )
    return page, 422 if errors else 200


@blueprint.route("/rakor/<int:event_id>/admin/monev")
@access("organiser", load=by_event)
@login_required
def monitoring(event_id: int, event: Event) -> Page:
    return _monitoring_page(event)


@blueprint.route("/rakor/<int:event_id>/admin/monev", methods=["POST"])
@access("organiser", load=by_event)
@login_required
def save_monitoring(event_id: int, event: Event) -> Page:
    try:
        monitoring_service.save_monitoring_settings(_actor(), event_id, request.form.to_dict())
    except ValidationFailed as invalid:
        return _monitoring_page(event, invalid.errors)
    flash(_("The monitoring settings are saved."), "success")
    return redirect(url_for("documents.monitoring", event_id=event_id))
