"""web sessions kept on the server

Revision ID: 0009_web_sessions
Revises: 0008_token_lineage
Create Date: 2026-12-01 13:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.models

# revision identifiers, used by Alembic.
revision = "0009_web_sessions"
down_revision = "0008_token_lineage"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reveal_page", sa.String(length=100), nullable=True),
        sa.Column("reveal_sealed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_pk"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_pk"), ["user_pk"], unique=False)


def downgrade():
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_pk"))
    op.drop_table("web_sessions")
