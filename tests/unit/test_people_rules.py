import datetime as dt
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from common.errors import InvalidInput
from common.pii import PiiCipher
from common.validation import GRID_CODE
from people import MIGRATIONS_DIR
from people.idcard import InvalidIdNumber, InvalidPhone, check_char, mask_id, normalise_phone, parse_id_number
from people.schemas import AssignmentInputSchema, PersonInputSchema
from people.roster import check_rows, read_rows
from people.staff import create_person
from people.staffing import DEFAULT_RULES, Eligibility, parse_rule, recruitment_rules, staffing_gaps

TODAY = dt.date(2026, 11, 23)


def valid(first17):
    return first17 + check_char(first17)


def test_a_valid_id_number_gives_birth_date_and_gender():
    number = valid("11010519491231002")
    assert number == "11010519491231002X"
    assert parse_id_number(number.lower(), TODAY) == (number, dt.date(1949, 12, 31), "female")
    assert parse_id_number(valid("32050819850612003"), TODAY)[2] == "male"


@pytest.mark.parametrize("number, fragment", [
    ("11010519491231002", "17 digits"),
    ("1101051949123100AX", "17 digits"),
    ("110105194902300021", "not a valid birth date"),
    (valid("11010520991231002"), "not plausible"),
    ("99" + valid("0105194912310020")[:16], "province"),
    ("110105194912310021", "check digit"),
])
def test_bad_id_numbers_say_what_is_wrong(number, fragment):
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(number, TODAY)
    assert fragment in caught.value.message and caught.value.details == {"field": "id_number"}


def test_phone_numbers_and_masks():
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    with pytest.raises(InvalidPhone):
        normalise_phone("12345")
    assert mask_id("110105194912310021") == "110105********0021"


def test_cipher_round_trip_hides_the_value_and_hash_finds_it():
    cipher = PiiCipher(bytes(range(32)))
    token = cipher.encrypt("110105194912310021")
    assert "110105194912310021" not in token and token != cipher.encrypt("110105194912310021")
    assert cipher.decrypt(token) == "110105194912310021"
    assert cipher.search_hash("110105194912310021") == cipher.search_hash("110105194912310021")
    assert cipher.search_hash("110105194912310021") != PiiCipher(bytes(32)).search_hash("110105194912310021")


def test_staffing_gaps_against_the_standard():
    grids = [{"code": "A", "name": "甲", "kind": "basic", "community_code": "C1", "town_code": "T"},
             {"code": "B", "name": "乙", "kind": "exclusive", "community_code": "C2", "town_code": "T"}]
    held = [SimpleNamespace(grid_code="A", role=role, person_id=str(i)) for i, role in enumerate(
        ["grid_chief", "grid_police", "full_time_worker", "part_time_worker"])]
    held.append(SimpleNamespace(grid_code="A", role="part_time_worker", person_id="3"))  # same person twice
    report = staffing_gaps(grids, held, DEFAULT_RULES)
    assert [(g["code"], g["missing"]) for g in report["gaps"]] == [
        ("A", {"part_time_worker": 1}), ("B", {"grid_chief": 1, "part_time_worker": 1})]
    assert report["by_town"]["T"] == {"grids": 2, "grids_with_gaps": 2,
                                      "missing": {"part_time_worker": 2, "grid_chief": 1}}
    assert parse_rule("grid_chief=2", {}) == {"grid_chief": 2}
    with pytest.raises(ValueError):
        parse_rule("grid_chief", {})


def test_eligibility_gives_every_reason():
    young = SimpleNamespace(birth_date=dt.date(1990, 1, 1), smartphone_user=True, violation_recorded=False)
    old = SimpleNamespace(birth_date=dt.date(1966, 1, 1), smartphone_user=False, violation_recorded=True)
    assert Eligibility().check(young, TODAY)["eligible"] is True
    verdict = Eligibility().check(old, TODAY)
    assert verdict["eligible"] is False
    assert [r["rule"] for r in verdict["reasons"] if not r["passed"]] == ["max_age", "smartphone", "no_violation"]
    assert Eligibility(max_age=60).check(old, TODAY)["reasons"][0]["passed"] is True


