"""who works on a proposal: the organiser's choice per event (the agency with the Bappeda of the
same region, by default, or the agency alone); the event's public address for the QR codes; the
spaces in people's names and positions collapsed (as every form now stores them)

Revision ID: f2b9d4c7a813
Revises: e7a1c5d93b20
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b9d4c7a813'
down_revision = 'e7a1c5d93b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'coediting',
                sa.Enum('region', 'agency', name='coediting', native_enum=False, length=32),
                server_default='region',
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column('public_url', sa.String(length=300), server_default='', nullable=False))

    connection = op.get_bind()
    people = connection.execute(sa.text('SELECT id, name, position FROM user_account')).fetchall()
    for person_id, name, position in people:
        tidy_name, tidy_position = ' '.join((name or '').split()), ' '.join((position or '').split())
        if (tidy_name, tidy_position) != (name, position):
            connection.execute(
                sa.text('UPDATE user_account SET name = :name, position = :position WHERE id = :id'),
                {'name': tidy_name, 'position': tidy_position, 'id': person_id},
            )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('public_url')
        batch_op.drop_column('coediting')
