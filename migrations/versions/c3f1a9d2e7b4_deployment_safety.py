"""deployment safety: platform administrators, demo-password marks, sign-ins that expire

Revision ID: c3f1a9d2e7b4
Revises: b68fa524640f
Create Date: 2026-12-02 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e7b4'
down_revision = 'b68fa524640f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_platform_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('has_demo_password', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            'fk_login_session_event_id_event', 'event', ['event_id'], ['id'], ondelete='CASCADE'
        )


def downgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_constraint('fk_login_session_event_id_event', type_='foreignkey')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('has_demo_password')
        batch_op.drop_column('is_platform_admin')
