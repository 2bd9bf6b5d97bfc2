"""The demo rakor of the mission: Kesbangpol Kalimantan Barat 2023, about 65 people.

Created once: on its first run it creates what is missing (agencies, people and catalogue entries
that already exist are taken as they are); once the demo event exists, a later run changes
nothing, so a role an organiser removed, a password someone set or an edited proposal stay as they
are (`make run` seeds at every start). Every demo account is marked `has_demo_password` until its
password changes.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from workspace.core.uow import write_transaction
from workspace.extensions import db
from workspace.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    AgendaItem,
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
    Session,
    SessionKind,
    SessionStatus,
    User,
)
from workspace.queries.catalog import entries_for
from workspace.services.accounts import PUBLISHED_DEMO_PASSWORD
from workspace.services.catalog import import_catalog, import_national_directions
from workspace.services.demo_documents import add_demo_document_settings
from workspace.services.demo_monitoring import add_monitoring_year

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEMO_EVENT_SLUG = "rakor-kesbangpol-kalbar-2023"
DEMO_PASSWORD = PUBLISHED_DEMO_PASSWORD


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    description: str


DEMO_LOGINS = (
    DemoLogin("sekretariat", Role.ORGANISER, "Sekretariat, Kesbangpol Provinsi Kalimantan Barat"),
    DemoLogin("fasilitator", Role.FACILITATOR, "Fasilitator sidang pleno dan kelompok"),
    DemoLogin("peserta.sambas", Role.PARTICIPANT, "Peserta, Kesbangpol Kabupaten Sambas"),
    DemoLogin("peninjau", Role.REVIEWER, "Peninjau usulan setelah rapat"),
    DemoLogin("proyektor", Role.OBSERVER, "Layar proyektor di aula (hanya baca)"),
)

GIVEN_NAMES = (
    "Agus",
    "Budi",
    "Dedi",
    "Eko",
    "Fitriani",
    "Hendra",
    "Indah",
    "Joko",
    "Kartini",
    "Lestari",
    "Muhammad Rizal",
    "Nurhayati",
    "Rahmat",
    "Siti Aminah",
    "Taufik",
    "Wahyu",
    "Yuliana",
    "Zainal",
    "Antonius",
    "Yohanes",
    "Maria Goreti",
    "Bernadus",
    "Fransiska",
    "Syarif Hamid",
    "Uray Faisal",
    "Dayang Norma",
    "Ahmad Fauzi",
    "Rudi",
    "Sri Wahyuni",
    "Herman",
    "Dewi Kartika",
    "Gusti Arman",
    "Ria Anggraini",
    "Lukas",
    "Petrus",
    "Veronika",
    "Hasanudin",
    "Yusuf",
    "Mulyadi",
    "Suryani",
    "Heriyanto",
    "Nurul Hidayah",
    "Stefanus",
    "Erlina",
    "Abdul Manaf",
)
FAMILY_NAMES = (
    "Saputra",
    "Wijaya",
    "Pratama",
    "Kurniawan",
    "Hidayat",
    "Lim",
    "Simanjuntak",
    "Nugroho",
    "Setiawan",
    "Rahman",
    "Alkadrie",
    "Suhardi",
    "Santoso",
    "Manurung",
    "Firmansyah",
    "Hamdani",
    "Siregar",
    "Gunawan",
    "Effendi",
    "Tjhai",
    "Sinaga",
    "Lubis",
    "Hartono",
    "Kristiadi",
    "Ramadhan",
    "Mahmud",
    "Djohan",
    "Syahrani",
    "Bong",
    "Nainggolan",
    "Yulianto",
)
DEGREES = ("S.Sos.", "S.IP., M.Si.", "S.E.", "S.T., M.T.", "S.H.", "S.Sos., M.M.", "S.Pd.", "M.Si.")

PROGRAM_DIRECTIONS = {
    "8.01.02": (8, 6),
    "8.01.03": (7,),
    "8.01.04": (7, 8),
    "8.01.05": (1, 2, 3),
    "8.01.06": (7, 4),
}
FUNDING_SOURCES = ("APBD", "APBD", "APBD", "DAK", "APBD Perubahan")


def _person_name(index: int) -> str:
    given = GIVEN_NAMES[index % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(index * 7 + 3) % len(FAMILY_NAMES)]
    degree = DEGREES[(index * 5) % len(DEGREES)]
    return f"{given} {family}, {degree}"


def _region_slug(region_name: str) -> str:
    for prefix in ("Kabupaten ", "Kota ", "Provinsi "):
        region_name = region_name.removeprefix(prefix)
    return region_name.lower().replace(" ", "-")


def _short_region(region_name: str) -> str:
    return region_name.replace("Kabupaten ", "Kab. ").replace("Provinsi Kalimantan Barat", "Prov. Kalbar")


def load_reference_data() -> None:
    """The catalogue and the eight directions from the project's own copies of the domain CSVs."""
    result = import_catalog((DATA_DIR / "nomenklatur-8.01.csv").read_bytes())
    if not result.ok:
        raise RuntimeError("; ".join(str(e) for e in result.errors))
    import_national_directions((DATA_DIR / "amanat-presiden-2023.csv").read_bytes())


