"""agreement snapshots: an agreement freezes the proposal as agreed, and its revision; an
attendance ends when the person is moved to another breakout

Revision ID: d4e8b2a61c0f
Revises: c3f1a9d2e7b4
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8b2a61c0f'
down_revision = 'c3f1a9d2e7b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('left_at')

    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
        batch_op.drop_column('at_revision')
