"""people: the registry of the people called (care worker, guardian, consent, opt-out); contacts link to it

Existing contacts are registered (one person per phone number, the earliest contact's name) and linked.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("care_worker", sa.String(length=100), nullable=True),
        sa.Column("guardian_name", sa.String(length=100), nullable=True),
        sa.Column("guardian_phone", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opt_out_reason", sa.Text(), nullable=True),
        sa.Column("opt_out_source", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone"),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_care_worker"), ["care_worker"], unique=False)

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key("fk_contacts_person_id_people", "people", ["person_id"], ["id"],
                                    ondelete="SET NULL")  # fmt: skip

    # Everyone already on a contact list becomes a person, linked from their contacts.
    op.execute(
        """
        INSERT INTO people (name, phone, notes, consent, opted_out, created_at, updated_at)
        SELECT (SELECT c2.name FROM contacts c2 WHERE c2.phone = c.phone ORDER BY c2.id LIMIT 1),
               c.phone, '', 'unknown', false, MIN(c.created_at), MIN(c.created_at)
        FROM contacts c GROUP BY c.phone
        """
    )
    op.execute("UPDATE contacts SET person_id = (SELECT p.id FROM people p WHERE p.phone = contacts.phone)")


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_contacts_person_id_people", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_contacts_person_id"))
        batch_op.drop_column("person_id")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_care_worker"))
    op.drop_table("people")
