"""live handoff to a person: the number a call was handed to, a campaign's on-call number

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_over_by", sa.String(length=32), nullable=True))
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff_number", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("handoff_number")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("taken_over_by")
