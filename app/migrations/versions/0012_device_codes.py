"""device codes for oi login --device (RFC 8628)

Revision ID: 0012_device_codes
Revises: 0011_webhooks
Create Date: 2026-12-01 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.models

# revision identifiers, used by Alembic.
revision = "0012_device_codes"
down_revision = "0011_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "oauth_device_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_pk", sa.Integer(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.Column("decided_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("family_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["user_pk"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_code_hash"),
    )
    with op.batch_alter_table("oauth_device_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_device_codes_user_code_hash"), ["user_code_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oauth_device_codes_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("oauth_device_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_device_codes_expires_at"))
        batch_op.drop_index(batch_op.f("ix_oauth_device_codes_user_code_hash"))
    op.drop_table("oauth_device_codes")
