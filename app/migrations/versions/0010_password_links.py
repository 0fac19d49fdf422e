"""invites that set an existing user's password (password links)

Revision ID: 0010_password_links
Revises: 0009_web_sessions
Create Date: 2026-12-01 15:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_password_links"
down_revision = "0009_web_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_pk", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_invites_user_pk_users", "users", ["user_pk"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index(batch_op.f("ix_invites_user_pk"), ["user_pk"], unique=False)


def downgrade():
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invites_user_pk"))
        batch_op.drop_constraint("fk_invites_user_pk_users", type_="foreignkey")
        batch_op.drop_column("user_pk")
