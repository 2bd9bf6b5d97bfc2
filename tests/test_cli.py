"""CLI: seed-demo (idempotent, realistic), import-catalog (success and every rejection), create-user."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from workspace.extensions import db
from workspace.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    Agreement,
    CatalogEntry,
    Event,
    EventPhase,
    ItemLevel,
    Membership,
    Proposal,
    ProposalItem,
    Realisation,
    Role,
    Session,
    User,
)
from workspace.services.demo import DEMO_EVENT_SLUG, DEMO_LOGINS, DEMO_PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOG_CSV = PROJECT_ROOT / "workspace" / "data" / "nomenklatur-8.01.csv"
HEADER = "kode,tingkat,nama,berlaku_untuk,indikator_contoh,satuan,status_sumber\n"


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (Agency, User, Membership, Proposal, ProposalItem, Session, CatalogEntry)
    }


def catalog_snapshot() -> list[tuple]:
    return [
        (e.code, e.applies_to, e.level.value, e.name, e.default_indicator, e.default_unit, e.source_status)
        for e in db.session.scalars(sa.select(CatalogEntry).order_by(CatalogEntry.code, CatalogEntry.applies_to))
    ]


def test_seed_demo_creates_the_rakor_of_the_mission(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for login in DEMO_LOGINS:
        assert login.username in result.output
    assert DEMO_PASSWORD in result.output

    agencies = list(db.session.scalars(sa.select(Agency)))
    assert len(agencies) == 29
    assert sum(a.kind is AgencyKind.KESBANGPOL for a in agencies) == 15
    assert sum(a.kind is AgencyKind.BAPPEDA for a in agencies) == 14
    people = db.session.scalar(sa.select(sa.func.count(sa.distinct(Membership.user_id))))
    assert 60 <= people <= 70
    roles = set(db.session.scalars(sa.select(Membership.role)))
    assert roles == set(Role)
    meeting = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    assert db.session.scalar(sa.select(sa.func.count(Session.id)).where(Session.event_id == meeting.id)) == 1

    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.event_id == meeting.id)))
    assert len(proposals) == 15
    for proposal in proposals:
        assert proposal.agency.kind is AgencyKind.KESBANGPOL
        by_level = {level: [i for i in proposal.items if i.level is level] for level in ItemLevel}
        assert len(by_level[ItemLevel.PROGRAM]) >= 1
        assert len(by_level[ItemLevel.KEGIATAN]) >= 2
        assert len(by_level[ItemLevel.SUBKEGIATAN]) >= 4
        digit = "1" if proposal.agency.level is AgencyLevel.PROVINSI else "2"
        for item in by_level[ItemLevel.KEGIATAN] + by_level[ItemLevel.SUBKEGIATAN]:
            assert item.code.split(".")[3] == digit, f"{item.code} for {proposal.agency.short_name}"
            assert item.catalog_entry is not None and not item.outside_catalog
            assert item.parent is not None and item.code.startswith(item.parent.code.split(".")[0])
        for sub in by_level[ItemLevel.SUBKEGIATAN]:
            assert sub.indicator and sub.unit and sub.target and sub.location
            assert isinstance(sub.budget, int) and sub.budget > 0
            assert sub.directions, "every sub kegiatan is tagged with a presidential direction"


def test_seed_demo_adds_a_monitoring_year_partly_reported(app: Flask) -> None:
    """Issue 18, item 9: last year's rakor in its monitoring phase — agreed (the baseline), its
    quarters reported, some late, some returned, some verified, some overdue — and its follow-ups
    listed by this year's rakor."""
    from datetime import date

    from workspace.queries.follow_ups import previous_year_follow_ups
    from workspace.queries.realisation import Standing, proposal_progress
    from workspace.services.demo_monitoring import MONITORING_SLUG

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    meeting = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    year = db.session.scalar(sa.select(Event).where(Event.slug == MONITORING_SLUG))
    assert year.phase is EventPhase.MONITORING and year.plan_year == meeting.plan_year - 1
    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.event_id == year.id)))
    assert len(proposals) == 15
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id)).where(Agreement.snapshot.is_not(None))) == 15
    assert db.session.scalar(sa.select(sa.func.count(Realisation.id))) > 200  # 15 agencies × ~5 sub kegiatan × 4
    standings = [s for proposal in proposals for s in proposal_progress(proposal).standings]
    kinds = {s.standing for s in standings}
    assert {Standing.VERIFIED, Standing.RETURNED, Standing.FILLED, Standing.EMPTY} <= kinds
    assert any(s.late for s in standings) and any(s.overdue for s in standings)
    assert all(s.quarter.deadline < date.today() for s in standings)  # a year that has ended
    assert len(previous_year_follow_ups(meeting)) == 4
    people = set(db.session.scalars(sa.select(Membership.user_id).where(Membership.event_id == meeting.id)))
    assert set(db.session.scalars(sa.select(Membership.user_id).where(Membership.event_id == year.id))) == people


