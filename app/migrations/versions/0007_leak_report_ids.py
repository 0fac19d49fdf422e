"""leak report ids, so a retried report gets the same answer

Revision ID: 0007_leak_report_ids
Revises: 0006_mail_retries
Create Date: 2026-12-01 13:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_leak_report_ids"
down_revision = "0006_mail_retries"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("leak_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_leak_events_report_id"), ["report_id"], unique=False)


def downgrade():
    with op.batch_alter_table("leak_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leak_events_report_id"))
        batch_op.drop_column("report_id")
