"""a campaign's own disclosure: on whose behalf its calls are made, optionally its own wording

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("disclosure", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("disclosure")
        batch_op.drop_column("organization")
