"""realisation (realisasi) per item and quarter, with its history; an item's formula type for its
achievement (positif, negatif, persentase, nilai akhir)

Revision ID: d5f7b9c1e3a6
Revises: c4e6a8b0d2f5
Create Date: 2026-12-03 15:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f7b9c1e3a6'
down_revision = 'c4e6a8b0d2f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposal_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('formula', sa.String(length=20), server_default='positif', nullable=False))
    op.create_table(
        'realisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('physical', sa.String(length=40), nullable=False),
        sa.Column('budget', sa.BigInteger(), nullable=True),
        sa.Column('problem', sa.String(length=2000), nullable=False),
        sa.Column('solution', sa.String(length=2000), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['proposal_item.id'], name=op.f('fk_realisation_item_id_proposal_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_realisation_updated_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_realisation')),
        sa.UniqueConstraint('item_id', 'quarter', name='uq_realisation_item_quarter'),
    )
    with op.batch_alter_table('realisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_realisation_item_id'), ['item_id'], unique=False)
    op.create_table(
        'realisation_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('realisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=20), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=False),
        sa.Column('new_value', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['realisation_id'], ['realisation.id'], name=op.f('fk_realisation_change_realisation_id_realisation'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_realisation_change_user_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_realisation_change')),
    )
    with op.batch_alter_table('realisation_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_realisation_change_realisation_id'), ['realisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('realisation_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_realisation_change_realisation_id'))
    op.drop_table('realisation_change')
    with op.batch_alter_table('realisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_realisation_item_id'))
    op.drop_table('realisation')
    with op.batch_alter_table('proposal_item', schema=None) as batch_op:
        batch_op.drop_column('formula')
