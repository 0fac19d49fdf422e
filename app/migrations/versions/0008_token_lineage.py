"""token lineage: which token made which, and what a leak report revoked with it

Revision ID: 0008_token_lineage
Revises: 0007_leak_report_ids
Create Date: 2026-12-01 13:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_token_lineage"
down_revision = "0007_leak_report_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_tokens_created_by"), ["created_by"], unique=False)
    with op.batch_alter_table("leak_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("also_revoked", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("leak_events", schema=None) as batch_op:
        batch_op.drop_column("also_revoked")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_created_by"))
        batch_op.drop_column("created_by")
