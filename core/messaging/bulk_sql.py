"""Bulk SQL on the delivery ledger's table: many rows per statement, on PostgreSQL and SQLite.

The ledger (`core.messaging.ledger`) and its claim (`core.messaging.claim`) insert and update
thousands of rows at once; on PostgreSQL every column is bound as one array and unnested, so a
statement stays short however many rows it touches. Elsewhere SQLAlchemy's executemany is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, Table, any_, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.messaging.models import Delivery

KEY_COLUMNS = ("recipient_id", "kind", "subject", "period")

_table: Table = Delivery.__table__  # type: ignore[assignment]


def dialect_insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Delivery)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# PostgreSQL array types of the ledger columns, for bulk inserts through unnest().
_PG_ARRAY_TYPES = {
    "team_id": "varchar[]",
    "recipient_id": "integer[]",
    "kind": "varchar[]",
    "subject": "varchar[]",
    "period": "varchar[]",
    "batched": "boolean[]",
    "status": "varchar[]",
    "payload": "json[]",
    "due_at": "timestamptz[]",
    "not_before": "timestamptz[]",
    "attempts": "integer[]",
    "created_at": "timestamptz[]",
    "claimed_by": "varchar[]",
    "claimed_until": "timestamptz[]",
}


def insert_rows(
    session: Session, rows: list[dict[str, Any]], attach: dict[int, int] | None = None
) -> list[tuple[int, int]]:
    """INSERT ... ON CONFLICT DO NOTHING for many ledger rows; returns (id, recipient_id) of
    the rows that were new. On PostgreSQL one statement binds each column as an array and
    unnests it (a 20,000-row insert is one short query); elsewhere SQLAlchemy's batched
    executemany.

    `attach` (PostgreSQL only): item id -> recipient id; the same statement points each item
    at the new row of its recipient (`message_id`). Items whose recipient's row conflicted
    are left alone."""
    if not rows:
        return []
    if is_postgres(session):
        return _insert_rows_pg(session, rows, attach)
    if attach:
        raise ValueError("attach is for PostgreSQL")
    stmt = (
        dialect_insert(session)
        .on_conflict_do_nothing(index_elements=KEY_COLUMNS)
        .returning(Delivery.id, Delivery.recipient_id)
    )
    inserted: list[Any] = list(session.connection().execute(stmt, rows).all())
    return [(int(r[0]), int(r[1])) for r in inserted]


def _insert_rows_pg(
    session: Session, rows: list[dict[str, Any]], attach: dict[int, int] | None
) -> list[tuple[int, int]]:
    columns = list(rows[0])
    values = {c: [json.dumps(r[c]) if c == "payload" else r[c] for r in rows] for c in columns}
    # Columns with one value for every row are bound once; the others as arrays.
    varying = [c for c in columns if any(v != values[c][0] for v in values[c])]
    params = {c: values[c] if c in varying else values[c][0] for c in columns}
    for c in varying:
        params[c] = _joined(params[c], _PG_ARRAY_TYPES[c])
    source = (
        "unnest("
        + ", ".join(_array_sql(c, params[c], _PG_ARRAY_TYPES[c]) for c in varying)
        + f") AS u({', '.join(varying)})"
        if varying
        else "(SELECT 1) AS u"
    )
    picked = ", ".join(
        f"u.{c}" if c in varying else f"CAST(:{c} AS {_PG_ARRAY_TYPES[c][:-2]})" for c in columns
    )
    sql = (
        f"INSERT INTO deliveries ({', '.join(columns)}) SELECT {picked} FROM {source}"
        f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO NOTHING RETURNING id, recipient_id"
    )
    if attach:
        # The new rows' ids go straight to their recipients' items, in the same statement
        # (the foreign key on message_id is checked at its end, when the rows exist).
        params["a_ids"] = _joined(list(attach), "integer[]")
        params["a_rids"] = _joined(list(attach.values()), "integer[]")
        sql = (
            f"WITH new AS ({sql}), attached AS (UPDATE deliveries SET message_id = new.id"
            f" FROM unnest({_array_sql('a_ids', params['a_ids'], 'integer[]')},"
            f" {_array_sql('a_rids', params['a_rids'], 'integer[]')}) AS a(id, rid)"
            " JOIN new ON new.recipient_id = a.rid WHERE deliveries.id = a.id)"
            " SELECT id, recipient_id FROM new"
        )
    found: list[Any] = list(session.execute(text(sql), params).all())
    return [(int(i), int(r)) for i, r in found]


# Text and integer columns travel as one string split on the server: psycopg dumps every
# element of an array one by one in Python (a text element through a regular expression),
# which cost more than the insert itself.
_SEPARATOR = "\x1e"  # ASCII record separator; values holding it go as arrays
_TEXT_TYPES = ("varchar[]", "json[]")


class _Joined(str):
    """A text column's values joined by `_SEPARATOR`."""


def _joined(values: Any, pg_type: str) -> Any:
    if not isinstance(values, list):
        return values
    if pg_type == "integer[]" and all(type(v) is int for v in values):
        return _Joined(_SEPARATOR.join(map(str, values)))  # the same for numbers: one string
    if pg_type not in _TEXT_TYPES:
        return values
    if any(not isinstance(v, str) or _SEPARATOR in v for v in values):
        return values
    return _Joined(_SEPARATOR.join(values))


def _array_sql(column: str, value: Any, pg_type: str) -> str:
    if isinstance(value, _Joined):
        return f"CAST(string_to_array(CAST(:{column} AS text), E'\\x1e') AS {pg_type})"
    return f"CAST(:{column} AS {pg_type})"


def set_many(session: Session, column: str, pg_type: str, values: dict[int, Any]) -> None:
    """UPDATE deliveries SET <column> = value WHERE id = key, for many rows at once."""
    if not values:
        return
    if is_postgres(session):
        ids = _joined(list(values), "integer[]")
        new = _joined(list(values.values()), f"{pg_type}[]")
        session.execute(
            text(
                f"UPDATE deliveries SET {column} = v.value"
                f" FROM unnest({_array_sql('ids', ids, 'integer[]')},"
                f" {_array_sql('values', new, f'{pg_type}[]')})"
                " AS v(id, value) WHERE deliveries.id = v.id"
            ),
            {"ids": ids, "values": new},
        )
        return
    session.connection().execute(
        _table.update().where(_table.c.id == bindparam("b_id")).values({column: bindparam("b_v")}),
        [{"b_id": k, "b_v": v} for k, v in values.items()],
    )


def among(session: Session, column: Any, ids: Iterable[int]) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one bound parameter, however many."""
    values = sorted(set(ids))
    if is_postgres(session):
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    return column.in_(values)
