"""mail retries with backoff, and dead letters

Revision ID: 0006_mail_retries
Revises: 0005_expiry_notices
Create Date: 2026-12-01 12:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.models

# revision identifiers, used by Alembic.
revision = "0006_mail_retries"
down_revision = "0005_expiry_notices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("dead_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_dead_at"), ["dead_at"], unique=False)


def downgrade():
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_dead_at"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_next_attempt_at"))
        batch_op.drop_column("dead_at")
        batch_op.drop_column("next_attempt_at")
