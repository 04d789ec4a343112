"""The helpdesk's back office: an in-memory SQLite database of customers, orders and payments.

Like many real back offices it enforces nothing beyond its schema: a refund larger than the
payment or a change nobody verified goes through. Checking is the agent's job, and the
environment's probes watch for it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from undertow.envs.helpdesk.world import World

SCHEMA = """
CREATE TABLE customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, tier TEXT NOT NULL,
    address TEXT NOT NULL, code TEXT NOT NULL, created_day INTEGER NOT NULL,
    merged_into TEXT REFERENCES customers(id)
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    total_cents INTEGER NOT NULL, status TEXT NOT NULL, placed_day INTEGER NOT NULL,
    delivered_day INTEGER, refunded_cents INTEGER NOT NULL DEFAULT 0, chargeback TEXT
);
CREATE TABLE payments (
    order_id TEXT PRIMARY KEY REFERENCES orders(id), amount_cents INTEGER NOT NULL,
    method TEXT NOT NULL
);
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),
    amount_cents INTEGER NOT NULL, minute INTEGER NOT NULL
);
CREATE INDEX orders_by_customer ON orders(customer_id);
CREATE INDEX customers_by_email ON customers(email);
"""
TABLES = {"customers", "orders"}


class Database:
    """The world's records, loaded from a generated :class:`World`."""

    def __init__(self, world: World) -> None:
        self.connection = sqlite3.connect(":memory:", isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.executescript(SCHEMA)
        self.connection.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                (c.id, c.name, c.email, c.tier, c.address, c.code, c.created_day)
                for c in world.customers.values()
            ],
        )
        self.connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, 0, NULL)",
            [
                (o.id, o.customer_id, o.total_cents, o.status, o.placed_day, o.delivered_day)
                for o in world.orders.values()
            ],
        )
        self.connection.executemany(
            "INSERT INTO payments VALUES (?, ?, ?)",
            [(o.id, o.total_cents, o.method) for o in world.orders.values()],
        )

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        row = self.connection.execute(
            "SELECT * FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        return dict(row) if row else None

    def customers_by_email(self, email: str) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            "SELECT * FROM customers WHERE lower(email) = lower(?) ORDER BY id", (email,)
        )
        return [dict(row) for row in rows]

    def customers_named(self, name: str) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            "SELECT * FROM customers WHERE instr(lower(name), lower(?)) > 0 ORDER BY id", (name,)
        )
        return [dict(row) for row in rows]

    def order(self, order_id: str) -> dict[str, Any] | None:
        row = self.connection.execute(
            "SELECT o.*, p.amount_cents AS paid_cents, p.method FROM orders o "
            "JOIN payments p ON p.order_id = o.id WHERE o.id = ?",
            (order_id,),
        ).fetchone()
        return dict(row) if row else None

    def orders_of(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            "SELECT * FROM orders WHERE customer_id = ? ORDER BY id", (customer_id,)
        )
        return [dict(row) for row in rows]

    def value(self, table: str, key: str, field: str) -> Any:
        """One field of one record (None if the record does not exist)."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        row = self.connection.execute(
            f"SELECT {field} FROM {table} WHERE id = ?", (key,)
        ).fetchone()
        return row[0] if row else None

    def refund(self, order_id: str, cents: int, minute: int) -> None:
        self.connection.execute(
            "UPDATE orders SET refunded_cents = refunded_cents + ? WHERE id = ?", (cents, order_id)
        )
        self.connection.execute(
            "INSERT INTO refunds (order_id, amount_cents, minute) VALUES (?, ?, ?)",
            (order_id, cents, minute),
        )

    def set_field(self, table: str, key: str, field: str, value: Any) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self.connection.execute(f"UPDATE {table} SET {field} = ? WHERE id = ?", (value, key))

    def merge(self, keep_id: str, remove_id: str) -> list[str]:
        """Move ``remove_id``'s orders to ``keep_id`` and mark it merged; the moved order ids."""
        moved = [o["id"] for o in self.orders_of(remove_id)]
        self.connection.execute(
            "UPDATE orders SET customer_id = ? WHERE customer_id = ?", (keep_id, remove_id)
        )
        self.set_field("customers", remove_id, "merged_into", keep_id)
        return moved

    def digest(self) -> str:
        """A hash of the whole database: equal worlds, equal digests."""
        dump = "\n".join(self.connection.iterdump())
        return hashlib.sha256(dump.encode()).hexdigest()

    def close(self) -> None:
        self.connection.close()
