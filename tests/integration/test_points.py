"""Volunteer points: an append-only ledger whose balance never goes negative,
not even under concurrent redemptions."""
import threading
import uuid

API = "/api/v1"


def test_concurrent_redemptions_never_overdraw(stack):
    token = stack.login()
    person = stack.call("POST", f"{API}/staff", token, {"name": "志愿者小刘", "birth_date": "1988-06-01"}).json()
    code = f"rice-{uuid.uuid4().hex[:6]}"
    reward = stack.call("POST", f"{API}/points/rewards", token, {"code": code, "name": "大米一袋", "cost": 30})
    assert reward.status_code == 201, reward.text
    earned = stack.call("POST", f"{API}/points/earn", token,
                        {"person_id": person["id"], "points": 100, "activity": "疫苗接种点引导", "hours": 4})
    assert earned.status_code == 201 and earned.json()["balance_after"] == 100

    results = []

    def redeem():
        response = stack.call("POST", f"{API}/points/redeem", token, {"person_id": person["id"], "reward_code": code})
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=redeem) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 3 + [409] * 7, results
    refused = [body for status, body in results if status == 409]
    assert all(body["error"] == "INSUFFICIENT_POINTS" for body in refused)

    statement = stack.call("GET", f"{API}/points/{person['id']}", token).json()
    assert statement["balance"] == 10
    assert sum(e["delta"] for e in statement["entries"]) == 10
    assert sorted(e["balance_after"] for e in statement["entries"] if e["kind"] == "redeem") == [10, 40, 70]
    assert all(e["approver"] == "admin" for e in statement["entries"])


def test_bad_points_requests_are_refused(stack):
    token = stack.login()
    person = stack.call("POST", f"{API}/staff", token, {"name": "志愿者小赵", "birth_date": "1988-06-01"}).json()
    unknown = stack.call("POST", f"{API}/points/redeem", token, {"person_id": person["id"], "reward_code": "nope"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "UNKNOWN_REWARD"
    negative = stack.call("POST", f"{API}/points/earn", token, {"person_id": person["id"], "points": -5,
                                                               "activity": "x"})
    assert negative.status_code == 400 and "points" in negative.json()["details"]["fields"]
    nobody = stack.call("POST", f"{API}/points/earn", token, {"person_id": "missing", "points": 5, "activity": "x"})
    assert nobody.status_code == 404 and nobody.json()["error"] == "PERSON_NOT_FOUND"
    assert stack.call("GET", f"{API}/points/{person['id']}", token).json() == {
        "person_id": person["id"], "balance": 0, "entries": []}


def test_a_reward_code_is_created_once_and_never_overwritten(stack):
    token = stack.login()
    code = f"oil-{uuid.uuid4().hex[:6]}"
    first = stack.call("POST", f"{API}/points/rewards", token, {"code": code, "name": "食用油一桶", "cost": 50, "stock": 20})
    assert first.status_code == 201, first.text
    again = stack.call("POST", f"{API}/points/rewards", token, {"code": code, "name": "毛巾", "cost": 1, "stock": None})
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "REWARD_CODE_TAKEN" and again.json()["details"] == {"field": "code"}
    assert code in again.json()["message"]
    assert stack.db_rows("people", f"SELECT name, cost, stock FROM rewards WHERE code = '{code}'") == [
        {"name": "食用油一桶", "cost": 50, "stock": 20}]


def test_concurrent_creations_of_one_reward_code_make_one_reward(stack):
    token = stack.login()
    code = f"soap-{uuid.uuid4().hex[:6]}"
    results = []

    def create(cost):
        response = stack.call("POST", f"{API}/points/rewards", token, {"code": code, "name": "洗衣皂", "cost": cost})
        results.append((response.status_code, response.json(), cost))

    threads = [threading.Thread(target=create, args=(cost,)) for cost in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _, _ in results) == [201] + [409] * 7, results
    assert all(body["error"] == "REWARD_CODE_TAKEN" for status, body, _ in results if status == 409)
    winner = next(cost for status, _, cost in results if status == 201)
    assert stack.db_rows("people", f"SELECT cost FROM rewards WHERE code = '{code}'") == [{"cost": winner}]
