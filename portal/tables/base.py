"""The one MetaData of the data model, and the column shapes every table shares."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, MetaData, String

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def id_column() -> Column[str]:
    return Column("id", String(64), primary_key=True)


def ref(
    name: str, target: str, *, nullable: bool = False, cascade: bool = False, index: bool = True
) -> Column[str]:
    """A reference to another table's id, indexed unless an index of the table leads with it."""
    return Column(
        name,
        String(64),
        ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=nullable,
        index=index,
    )


def created() -> Column[int]:
    return Column("created", BigInteger, nullable=False)


def livemode() -> Column[bool]:
    return Column("livemode", Boolean, nullable=False, default=False)