def _get_or_create_agency(name: str, **values: object) -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name, **values)
        db.session.add(agency)
    return agency


def _agencies() -> tuple[Agency, list[tuple[str, Agency, Agency]]]:
    """The province Kesbangpol, and (slug, Kesbangpol, Bappeda) for each kabupaten/kota."""
    with (DATA_DIR / "wilayah-kalbar.csv").open(encoding="utf-8") as handle:
        regions = list(csv.DictReader(handle))
    province = None
    local = []
    for region in regions:
        level = AgencyLevel(region["jenis"])
        name, code = region["nama"], region["kode_kemendagri"]
        kesbangpol = _get_or_create_agency(
            f"Badan Kesatuan Bangsa dan Politik {name}",
            short_name=f"Kesbangpol {_short_region(name)}",
            level=level,
            kind=AgencyKind.KESBANGPOL,
            region_code=code,
            region_name=name,
        )
        if level is AgencyLevel.PROVINSI:
            province = kesbangpol
            continue
        bappeda = _get_or_create_agency(
            f"Badan Perencanaan Pembangunan Daerah {name}",
            short_name=f"Bappeda {_short_region(name)}",
            level=level,
            kind=AgencyKind.BAPPEDA,
            region_code=code,
            region_name=name,
        )
        local.append((_region_slug(name), kesbangpol, bappeda))
    assert province is not None, "wilayah-kalbar.csv has no province row"
    return province, local


def _demo_day() -> date:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def _event() -> Event:
    event = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    if event is None:
        event = Event(
            slug=DEMO_EVENT_SLUG,
            title="Rakor dan Sinkronisasi Perencanaan Perangkat Daerah Kesbangpol se Kalimantan Barat 2023",
            theme="Kolaboratif dan Sinergi",
            venue="Hotel Aston Pontianak, Jl. Gajah Mada No. 201",
            city="Pontianak",
            # The demo meeting takes place today and tomorrow, so that its live plenary and the
            # join codes the secretariat prints (valid until the event ends) work when tried.
            starts_on=_demo_day(),
            ends_on=_demo_day() + timedelta(days=1),
            plan_year=2024,
            phase=EventPhase.MEETING,
        )
        db.session.add(event)
    return event


_demo_hash_cache: list[str] = []


def _demo_password_hash() -> str:
    """All demo people share the published demo password: hash it once (scrypt is slow on purpose)."""
    if not _demo_hash_cache:
        probe = User()
        probe.set_password(DEMO_PASSWORD)
        _demo_hash_cache.append(probe.password_hash or "")
    return _demo_hash_cache[0]


def _person(
    event: Event,
    username: str,
    index: int,
    position: str,
    agency: Agency,
    roles: tuple[Role, ...],
    name: str | None = None,
) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username, name=name or _person_name(index), position=position, agency=agency)
        user.password_hash = _demo_password_hash()
        user.has_demo_password = True
        db.session.add(user)
        db.session.flush()
    have = {m.role for m in user.memberships if m.event_id == event.id}
    for role in roles:
        if role not in have:
            db.session.add(Membership(event=event, user=user, role=role))
    return user


