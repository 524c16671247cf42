"""Paged reads of whole tables, free of nameko: how scoring rebuilds its read model.

A page is ``{"items": [payload(record), ...], "next": cursor}``, ordered by the
record's id; ``next`` is the last id of the page, to pass back as ``after``, or None
on the last page (one more row is read to know). Each item is built by the same
function as the event that announces the record, so a rebuild from pages and the
live feed of events carry the same facts."""
from marshmallow import Schema, fields
from sqlalchemy import inspect, select

from common.validation import ID, bounded, load

DEFAULT_LIMIT, MAX_LIMIT = 1000, 5000


class PageQuery(Schema):
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=DEFAULT_LIMIT, strict=True, validate=bounded(1, MAX_LIMIT))


def page_args(after=None, limit=DEFAULT_LIMIT):
    """``(after, limit)`` checked: 400 VALIDATION_FAILED naming the field otherwise."""
    query = load(PageQuery, {"after": after, "limit": limit}, "page query")
    return query["after"], query["limit"]


def page(session, model, payload, after, limit, joined=None, where=()):
    """Records of ``model`` with an id after ``after`` (None: from the first), at most
    ``limit``, each as ``payload(record)``. ``joined``: {name: column} of a table the
    record refers to (joined by that foreign key), read beside the record's own columns
    when its event carries them (the member a service entry is of); ``where``: only the
    records meeting these conditions (a confirmed wish)."""
    mapper = inspect(model)
    key = mapper.primary_key[0]
    joined = joined or {}
    # Plain rows, not ORM objects (about twice as fast): a payload function reads
    # attributes, which a row of the model's columns has under the same names.
    query = select(*(mapper.columns[name].label(name) for name in mapper.columns.keys()),
                   *(column.label(name) for name, column in joined.items())).select_from(model)
    for table in dict.fromkeys(column.table for column in joined.values()):
        query = query.join(table)
    query = query.where(*where).order_by(key).limit(limit + 1)
    if after is not None:
        query = query.where(key > after)
    rows = session.execute(query).all()
    last = len(rows) > limit
    rows = rows[:limit]
    return {"items": [payload(row) for row in rows], "next": getattr(rows[-1], key.key) if last else None}
