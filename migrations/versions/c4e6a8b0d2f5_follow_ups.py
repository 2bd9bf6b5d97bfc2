"""follow-up actions (tindak lanjut) of agreements, tracked with their status

Revision ID: c4e6a8b0d2f5
Revises: b3d5f7a9c2e4
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f5'
down_revision = 'b3d5f7a9c2e4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'follow_up',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=True),
        sa.Column('what', sa.String(length=500), nullable=False),
        sa.Column('who', sa.String(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.Enum('open', 'done', 'dropped', name='followupstatus', native_enum=False, length=32), nullable=False),
        sa.Column('outcome', sa.String(length=1000), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_follow_up_agreement_id_agreement'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_follow_up_created_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_follow_up_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_follow_up_proposal_id_proposal'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_proposal_id'), ['proposal_id'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_event_id'))
    op.drop_table('follow_up')
