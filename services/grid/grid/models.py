import uuid

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime, utcnow
from common.jobs import jobs_table
from common.tables import service_base

Base = service_base()
JOBS = jobs_table(Base.metadata)  # imports run as jobs (common.jobs)


class Grid(Base):
    __tablename__ = "grids"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(30))
    depth: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="basic")
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"), index=True)
    unit_type: Mapped[str | None] = mapped_column(String(30))   # exclusive grids: park, school ...
    zone_type: Mapped[str | None] = mapped_column(String(20))   # micro-grids: residential ...
    geometry: Mapped[dict | None] = mapped_column(JSON)        # GeoJSON, WGS-84
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float | None] = mapped_column(Float)
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    valid_from = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    valid_to = mapped_column(UtcDateTime, nullable=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_grids_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)  # locate_at's prefilter


class GridLineage(Base):
    """One edge of grid history: ``from_code`` became (part of) ``to_code``."""

    __tablename__ = "grid_lineage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(10))  # split | merge
    from_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    to_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    happened_at = mapped_column(UtcDateTime, nullable=False)


class Place(Base):
    """A building, shop, unit or other point of interest, in the grid covering it.
    ``code``: its community's code + a 5-digit number (00001-99999), never reused."""

    __tablename__ = "places"
    __table_args__ = (Index("ix_places_group_rental", "group_rental", "grid_code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    code: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    # A group rental (群租房): followed up on its own cadence (people's follow-up list).
    group_rental: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    group_rental_marked_at = mapped_column(UtcDateTime, nullable=True)
    group_rental_marked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class GridCounter(Base):
    """Counts other services announce in their events (tickets reported, later
    households and residents), kept per grid for the grid summary."""

    __tablename__ = "grid_counters"

    grid_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class GridCard(Base):
    """A grid's public face (上岗公示, seed 004): the duty phone and hours printed on the
    board with its staff and QR code. A duty line, never a person's own mobile."""

    __tablename__ = "grid_cards"

    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), primary_key=True)
    duty_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    service_hours: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