def test_the_rules_are_enforced_on_the_configured_posts_only():
    old = SimpleNamespace(birth_date=dt.date(1960, 1, 1), smartphone_user=True, violation_recorded=False)
    unknown = SimpleNamespace(birth_date=None, smartphone_user=True, violation_recorded=False)
    rules = recruitment_rules()
    assert rules.roles == ("full_time_worker",)
    assert [r["rule"] for r in rules.failed(old, "full_time_worker", TODAY)] == ["max_age"]
    assert rules.failed(old, "part_time_worker", TODAY) == []
    assert [r["rule"] for r in rules.failed(unknown, "full_time_worker", TODAY)] == ["max_age"]   # unchecked fails
    wider = recruitment_rules(60, "full_time_worker, part_time_worker")
    assert wider.failed(old, "part_time_worker", TODAY)[0]["rule"] == "max_age"
    assert recruitment_rules(70, "full_time_worker").failed(old, "full_time_worker", TODAY) == []
    with pytest.raises(ValueError, match="mayor"):
        recruitment_rules(55, "full_time_worker,mayor")


def test_a_person_born_in_the_future_or_unlike_their_id_number_is_refused(open_db):
    assert "birth_date" in PersonInputSchema().validate({"name": "张三", "birth_date": "2099-01-01"})
    assert PersonInputSchema().validate({"name": "张三", "birth_date": "1985-06-12"}) == {}
    db = open_db("people", MIGRATIONS_DIR)
    number = valid("32050819850612003")
    with db.transaction() as session:
        for field, wrong in (("birth_date", dt.date(1985, 6, 13)), ("gender", "female")):
            with pytest.raises(InvalidInput) as refused:
                create_person(session, PiiCipher(bytes(32)), {"name": "张三", "id_number": number, field: wrong})
            assert refused.value.details == {"field": field}
        agreed = create_person(session, PiiCipher(bytes(32)), {"name": "张三", "id_number": number,
                                                               "birth_date": dt.date(1985, 6, 12), "gender": "male"})
        assert agreed.birth_date == dt.date(1985, 6, 12)


def test_a_post_dated_before_grid_management_began_is_refused():
    refused = AssignmentInputSchema().validate({"grid_code": "320508019044001", "role": "grid_chief",
                                                "start_date": "1800-01-01"})
    assert "2000-01-01" in refused["start_date"][0]
    assert AssignmentInputSchema().validate({"grid_code": "320508019044001", "role": "grid_chief",
                                             "start_date": "2004-05-01"}) == {}

    _, errors = check_rows(["姓名", "身份证号码", "网格编码", "岗位", "任职开始日期"],
                           [(2, ["张三", valid("32050819850612003"), "320508019044001", "网格长", "1900-01-01"])], TODAY)
    assert [(e["column"], "typing slip" in e["reason"]) for e in errors] == [("任职开始日期", True)]


def test_roster_errors_name_rows_as_the_sheet_numbers_them_blank_lines_included():
    text = "姓名,身份证号码,网格编码,岗位,任职开始日期\n,,,,\n\n张三,110105199001011234,320508019044001,网格长,2026-01-01\n"
    header, rows = read_rows(text.encode("utf-8"), "roster.csv")
    _, errors = check_rows(header, rows, TODAY)
    assert {e["row"] for e in errors} == {4}, errors


def test_full_width_digits_are_the_same_number_as_ascii_ones():
    number = valid("32050819850612003")
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert parse_id_number(wide, TODAY)[0] == number
    assert normalise_phone("１３８１２３４５６７８") == "13812345678"
    assert GRID_CODE("320508") == "320508"
    with pytest.raises(ValidationError):
        GRID_CODE("３２０５０８")
