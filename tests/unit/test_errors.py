import pytest
from nameko.exceptions import deserialize, serialize

from common.errors import (
    AppError, Conflict, Forbidden, InvalidInput, Locked, NotFound, Unauthenticated, Unavailable,
    http_status, to_wire, validation_error,
)


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


def test_one_table_maps_every_kind_to_its_status():
    assert [http_status(kind("x")) for kind in
            (InvalidInput, Unauthenticated, Forbidden, NotFound, Conflict, Locked, Unavailable)] == \
        [400, 401, 403, 404, 409, 423, 503]
    assert http_status(AppError("x")) == 500
    assert http_status(ValueError("x")) == 500


def test_a_service_specific_error_survives_the_wire_with_code_and_typed_details():
    original = TicketNotFound("No ticket 42.", details={"ticket_id": 42, "nested": {"ok": True}})
    rebuilt = deserialize(serialize(to_wire(original)))
    assert type(rebuilt) is NotFound
    assert rebuilt.code == "TICKET_NOT_FOUND"
    assert rebuilt.message == "No ticket 42."
    assert rebuilt.details == {"ticket_id": 42, "nested": {"ok": True}}
    assert rebuilt.to_dict() == {"error": "TICKET_NOT_FOUND", "message": "No ticket 42.",
                                 "details": {"ticket_id": 42, "nested": {"ok": True}}}


def test_validation_error_names_every_field():
    error = validation_error({"grid_code": ["Missing data for required field."],
                              "items": {0: {"name": ["Too long."]}}})
    assert error.code == "VALIDATION_FAILED"
    assert "grid_code: Missing data for required field." in error.message
    assert "items.0.name: Too long." in error.message


@pytest.mark.parametrize("body", [b"1" * 5000, b"[" * 100000 + b"]" * 100000, b'{"a": ', "{\"名\": 1}".encode("gbk")])
def test_any_body_json_cannot_read_is_a_400_naming_invalid_json(body):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from common.http import read_json

    request = Request(EnvironBuilder(method="POST", data=body, content_type="application/json").get_environ())
    with pytest.raises(InvalidInput) as refused:
        read_json(request)
    assert refused.value.code == "INVALID_JSON"


def test_text_is_trimmed_and_a_blank_one_is_no_text():
    from marshmallow import Schema, validate

    from common.validation import Text, load

    class Report(Schema):
        description = Text(required=True, validate=validate.Length(min=2))
        note = Text(load_default=None, allow_none=True, validate=validate.Length(max=5))

    assert load(Report, {"description": "\u3000 楼道堵塞 \n", "note": "  已办 "}) == {
        "description": "楼道堵塞", "note": "已办"}
    assert load(Report, {"description": "路灯", "note": " \u3000\t"})["note"] is None  # a required note is still asked for
    with pytest.raises(InvalidInput) as blank:
        load(Report, {"description": " \u3000 "})
    assert blank.value.details["fields"] == {"description": ["must not be blank"]}
    with pytest.raises(InvalidInput) as long_note:
        load(Report, {"description": "路灯", "note": " 太长的一段说明 "})
    assert "note" in long_note.value.details["fields"]
