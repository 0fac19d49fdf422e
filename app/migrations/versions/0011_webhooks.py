"""webhook endpoints, delivered through the outbox

Revision ID: 0011_webhooks
Revises: 0010_password_links
Create Date: 2026-12-01 15:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.models

# revision identifiers, used by Alembic.
revision = "0011_webhooks"
down_revision = "0010_password_links"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("secret_last4", sa.String(length=4), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_account_id"), ["account_id"], unique=False
        )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "recipient", existing_type=sa.String(length=254), type_=sa.String(length=2000)
        )
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="mail")
        )
        batch_op.add_column(sa.Column("webhook_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("last_status", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_mail_outbox_webhook_id",
            "webhook_endpoints",
            ["webhook_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_webhook_id"), ["webhook_id"], unique=False)


def downgrade():
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_webhook_id"))
        batch_op.drop_constraint("fk_mail_outbox_webhook_id", type_="foreignkey")
        batch_op.drop_column("last_status")
        batch_op.drop_column("webhook_id")
        batch_op.drop_column("channel")
        batch_op.alter_column(
            "recipient", existing_type=sa.String(length=2000), type_=sa.String(length=254)
        )
    op.drop_table("webhook_endpoints")
