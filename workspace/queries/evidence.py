"""Read side of the evidence files (bukti dukung) of an item's quarter: the list a page shows
(without the files' bytes: `content` and `thumbnail` are deferred), and whether the quarter is
closed by its verification."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from workspace.extensions import db
from workspace.models import Evidence, QuarterReview, ReviewStatus

#: Files at most per item and quarter.
MAX_FILES = 10


def files_of(item_id: int, quarter: int) -> list[Evidence]:
    """The item's evidence for the quarter, oldest first, with who uploaded each."""
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.item_id == item_id, Evidence.quarter == quarter)
            .options(joinedload(Evidence.uploaded_by))
            .order_by(Evidence.uploaded_at, Evidence.id)
        )
    )


def count_of(item_id: int, quarter: int) -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).where(Evidence.item_id == item_id, Evidence.quarter == quarter))
        or 0
    )


def has_thumbnail(evidence_ids: list[int]) -> set[int]:
    """Which of these files have a thumbnail (without loading one)."""
    if not evidence_ids:
        return set()
    return set(
        db.session.scalars(sa.select(Evidence.id).where(Evidence.id.in_(evidence_ids), Evidence.thumbnail.is_not(None)))
    )


def same_file(item_id: int, quarter: int, sha256: str) -> Evidence | None:
    """The file with these bytes already among the quarter's evidence, if any."""
    return db.session.scalar(
        sa.select(Evidence).where(Evidence.item_id == item_id, Evidence.quarter == quarter, Evidence.sha256 == sha256)
    )


def is_verified(proposal_id: int, quarter: int) -> bool:
    """Whether the quarter's realisation is verified (closed to changes, its evidence too)."""
    status = db.session.scalar(
        sa.select(QuarterReview.status).where(
            QuarterReview.proposal_id == proposal_id, QuarterReview.quarter == quarter
        )
    )
    return status is ReviewStatus.VERIFIED
