"""The organisation registry's checks (pure) and its pages (a real database: PostgreSQL
when there is one)."""
import pytest

from common.errors import InvalidInput
from people import MIGRATIONS_DIR, organisations
from people.exceptions import CreditCodeTaken

GRID = "320576001001001"


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91440300708461136T", "91110000802100433B"])
def test_real_credit_codes_pass(code):
    assert organisations.credit_code_problem(code) is None
    assert organisations.normalise_credit_code(f" {code.lower()} ") == code


@pytest.mark.parametrize("code, problem", [
    ("91350100M000100Y44", "check character"),
    ("91350100M000100Y4", "18 characters"),
    ("91350100M00O100Y43", "cannot appear"),     # O is not in the code's alphabet
    ("91350100M000100Z43", "cannot appear"),
])
def test_a_wrong_credit_code_says_what_is_wrong(code, problem):
    assert problem in organisations.credit_code_problem(code)
    with pytest.raises(InvalidInput) as refused:
        organisations.normalise_credit_code(code)
    assert "credit_code" in refused.value.details["fields"]


def test_pages_go_by_grid_and_name_with_the_totals_of_every_match(db):
    with db.transaction() as session:
        for n in range(5):
            organisations.register(session, {"kind": "enterprise" if n % 2 else "social_organisation",
                                             "name": f"组织{n}", "grid_code": GRID}, by="t")
        first = organisations.page(session, root=GRID, limit=2)
        second = organisations.page(session, root=GRID, after=first["next"], limit=2)
        third = organisations.page(session, root=GRID, after=second["next"], limit=2)
        assert [o["name"] for page in (first, second, third) for o in page["items"]] == [f"组织{n}" for n in range(5)]
        assert third["next"] is None and first["by_kind"] == {"social_organisation": 3, "enterprise": 2}
        organisations.register(session, {"kind": "enterprise", "name": "甲", "grid_code": GRID,
                                         "credit_code": "91350100M000100Y43"}, by="t")
        with pytest.raises(CreditCodeTaken):
            organisations.register(session, {"kind": "enterprise", "name": "乙", "grid_code": GRID,
                                             "credit_code": "91350100m000100y43"}, by="t")
