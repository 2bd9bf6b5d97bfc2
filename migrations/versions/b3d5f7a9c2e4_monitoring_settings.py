"""monitoring (Monev): each quarter's reporting deadline and the achievement bands of an event;
the event phase "monitoring" needs no schema change (a VARCHAR enum)

Revision ID: b3d5f7a9c2e4
Revises: a8c2e4f6b1d3
Create Date: 2026-12-03 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c2e4'
down_revision = 'a8c2e4f6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monitoring_settings',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('deadline_1', sa.Date(), nullable=True),
        sa.Column('deadline_2', sa.Date(), nullable=True),
        sa.Column('deadline_3', sa.Date(), nullable=True),
        sa.Column('deadline_4', sa.Date(), nullable=True),
        sa.Column('band_sangat_baik', sa.Integer(), nullable=False),
        sa.Column('band_baik', sa.Integer(), nullable=False),
        sa.Column('band_cukup', sa.Integer(), nullable=False),
        sa.Column('band_kurang', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_monitoring_settings_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_monitoring_settings')),
    )


def downgrade():
    op.drop_table('monitoring_settings')
