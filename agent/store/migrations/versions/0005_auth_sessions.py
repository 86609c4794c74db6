"""revocable dashboard sessions, normalised usernames

Revision ID: 0005
Revises: 0004
"""

import unicodedata

import sqlalchemy as sa
from alembic import op
from loguru import logger

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_user_id"), ["user_id"], unique=False)
    _normalise_usernames()


def _normalise_usernames() -> None:
    """Usernames are compared in one form since this revision (NFKC, trimmed, case-folded; the rule of
    ``agent.dashboard.users.normalize_username``, repeated here because a revision must not change when the
    code does). An account whose normal form another account already has keeps its name, with a warning."""
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.username)).all()
    taken = {name for _, name in rows}
    for user_id, name in rows:
        normal = unicodedata.normalize("NFKC", name).strip().casefold()
        if normal == name:
            continue
        if normal in taken:
            logger.warning(f"user {name!r}: the normalised name {normal!r} is taken; left as it is")
            continue
        bind.execute(users.update().where(users.c.id == user_id).values(username=normal))
        taken.discard(name)
        taken.add(normal)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_user_id"))
    op.drop_table("dashboard_sessions")
