"""Read side of monitoring (Monev): the plan year's four quarters with their reporting deadlines,
and the event's achievement bands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from workspace.core.achievement import DEFAULT_BANDS, Band
from workspace.extensions import db
from workspace.models import Event, MonitoringSettings

DEFAULT_DAYS_AFTER = 10  # a quarter's report is due ten days after it ends, unless the organiser says
ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Quarter:
    number: int
    starts_on: date
    ends_on: date
    deadline: date
    default_deadline: bool

    @property
    def roman(self) -> str:
        return ROMAN[self.number - 1]

    def is_late(self, reported_on: date) -> bool:
        return reported_on > self.deadline


def quarter_bounds(year: int, number: int) -> tuple[date, date]:
    """Triwulan `number` of `year`: 1 January–31 March, …, 1 October–31 December."""
    if not 1 <= number <= 4:
        raise ValueError(f"quarter {number} is not 1 to 4")
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, end - timedelta(days=1)


def default_deadline(year: int, number: int) -> date:
    return quarter_bounds(year, number)[1] + timedelta(days=DEFAULT_DAYS_AFTER)


def monitoring_settings(event: Event) -> MonitoringSettings | None:
    return db.session.get(MonitoringSettings, event.id)


def quarters_of(event: Event) -> list[Quarter]:
    """The plan year's four quarters, each with its deadline (the organiser's, or the default)."""
    settings = monitoring_settings(event)
    quarters = []
    for number in range(1, 5):
        starts_on, ends_on = quarter_bounds(event.plan_year, number)
        chosen = getattr(settings, f"deadline_{number}") if settings else None
        deadline = chosen or default_deadline(event.plan_year, number)
        quarters.append(Quarter(number, starts_on, ends_on, deadline, default_deadline=chosen is None))
    return quarters


def bands_of(event: Event) -> tuple[Band, ...]:
    """The event's bands: the default labels and colours, with the organiser's lower bounds."""
    settings = monitoring_settings(event)
    if settings is None:
        return DEFAULT_BANDS
    bounds = (settings.band_sangat_baik, settings.band_baik, settings.band_cukup, settings.band_kurang, 0)
    return tuple(
        Band(band.key, band.label, Decimal(bound), band.colour)
        for band, bound in zip(DEFAULT_BANDS, bounds, strict=True)
    )