def test_seed_demo_is_idempotent_and_keeps_edits(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = counts()
    item = db.session.scalar(sa.select(ProposalItem).where(ProposalItem.level == ItemLevel.SUBKEGIATAN))
    item.target = "99"
    db.session.commit()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.expire_all()
    assert counts() == before
    assert db.session.get(ProposalItem, item.id).target == "99"


def test_demo_logins_work(app: Flask) -> None:
    from workspace.queries.accounts import authenticate

    app.test_cli_runner().invoke(args=["seed-demo"])
    for login in DEMO_LOGINS:
        user = authenticate(login.username, DEMO_PASSWORD)
        assert user is not None and login.role in {m.role for m in user.memberships}


def test_import_catalog_success_and_reimport_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-catalog", str(CATALOG_CSV)])
    assert result.exit_code == 0, result.output
    assert "75 new" in result.output
    assert len(catalog_snapshot()) == 75
    again = runner.invoke(args=["import-catalog", str(CATALOG_CSV)])
    assert "0 new, 0 updated, 75 unchanged" in again.output


def test_import_catalog_updates_changed_names(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["import-catalog", str(CATALOG_CSV)])
    changed = tmp_path / "update.csv"
    changed.write_text(HEADER + "8.01.02,program,PROGRAM IDEOLOGI (NAMA BARU),both,,,verified\n", encoding="utf-8")
    result = runner.invoke(args=["import-catalog", str(changed)])
    assert "0 new, 1 updated" in result.output
    entry = db.session.scalar(sa.select(CatalogEntry).where(CatalogEntry.code == "8.01.02"))
    assert entry.name == "PROGRAM IDEOLOGI (NAMA BARU)"


VALID_ROWS = (
    "8,urusan,UNSUR PEMERINTAHAN UMUM,both,,,verified\n"
    "8.01,bidang,KESATUAN BANGSA DAN POLITIK,both,,,verified\n"
    "8.01.02,program,PROGRAM IDEOLOGI,both,,,verified\n"
)

BAD_FILES = {
    "bad code format": (HEADER + VALID_ROWS + "8.1.2,program,PROGRAM X,both,,,verified\n", "Baris 5", "format kode"),
    "code of the wrong form for its level": (
        HEADER + VALID_ROWS + "8.01.02.2.01.0001,kegiatan,Kegiatan X,kabkota,,,verified\n",
        "Baris 5",
        "tidak berbentuk",
    ),
    "unknown level": (HEADER + VALID_ROWS + "8.01.03,programm,PROGRAM X,both,,,verified\n", "Baris 5", "tingkat"),
    "duplicate code": (
        HEADER + VALID_ROWS + "8.01.02,program,LAGI,both,,,verified\n",
        "Baris 5",
        "ganda, sudah ada di baris 4",
    ),
    "wrong columns": ("code,level,name\n8,urusan,X\n", "Baris 1", "kolom salah"),
    "missing column in a row": (HEADER + VALID_ROWS + "8.01.03,program,PROGRAM X\n", "Baris 5", "seharusnya 7 kolom"),
    "level digit against scope": (
        HEADER + VALID_ROWS + "8.01.02.1.01,kegiatan,Kegiatan X,kabkota,,,verified\n",
        "Baris 5",
        "digit tingkat",
    ),
    "unknown scope": (HEADER + VALID_ROWS + "8.01.03,program,PROGRAM X,kota,,,verified\n", "Baris 5", "berlaku_untuk"),
    "missing parent": (
        HEADER + VALID_ROWS + "8.01.09.2.01,kegiatan,Kegiatan X,kabkota,,,verified\n",
        "Baris 5",
        "kode induk 8.01.09",
    ),
    "empty name": (HEADER + VALID_ROWS + "8.01.03,program,,both,,,verified\n", "Baris 5", "nama kosong"),
    "overlong name": (
        HEADER + VALID_ROWS + f"8.01.03,program,{'X' * 501},both,,,verified\n",
        "Baris 5",
        "lebih dari 500",
    ),
    "empty file": ("", "Baris 1", "berkas kosong"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_import_catalog_rejects_bad_files_and_writes_nothing(app: Flask, tmp_path: Path, case: str) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["import-catalog", str(CATALOG_CSV)])
    before = catalog_snapshot()
    content, line, reason = BAD_FILES[case]
    bad = tmp_path / "bad.csv"
    # The good rows update names: if anything were written, the snapshot would change.
    bad.write_text(content.replace("PROGRAM IDEOLOGI", "PROGRAM IDEOLOGI DIUBAH"), encoding="utf-8")
    result = runner.invoke(args=["import-catalog", str(bad)])  # messages in the default locale, Indonesian
    assert result.exit_code == 1
    assert line in result.output and reason in result.output, result.output
    assert "nothing was imported" in result.output
    db.session.expire_all()
    assert catalog_snapshot() == before


def test_import_catalog_rejects_non_utf8(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes((HEADER + "8,urusan,PEMERINTAHAN ÜMUM,both,,,verified\n").encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["import-catalog", str(bad)])
    assert result.exit_code == 1 and "UTF-8" in result.output
    assert catalog_snapshot() == []


def test_import_catalog_lists_every_error_with_its_line(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + VALID_ROWS + "x,urusan,A,both,,,\n8.01.03,zzz,B,both,,,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-catalog", str(bad)])
    assert "Baris 5" in result.output and "Baris 6" in result.output


def test_create_user(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(
        args=[
            "create-user",
            "--username",
            "Sari.Dewi",
            "--name",
            "Sari Dewi, S.Sos.",
            "--agency",
            "Kesbangpol Kab. Sambas",
            "--event",
            "rakor-kesbangpol-kalbar-2023",
            "--role",
            "participant",
            "--role",
            "reviewer",
            "--password",
            "kata-sandi-baru",
        ],
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "sari.dewi"))
    assert user.agency.short_name == "Kesbangpol Kab. Sambas"
    assert {m.role for m in user.memberships} == {Role.PARTICIPANT, Role.REVIEWER}
    assert user.check_password("kata-sandi-baru")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--username", "sekretariat", "--name", "X", "--password", "panjang-sekali"], "sudah dipakai"),
        (["--username", "baru", "--name", "X", "--password", "pendek"], "paling sedikit 8"),
        (["--username", "bad name!", "--name", "X", "--password", "panjang-sekali"], "Nama pengguna"),
        (["--username", "baru", "--name", "X", "--agency", "Tidak Ada", "--password", "panjang-sekali"], "no agency"),
    ],
)
def test_create_user_rejects_bad_input(app: Flask, args: list[str], message: str) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    before = counts()
    result = runner.invoke(args=["create-user", *args])
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert counts() == before
