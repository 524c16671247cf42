"""A grid card's duty line (pure) and the card's place in the registry (a real
database: PostgreSQL when there is one)."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from grid import MIGRATIONS_DIR, cards
from grid.exceptions import GridNotFound
from grid.levels import scheme
from grid.models import Grid

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("written, kept", [
    ("0512-65123456", "0512-65123456"), ("051265123456", "051265123456"), ("010-12345678-801", "010-12345678-801"),
    ("12345", "12345"), ("96110", "96110"), ("400-123-4567", "400-123-4567"), ("０５１２－６５１２３４５６", "0512-65123456"),
])
def test_a_duty_line_is_a_landline_a_service_number_or_a_400_number(written, kept):
    assert cards.normalise_duty_phone(written) == kept


@pytest.mark.parametrize("written", ["13912345678", "139-1234-5678", "+8613912345678", "call me", "0512"])
def test_a_mobile_or_no_number_is_refused_naming_the_field(written):
    with pytest.raises(InvalidInput) as refused:
        cards.normalise_duty_phone(written)
    assert "duty_phone" in refused.value.details["fields"]


def test_the_card_names_the_grids_above_and_keeps_only_what_is_given(open_db):
    db = open_db("grid", MIGRATIONS_DIR)
    five = scheme("five")
    chain = [("320573", "区", "district", 1), ("320573001", "街道", "town", 2), ("320573001001", "社区", "community", 3),
             ("320573001001001", "网格", "villager_group", 4)]
    with db.transaction() as session:
        for code, name, level, depth in chain:
            session.add(Grid(code=code, name=name, level=level, depth=depth, kind="basic",
                             parent_code=code[:-3] if len(code) > 6 else None))
        session.flush()
        cards.set_card(session, chain[-1][0], {"duty_phone": "0512-65123456", "note": "网格服务站"}, by="t", now=NOW)
        cards.set_card(session, chain[-1][0], {"service_hours": "工作日"}, by="t", now=NOW)
        card = cards.card_of(session, five, chain[-1][0])
        assert [a["name"] for a in card["above"]] == ["区", "街道", "社区"]
        assert (card["duty_phone"], card["service_hours"], card["note"]) == ("0512-65123456", "工作日", "网格服务站")
        assert card["grid"]["level_label"]["zh"]
        with pytest.raises(GridNotFound):
            cards.card_of(session, five, "320573001001999")
