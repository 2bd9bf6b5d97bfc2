"""official documents: the event's letterhead and numbering (document_settings) and the final
berita acara, numbered, its PDF and print view stored (minutes_document)

Revision ID: e7a1c5d93b20
Revises: d4e8b2a61c0f
Create Date: 2026-12-03 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c5d93b20'
down_revision = 'd4e8b2a61c0f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_settings',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('institution', sa.Text(), nullable=False),
        sa.Column('address', sa.String(length=300), nullable=False),
        sa.Column('contact', sa.String(length=300), nullable=False),
        sa.Column('logo_png', sa.LargeBinary(), nullable=True),
        sa.Column('number_pattern', sa.String(length=120), nullable=False),
        sa.Column('next_number', sa.Integer(), nullable=False),
        sa.Column('signing_place', sa.String(length=120), nullable=False),
        sa.Column('organiser_title', sa.String(length=200), nullable=False),
        sa.Column('organiser_name', sa.String(length=120), nullable=False),
        sa.Column('organiser_nip', sa.String(length=32), nullable=False),
        sa.Column('head_title', sa.String(length=300), nullable=False),
        sa.Column('head_name', sa.String(length=120), nullable=False),
        sa.Column('head_rank', sa.String(length=120), nullable=False),
        sa.Column('head_nip', sa.String(length=32), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_document_settings_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_document_settings')),
    )
    op.create_table(
        'minutes_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('scope_title', sa.String(length=200), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=160), nullable=False),
        sa.Column('document_date', sa.Date(), nullable=False),
        sa.Column('finalised_at', sa.DateTime(), nullable=False),
        sa.Column('finalised_by_id', sa.Integer(), nullable=True),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('correction_reason', sa.Text(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(), nullable=True),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_minutes_document_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['finalised_by_id'], ['user_account.id'], name=op.f('fk_minutes_document_finalised_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['replaces_id'], ['minutes_document.id'], name=op.f('fk_minutes_document_replaces_id_minutes_document')),
        sa.ForeignKeyConstraint(['session_id'], ['work_session.id'], name=op.f('fk_minutes_document_session_id_work_session'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_document')),
        sa.UniqueConstraint('event_id', 'number', name='uq_minutes_document_number'),
        sa.UniqueConstraint('event_id', 'sequence', name='uq_minutes_document_sequence'),
    )
    with op.batch_alter_table('minutes_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_document_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('minutes_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_document_event_id'))
    op.drop_table('minutes_document')
    op.drop_table('document_settings')
