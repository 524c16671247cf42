"""The error kinds and what an error body may echo."""
from nameko.exceptions import deserialize, serialize

from common.errors import (AppError, InvalidInput, PayloadTooLarge, UnsupportedMediaType, http_status,
                           internal_error_body, to_wire)
from common.http import loggable_query


class WrongType(UnsupportedMediaType):
    code = "ROSTER_TYPE_UNKNOWN"


def test_415_is_in_the_one_table_and_crosses_the_wire():
    assert http_status(UnsupportedMediaType("x")) == 415
    rebuilt = deserialize(serialize(to_wire(WrongType("Send CSV.", details={"content_type": "text/html"}))))
    assert type(rebuilt) is UnsupportedMediaType and http_status(rebuilt) == 415
    assert rebuilt.to_dict() == {"error": "ROSTER_TYPE_UNKNOWN", "message": "Send CSV.",
                                 "details": {"content_type": "text/html"}}
    too_large = deserialize(serialize(to_wire(PayloadTooLarge("big", details={"max_bytes": 5}))))
    assert type(too_large) is PayloadTooLarge and too_large.details == {"max_bytes": 5}


def test_an_error_echoes_at_most_500_characters_of_message_and_200_of_any_detail():
    long = "x" * 10_000
    error = InvalidInput(f"Bad {long}", details={"value": long, "fields": {long: [long, "short"]}, "n": 5,
                                                  "items": [{"name": long}]})
    body = error.to_dict()
    assert len(body["message"]) == 500 and body["message"].endswith("…")
    assert body["details"]["value"] == "x" * 199 + "…"
    [(key, messages)] = body["details"]["fields"].items()
    assert key == "x" * 199 + "…" and messages == ["x" * 199 + "…", "short"]
    assert body["details"]["n"] == 5 and body["details"]["items"] == [{"name": "x" * 199 + "…"}]
    assert len(str(error)) < 600  # what nameko logs of an expected error
    assert error.details["value"] == long  # the error itself keeps what it was given
    short = AppError("fine", details={"a": "b"}).to_dict()
    assert short == {"error": "INTERNAL_ERROR", "message": "fine", "details": {"a": "b"}}


def test_a_500_body_names_the_request_id_when_there_is_one():
    assert internal_error_body("r-1") == {"error": "INTERNAL_ERROR", "message": "An unexpected error occurred.",
                                          "details": {"request_id": "r-1"}}
    assert internal_error_body()["details"] == {}


def test_the_logged_query_shows_only_listed_parameters():
    assert loggable_query("") == ""
    assert loggable_query("root=320508&limit=5&before=abc&id_number=110105194912310025&phone=13912345678") == \
        "root=320508&limit=5&before=abc&id_number=***&phone=***"
    assert loggable_query("13912345678=1&name=%E9%99%88&flag&x=") == "*=***&name=***&flag&x="
    assert loggable_query("root=" + "1" * 500) == "root=" + "1" * 64 + "…"
    assert loggable_query("status=a%0Ab c\x1b") == "status=a%0Ab%20c%1B"
    assert loggable_query("id%5Fnumber=110105194912310025") == "id_number=***"
