"""notification text: the message's msgid and parameters, translated when the notification is read
(in the reader's language); `message` keeps it in the default language

Revision ID: fb5f8bbce67e
Revises: dbeb17657210
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fb5f8bbce67e'
down_revision = 'dbeb17657210'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('text')
