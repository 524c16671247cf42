"""Broadcasts land in every inbox of their scope; read receipts give read rates."""

API = "/api/v1"


def account(stack, admin, roles, scope):
    return stack.new_account(admin, roles, scope, display_name="收件人")


def test_a_notice_reaches_its_scope_and_counts_who_read_it(stack):
    admin = stack.login()
    near = account(stack, admin, ["grid_worker"], "320508019044001")
    far = account(stack, admin, ["grid_worker"], "320508019045001")
    other_street = account(stack, admin, ["town_leader"], "320508014")
    sent = stack.call("POST", f"{API}/broadcasts", admin, {
        "title": "寒潮预警", "body": "请各网格员今晚走访独居老人，确认取暖安全。", "scope_grid": "320508019"})
    assert sent.status_code == 201, sent.text
    notice = sent.json()
    assert notice["recipient_count"] >= 2 and notice["sender"] == "admin"

    def titles(token):
        return [item["title"] for item in stack.call("GET", f"{API}/inbox", token).json()["items"]]
    assert "寒潮预警" in titles(near) and "寒潮预警" in titles(far)
    assert "寒潮预警" not in titles(other_street)

    read = stack.call("POST", f"{API}/inbox/{notice['id']}/read", near)
    assert read.status_code == 200
    again = stack.call("POST", f"{API}/inbox/{notice['id']}/read", near)
    assert again.json()["read_at"] == read.json()["read_at"]  # the first reading counts
    assert stack.call("POST", f"{API}/inbox/{notice['id']}/read", other_street).status_code == 404
    unread = stack.call("GET", f"{API}/inbox?unread=true", far).json()["items"]
    assert notice["id"] in [item["id"] for item in unread]

    rate = stack.call("GET", f"{API}/broadcasts/{notice['id']}", admin).json()
    assert rate["recipients"] == notice["recipient_count"] and rate["read"] == 1
    assert rate["read_rate"] == round(1 / rate["recipients"], 4)
    assert rate["by_scope"]["320508019"]["read"] == 1
    assert stack.call("GET", f"{API}/broadcasts/{notice['id']}", other_street).status_code == 403, \
        "another street's leader does not read this street's notice"
    own = stack.call("POST", f"{API}/broadcasts", other_street, {"title": "本街道通知", "body": "周一例会。"}).json()
    assert stack.call("GET", f"{API}/broadcasts/{own['id']}", other_street).json()["recipients"] >= 1

    by_role = stack.call("POST", f"{API}/broadcasts", admin, {"title": "镇街领导会议通知", "body": "周五下午三点。",
                                                             "scope_role": "town_leader"}).json()
    assert "镇街领导会议通知" in titles(other_street) and "镇街领导会议通知" not in titles(near)
    assert by_role["recipient_count"] >= 1

    outside = stack.call("POST", f"{API}/broadcasts", other_street, {"title": "越权", "body": "x",
                                                                   "scope_grid": "320508019"})
    assert outside.status_code == 403
    bad = stack.call("POST", f"{API}/broadcasts", admin, {"title": "  ", "body": "x", "scope_role": "king"})
    assert bad.status_code == 400 and set(bad.json()["details"]["fields"]) == {"title", "scope_role"}
