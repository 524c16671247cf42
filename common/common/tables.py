"""Tables every service with a database carries: its outbox and its record of
events already applied. Each service adds them to its own metadata."""
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase

from common.db import UtcDateTime


def add_plumbing_tables(metadata):
    outbox = Table(
        "outbox_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("source", String(50), nullable=False),
        Column("schema_version", Integer, nullable=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("payload", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_events_pending", "published_at", "created_at"),
    )
    processed = Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("source", String(50), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
    )
    return outbox, processed


def create_plumbing_tables(bind):
    """Used by each service's first migration: the same definitions, created."""
    metadata = MetaData()
    add_plumbing_tables(metadata)
    metadata.create_all(bind)


def drop_plumbing_tables(bind):
    metadata = MetaData()
    add_plumbing_tables(metadata)
    metadata.drop_all(bind)


def service_base():
    """A declarative base for one service's models, carrying the plumbing tables.
    Each service gets its own (its own metadata, its own database)."""

    class Base(DeclarativeBase):
        pass

    add_plumbing_tables(Base.metadata)
    return Base