def _people(event: Event, province: Agency, local: list[tuple[str, Agency, Agency]]) -> int:
    people = [
        ("sekretariat", "Kepala Subbagian Program dan Pelaporan", (Role.ORGANISER,)),
        ("sekretariat.2", "Analis Perencanaan, Subbagian Program", (Role.ORGANISER,)),
        ("sekretariat.3", "Pranata Komputer Ahli Pertama", (Role.ORGANISER,)),
        ("fasilitator", "Sekretaris Badan", (Role.FACILITATOR, Role.ORGANISER)),
        ("fasilitator.ideologi", "Kepala Bidang Ideologi, Wawasan Kebangsaan dan Karakter Bangsa", (Role.FACILITATOR,)),
        ("fasilitator.politik", "Kepala Bidang Politik Dalam Negeri", (Role.FACILITATOR,)),
        ("fasilitator.kewaspadaan", "Kepala Bidang Kewaspadaan Nasional dan Penanganan Konflik", (Role.FACILITATOR,)),
        ("peninjau", "Perencana Ahli Madya", (Role.REVIEWER,)),
        ("peninjau.2", "Analis Kebijakan Ahli Madya", (Role.REVIEWER,)),
        ("peninjau.3", "Perencana Ahli Muda", (Role.REVIEWER,)),
        ("peninjau.4", "Auditor Ahli Muda, Inspektorat (pendamping)", (Role.REVIEWER,)),
        ("proyektor", "Layar proyektor aula", (Role.OBSERVER,)),
        ("peserta.provinsi", "Kepala Bidang Ketahanan Ekonomi, Sosial, Budaya, Agama dan Ormas", (Role.PARTICIPANT,)),
    ]
    people += [
        (f"peserta.provinsi.{n}", position, (Role.PARTICIPANT,))
        for n, position in enumerate(
            (
                "Analis Kebijakan Ahli Muda Bidang Ideologi",
                "Analis Kebijakan Ahli Muda Bidang Politik Dalam Negeri",
                "Analis Kebijakan Ahli Pertama Bidang Ormas",
                "Analis Kebijakan Ahli Muda Bidang Kewaspadaan",
                "Perencana Ahli Pertama",
                "Analis Keuangan Pusat dan Daerah",
                "Pengelola Program dan Kegiatan",
                "Analis Kebijakan Ahli Pertama Bidang Ketahanan Sosial",
                "Penyusun Rencana Kegiatan dan Anggaran",
                "Pengadministrasi Perencanaan",
            ),
            start=2,
        )
    ]
    index = 0
    for username, position, roles in people:
        name = "Layar Proyektor Aula" if username == "proyektor" else None
        _person(event, username, index, position, province, roles, name=name)
        index += 1
    for slug, kesbangpol, bappeda in local:
        region = kesbangpol.region_name
        _person(
            event, f"peserta.{slug}", index, "Kepala Bidang Ideologi dan Kewaspadaan", kesbangpol, (Role.PARTICIPANT,)
        )
        _person(
            event, f"kesbangpol.{slug}", index + 1, f"Kepala Badan Kesbangpol {region}", kesbangpol, (Role.PARTICIPANT,)
        )
        _person(
            event, f"bappeda.{slug}", index + 2, "Perencana Ahli Muda Bidang Pemerintahan", bappeda, (Role.PARTICIPANT,)
        )
        index += 3
    return index


def _proposal(event: Event, agency: Agency, seed: int, directions: dict[int, NationalDirection]) -> None:
    existing = db.session.scalar(
        sa.select(Proposal).where(
            Proposal.event_id == event.id, Proposal.agency_id == agency.id, Proposal.plan_year == event.plan_year
        )
    )
    if existing is not None:
        return
    rng = random.Random(f"sinergi-demo-{agency.region_code}-{seed}")
    proposal = Proposal(event=event, agency=agency, plan_year=event.plan_year)
    db.session.add(proposal)
    scope = agency.level.catalog_scope
    programs = [p for p in entries_for(scope, CatalogLevel.PROGRAM) if p.code != "8.01.01"]
    chosen = rng.sample(programs, k=2 if seed % 3 else 3)
    chosen.sort(key=lambda entry: entry.code)
    for position, program_entry in enumerate(chosen):
        program = _item(proposal, None, ItemLevel.PROGRAM, position, program_entry)
        for k_position, kegiatan_entry in enumerate(entries_for(scope, CatalogLevel.KEGIATAN, program_entry.code)):
            kegiatan = _item(proposal, program, ItemLevel.KEGIATAN, k_position, kegiatan_entry)
            subs = entries_for(scope, CatalogLevel.SUBKEGIATAN, kegiatan_entry.code)
            for s_position, sub_entry in enumerate(sorted(rng.sample(subs, k=2), key=lambda e: e.code)):
                sub = _item(proposal, kegiatan, ItemLevel.SUBKEGIATAN, s_position, sub_entry)
                sub.target = str(rng.choice((1, 1, 2, 4, 12)))
                sub.forward_target = sub.target
                sub.location = agency.region_name
                # Whole rupiah: millions with a random thousands part, never floats.
                sub.budget = rng.randrange(25, 450) * 1_000_000 + rng.randrange(0, 1000) * 1_000
                sub.forward_budget = sub.budget + sub.budget // 20 // 1000 * 1000
                sub.funding_source = rng.choice(FUNDING_SOURCES)
                sub.directions = [directions[n] for n in PROGRAM_DIRECTIONS[program_entry.code] if n in directions]


