"""A grid's public card (上岗公示), free of nameko: what the board on the wall shows of
the grid itself (its name, where it lies, a duty phone and hours), for the gateway's
public card to print beside its staff and its QR code.

Seed 004 asks that the grid's people be known to its residents (素未谋面 is its
complaint); Chinese districts post 上岗公示 boards with the grid's staff and a number
to call. The number is a duty line: a landline with its area code, a service number
(12345, 96xxx) or a 400/800 number. A mobile number belongs to a person, and a public
board is no place for it: refused, naming ``duty_phone``.
"""
import re
import unicodedata

from sqlalchemy import select

from common.errors import InvalidInput
from grid.exceptions import GridNotFound
from grid.levels import level_by_code
from grid.models import Grid, GridCard

DUTY_PHONE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?|[48]00-?\d{3}-?\d{4}|\d{5,6}")
MOBILE = re.compile(r"(\+?86)?1[3-9]\d{9}")


def normalise_duty_phone(text):
    """The duty line as written (full-width digits as ASCII, no spaces), or 400 naming
    ``duty_phone``: a personal mobile number, or something that is no phone number."""
    phone = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if MOBILE.fullmatch(phone.replace("-", "")):
        problem = "a mobile number is a person's own: give the duty line (a landline with its area code)"
    elif not DUTY_PHONE.fullmatch(phone):
        problem = "a landline with its area code (0512-65123456), a service number (12345) or a 400/800 number"
    else:
        return phone
    raise InvalidInput(f"duty_phone: {problem}.", code="VALIDATION_FAILED",
                       details={"fields": {"duty_phone": [problem]}})


def _active(session, code):
    grid = session.get(Grid, code)
    if grid is None or grid.status != "active":
        raise GridNotFound(f"No active grid has the code {code}.", details={"code": code})
    return grid


def set_card(session, code, data, *, by, now):
    """Write the card's fields that ``data`` gives (None clears one)."""
    _active(session, code)
    card = session.get(GridCard, code) or GridCard(grid_code=code)
    for name in ("duty_phone", "service_hours", "note"):
        if name in data:
            value = data[name]
            setattr(card, name, normalise_duty_phone(value) if name == "duty_phone" and value else value)
    card.updated_by, card.updated_at = by, now
    session.add(card)
    session.flush()
    return card


def card_of(session, levels, code):
    """The public part of a grid's card: the grid, the grids above it (town, community,
    ...; names only), the duty phone, hours and note. A retired grid or a code naming
    none is a 404: the board of a grid that was split or merged is out of date."""
    grid = _active(session, code)
    above = [code[:level.code_length] for level in levels if level.code_length < len(code)]
    ancestors = {g.code: g for g in session.scalars(select(Grid).where(Grid.code.in_(above)))} if above else {}
    card = session.get(GridCard, code)

    def shown(g):
        level = level_by_code(levels, g.code)
        return {"code": g.code, "name": g.name, "level": g.level,
                "level_label": {"zh": level.label_zh, "en": level.label_en} if level else None}
    return {"grid": {**shown(grid), "kind": grid.kind},
            "above": [shown(ancestors[c]) for c in above if c in ancestors], "duty_phone": card.duty_phone if card else None, "service_hours": card.service_hours if card else None,
            "note": card.note if card else None}
