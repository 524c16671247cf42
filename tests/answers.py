"""What the stack tests assert of an answer: accepted (its JSON), or refused with its
status, the field it names and its code."""


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def refused(response, status, field=None, code=None):
    assert response.status_code == status, response.text
    body = response.json()
    if field is not None:
        details = body["details"]
        assert field in details.get("fields", {}) or details.get("field") == field, details
    if code is not None:
        assert body["error"] == code, body
    return body