def _item(
    proposal: Proposal, parent: ProposalItem | None, level: ItemLevel, position: int, entry: CatalogEntry
) -> ProposalItem:
    item = ProposalItem(
        proposal=proposal,
        parent=parent,
        level=level,
        position=position,
        code=entry.code,
        name=entry.name,
        catalog_entry=entry,
        indicator=entry.default_indicator,
        unit=entry.default_unit,
    )
    db.session.add(item)
    return item


def _plenary(event: Event) -> None:
    title = "Pleno I: Pembukaan dan Sinkronisasi Usulan Program 2024"
    plenary = db.session.scalar(sa.select(Session).where(Session.event_id == event.id, Session.title == title))
    if plenary is not None:
        return
    plenary = Session(
        event=event,
        kind=SessionKind.PLENARY,
        title=title,
        description="Sidang pleno hari pertama di Ballroom Khatulistiwa.",
        status=SessionStatus.LIVE,
        scheduled_start=datetime.combine(event.starts_on, time(1, 0)),  # 08.00 WIB
        scheduled_end=datetime.combine(event.starts_on, time(9, 0)),
        opened_at=datetime.combine(event.starts_on, time(1, 5)),
    )
    db.session.add(plenary)
    agenda = (
        ("Registrasi peserta", 0, 60),
        ("Pembukaan oleh Kepala Badan Kesbangpol Provinsi Kalimantan Barat", 60, 30),
        ("Paparan delapan Amanat Presiden 2023", 90, 45),
        ("Paparan arah kebijakan dan usulan program Provinsi 2024", 135, 45),
        ("Ishoma", 180, 60),
        ("Sinkronisasi usulan kabupaten/kota per program", 240, 150),
        ("Perumusan kesepakatan", 390, 60),
    )
    start = plenary.scheduled_start
    assert start is not None
    for position, (agenda_title, offset_minutes, duration) in enumerate(agenda):
        db.session.add(
            AgendaItem(
                session=plenary,
                position=position,
                title=agenda_title,
                starts_at=start + timedelta(minutes=offset_minutes),
                duration_minutes=duration,
            )
        )


@dataclass(frozen=True)
class SeedReport:
    event: Event
    people: int
    agencies: int
    proposals: int
    created: bool  # False: the demo existed already and nothing was changed
    # Demo accounts that still have the published password (the logins worth printing).
    with_demo_password: frozenset[str] = frozenset()


def seed_demo() -> SeedReport:
    """Create the demo rakor on the first run; any later run changes nothing and reports it.

    The reference data in their own units of work (as any catalogue import), then the rakor in one:
    all of it or, should anything fail, none. It records no change to publish: it is seeded from
    the command line, before anyone is online."""
    existing = db.session.scalar(sa.select(Event).where(Event.slug == DEMO_EVENT_SLUG))
    if existing is not None:
        return _report(existing, created=False)
    load_reference_data()
    _demo_password_hash()  # scrypt is slow on purpose: hashed before the write lock is taken
    with write_transaction():
        event = _event()
        province, local = _agencies()
        db.session.flush()
        for agency in [province] + [a for _, k, b in local for a in (k, b)]:
            if agency not in event.agencies:
                event.agencies.append(agency)
        _people(event, province, local)
        directions = {d.number: d for d in db.session.scalars(sa.select(NationalDirection))}
        for seed, agency in enumerate([province] + [k for _, k, _ in local]):
            _proposal(event, agency, seed, directions)
        _plenary(event)
        db.session.flush()
        add_demo_document_settings(event)
        add_monitoring_year(
            event,
            [province] + [k for _, k, _ in local],
            lambda year_event, agency, seed: _proposal(year_event, agency, seed, directions),
            _demo_day(),
        )
    return _report(event, created=True)


def _report(event: Event, created: bool) -> SeedReport:
    people = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Membership.user_id))).where(Membership.event_id == event.id)
    )
    proposals = db.session.scalar(sa.select(sa.func.count(Proposal.id)).where(Proposal.event_id == event.id))
    demo_usernames = [login.username for login in DEMO_LOGINS]
    still_demo = db.session.scalars(
        sa.select(User.username).where(User.username.in_(demo_usernames), User.has_demo_password.is_(True))
    )
    return SeedReport(
        event=event,
        people=people or 0,
        agencies=len(event.agencies),
        proposals=proposals or 0,
        created=created,
        with_demo_password=frozenset(still_demo),
    )
