"""catatan penting on every item of a proposal (the Renja form's notes column); the indicator,
target and unit, until now a sub kegiatan's only, are a program's and a kegiatan's too (no schema
change: the columns were there)

Revision ID: a8c2e4f6b1d3
Revises: f2b9d4c7a813
Create Date: 2026-12-03 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8c2e4f6b1d3'
down_revision = 'f2b9d4c7a813'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposal_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=1000), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('proposal_item', schema=None) as batch_op:
        batch_op.drop_column('note')
