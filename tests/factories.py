"""Factories for tests: small, explicit objects committed through the real models."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from workspace.extensions import db
from workspace.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    CatalogEntry,
    CatalogLevel,
    Event,
    EventPhase,
    ItemLevel,
    Membership,
    NationalDirection,
    Proposal,
    ProposalItem,
    Role,
    User,
)

PASSWORD = "rahasia-uji-123"
_sequence = itertools.count(1)
_password_hashes: dict[str, str] = {}


def set_password(user: User, password: str) -> None:
    """Test users get a cheap hash: scrypt (what `User.set_password` uses, see test_foundation) is slow
    on purpose, and the suite signs people in thousands of times. Verification is the same code path."""
    from werkzeug.security import generate_password_hash

    if password not in _password_hashes:
        _password_hashes[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    user.password_hash = _password_hashes[password]


def make_event(**values: object) -> Event:
    n = next(_sequence)
    defaults: dict[str, object] = {
        "slug": f"rakor-uji-{n}",
        "title": f"Rakor Uji {n}",
        "theme": "Kolaboratif dan Sinergi",
        "venue": "Hotel Uji",
        "city": "Pontianak",
        "starts_on": date(2023, 3, 14),
        "ends_on": date(2023, 3, 15),
        "plan_year": 2024,
        "phase": EventPhase.MEETING,
    }
    defaults.update(values)
    event = Event(**defaults)
    db.session.add(event)
    db.session.commit()
    return event


def make_agency(
    level: AgencyLevel = AgencyLevel.KABUPATEN,
    region: str = "Kabupaten Sambas",
    kind: AgencyKind = AgencyKind.KESBANGPOL,
    event: Event | None = None,
) -> Agency:
    n = next(_sequence)
    prefix = {AgencyKind.KESBANGPOL: "Kesbangpol", AgencyKind.BAPPEDA: "Bappeda"}.get(kind, "Dinas")
    agency = Agency(
        name=f"{prefix} {region} {n}",
        short_name=f"{prefix} {region} {n}",
        level=level,
        kind=kind,
        region_code=f"61.{n:02d}",
        region_name=region,
    )
    db.session.add(agency)
    if event is not None:
        event.agencies.append(agency)
    db.session.commit()
    return agency


def make_user(
    event: Event | None = None,
    roles: tuple[Role, ...] = (),
    agency: Agency | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_sequence)
    user = User(username=f"pengguna{n}", name=name or f"Pengguna {n}", position="Analis", agency=agency, active=active)
    set_password(user, password)
    db.session.add(user)
    for role in roles:
        db.session.add(Membership(event=event, user=user, role=role))
    db.session.commit()
    return user


def make_catalog_entry(
    code: str, level: CatalogLevel, name: str = "", applies_to: str = "kabkota", indicator: str = "", unit: str = ""
) -> CatalogEntry:
    entry = CatalogEntry(
        code=code,
        level=level,
        name=name or f"Nomenklatur {code}",
        applies_to=applies_to,
        default_indicator=indicator,
        default_unit=unit,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def make_direction(number: int) -> NationalDirection:
    direction = NationalDirection(number=number, title=f"Amanat {number}")
    db.session.add(direction)
    db.session.commit()
    return direction


def make_proposal(event: Event, agency: Agency, budgets: tuple[int, ...] = (100_000_000, 250_000_000)) -> Proposal:
    """A proposal with one program, one kegiatan and one sub kegiatan per budget."""
    proposal = Proposal(event=event, agency=agency, plan_year=event.plan_year)
    db.session.add(proposal)
    digit = agency.level.code_level_digit
    program = ProposalItem(
        proposal=proposal,
        level=ItemLevel.PROGRAM,
        code="8.01.02",
        name="PROGRAM PENGUATAN IDEOLOGI PANCASILA DAN KARAKTER KEBANGSAAN",
    )
    kegiatan = ProposalItem(
        proposal=proposal,
        parent=program,
        level=ItemLevel.KEGIATAN,
        code=f"8.01.02.{digit}.01",
        name="Perumusan Kebijakan Teknis Bidang Ideologi",
    )
    db.session.add_all([proposal, program, kegiatan])
    for position, budget in enumerate(budgets, start=1):
        db.session.add(
            ProposalItem(
                proposal=proposal,
                parent=kegiatan,
                level=ItemLevel.SUBKEGIATAN,
                position=position,
                code=f"8.01.02.{digit}.01.{position:04d}",
                name=f"Sub kegiatan {position}",
                indicator="Jumlah Laporan",
                target="4",
                unit="Laporan",
                location=agency.region_name,
                budget=budget,
                funding_source="APBD",
                forward_target="4",
                forward_budget=budget,
            )
        )
    db.session.commit()
    return proposal


@dataclass
class World:
    event: Event
    agency: Agency
    other_agency: Agency
    proposal: Proposal
    other_proposal: Proposal
    organiser: User
    facilitator: User
    participant: User
    other_participant: User
    reviewer: User
    observer: User
    outsider: User

    def user(self, key: str) -> User:
        return getattr(self, key)


def build_world() -> World:
    event = make_event()
    agency = make_agency(event=event)
    other_agency = make_agency(region="Kota Singkawang", level=AgencyLevel.KOTA, event=event)
    other_event = make_event()
    province = make_agency(AgencyLevel.PROVINSI, "Provinsi Kalimantan Barat", event=event)
    return World(
        event=event,
        agency=agency,
        other_agency=other_agency,
        proposal=make_proposal(event, agency),
        other_proposal=make_proposal(event, other_agency),
        organiser=make_user(event, (Role.ORGANISER,), province, name="Rina Organiser"),
        facilitator=make_user(event, (Role.FACILITATOR,), province, name="Hendra Fasilitator"),
        participant=make_user(event, (Role.PARTICIPANT,), agency, name="Budi Peserta"),
        other_participant=make_user(event, (Role.PARTICIPANT,), other_agency, name="Sari Peserta"),
        reviewer=make_user(event, (Role.REVIEWER,), province, name="Dewi Peninjau"),
        observer=make_user(event, (Role.OBSERVER,), province, name="Layar Proyektor"),
        outsider=make_user(other_event, (Role.PARTICIPANT,), agency, name="Orang Luar"),
    )


def detach(*objects: object) -> None:
    """Load every column of these objects, then detach them, so a test can read them without a context."""
    for instance in objects:
        db.session.refresh(instance)
    db.session.expunge_all()


def detached_world() -> World:
    world = build_world()
    detach(*(getattr(world, name) for name in World.__dataclass_fields__))
    return world


def make_session(event: Event, title: str = "Pleno I", live: bool = True) -> object:
    from workspace.models import Session, SessionKind, SessionStatus

    session = Session(
        event=event,
        kind=SessionKind.PLENARY,
        title=title,
        status=SessionStatus.LIVE if live else SessionStatus.SCHEDULED,
    )
    db.session.add(session)
    db.session.commit()
    return session
