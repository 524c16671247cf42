"""Small wishes (点亮微心愿, issue 19 §2) through the whole stack, as seed 001 tells it:
a resident posts a wish for a wheelchair, the community officer approves it, a
volunteer claims and fulfils it, the resident confirms, and the volunteer's points
balance holds the wish's points. The volunteer learns who posted it only once they
claim it. Each wrong step is refused with nothing stored, and the wishes show per
community."""
import json
import uuid

from shapely.geometry import box, mapping

from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320575", 126.40, 36.40          # a county and a spot no other test uses
TOWN = f"{COUNTY}001"
COMMUNITY, OTHER_COMMUNITY = f"{TOWN}001", f"{TOWN}002"
GRID, OTHER_GRID = f"{COMMUNITY}001", f"{OTHER_COMMUNITY}001"
PASSWORD = "Passw0rd-2026"
PHONE = "13912345678"
WHEELCHAIR = {"title": "为行动不便的母亲借一辆轮椅", "description": "母亲腿脚不便，下周要去医院复查，想借一辆轮椅。",
              "category": "goods"}


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def refused(response, status, code):
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    return response.json()


def district(stack, admin):
    """The county > street > two communities side by side, one grid each."""
    west, east = box(X, Y, X + 0.02, Y + 0.02), box(X + 0.02, Y, X + 0.04, Y + 0.02)
    whole = box(X, Y, X + 0.04, Y + 0.02)
    chain = [(COUNTY, "心愿区", whole, None), (TOWN, "心愿街道", whole, COUNTY),
             (COMMUNITY, "心愿社区", west, TOWN), (GRID, "心愿一网格", west, COMMUNITY),
             (OTHER_COMMUNITY, "邻里社区", east, TOWN), (OTHER_GRID, "邻里一网格", east, OTHER_COMMUNITY)]
    features = [{"type": "Feature", "geometry": mapping(shape),
                 "properties": {"code": code, "name": name, "parent_code": parent}}
                for code, name, shape, parent in chain]
    ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": features}), 201)
    return west.centroid, east.centroid


def account(stack, admin, **fields):
    username = f"w{uuid.uuid4().hex[:9]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "心愿测试",
                                                     "password": PASSWORD, **fields}), 201)
    return stack.login(username, PASSWORD)


def resident(stack, admin, point, name, id_number=None, phone=None, home=True):
    """A resident (in a household at ``point`` unless ``home`` is False) and their own account's token."""
    household = None
    if home:
        place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": f"{name}家",
                                                             "lon": point.x, "lat": point.y}))
        household = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"],
                                                                       "address": "3幢201室"}))["id"]
    registered = ok(stack.call("POST", f"{API}/residents", admin, {
        "name": name, "id_number": id_number or fresh_id_number(), "phone": phone, "household_id": household}))
    return account(stack, admin, roles=["resident"], resident_id=registered["id"])


def staff(stack, admin, name, role="full_time_worker", party_member=False, id_number=None, grid=GRID):
    """A staff member posted in ``grid`` and a grid worker's account linked to them: (person id, token)."""
    person = ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "party_member": party_member,
                                                           "id_number": id_number or fresh_id_number()}))
    ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                  {"grid_code": grid, "role": role, "start_date": "2026-01-01"}))
    return person["id"], account(stack, admin, roles=["grid_worker"], grid_scope=grid, person_id=person["id"])


def wishes_of(stack, title):
    return stack.db_rows("people", "SELECT id, status FROM wishes WHERE title = :t", t=title)


def test_a_wish_from_posted_to_confirmed_lights_the_volunteers_points(stack):
    admin = stack.login()
    here, there = district(stack, admin)
    mother_id = fresh_id_number()
    poster = resident(stack, admin, here, "王秀英", id_number=mother_id, phone=PHONE)
    homeless = resident(stack, admin, here, "无户居民", home=False)
    officer = account(stack, admin, roles=["community_officer"], grid_scope=COMMUNITY)
    other_officer = account(stack, admin, roles=["community_officer"], grid_scope=OTHER_COMMUNITY)
    volunteer_id, volunteer = staff(stack, admin, "志愿者小李", role="volunteer")
    member_id, member = staff(stack, admin, "党员老张", party_member=True)
    _, plain_worker = staff(stack, admin, "网格员小陈")
    _, herself = staff(stack, admin, "王秀英", party_member=True, id_number=mother_id)  # the poster, as staff

    # bad input: a number in the text, no home, a worker posting: refused, nothing stored
    numbered = stack.call("POST", f"{API}/wishes", poster, {**WHEELCHAIR, "description": f"请打电话{PHONE}联系我"})
    assert refused(numbered, 400, "VALIDATION_FAILED")["details"]["fields"].keys() == {"description"}
    assert PHONE not in numbered.text
    refused(stack.call("POST", f"{API}/wishes", homeless, WHEELCHAIR), 409, "NO_HOME")
    refused(stack.call("POST", f"{API}/wishes", volunteer, WHEELCHAIR), 403, "ROLE_FORBIDDEN")
    assert wishes_of(stack, WHEELCHAIR["title"]) == []

    wish = ok(stack.call("POST", f"{API}/wishes", poster, WHEELCHAIR), 201)
    assert (wish["status"], wish["grid_code"], wish["community_code"], wish["yours"]) == (
        "posted", GRID, COMMUNITY, True)
    path = f"{API}/wishes/{wish['id']}"

    # not yet approved: hidden from volunteers; only community officers and above approve, in scope
    refused(stack.call("GET", path, volunteer), 404, "WISH_NOT_FOUND")
    refused(stack.call("POST", f"{path}/claim", volunteer), 404, "WISH_NOT_FOUND")
    refused(stack.call("POST", f"{path}/approve", volunteer), 403, "ROLE_FORBIDDEN")
    refused(stack.call("POST", f"{path}/approve", other_officer), 404, "WISH_NOT_FOUND")
    approved = ok(stack.call("POST", f"{path}/approve", officer))
    assert approved["status"] == "approved" and approved["poster"]["name"] == "王秀英"
    again = refused(stack.call("POST", f"{path}/approve", officer), 409, "WISH_OUT_OF_ORDER")
    assert again["details"]["status"] == "approved"

    # the volunteer sees what is wished, not who wished it
    listed = ok(stack.call("GET", f"{API}/wishes?status=approved", volunteer))["items"]
    (seen,) = [item for item in listed if item["id"] == wish["id"]]
    before = stack.call("GET", path, volunteer)
    assert seen["poster"] is None and ok(before)["poster"] is None and ok(before)["title"] == WHEELCHAIR["title"]
    assert "王秀英" not in before.text and "5678" not in before.text and mother_id[-4:] not in before.text

    # who may claim: not a worker who is neither party member nor volunteer, not the poster herself
    refused(stack.call("POST", f"{path}/claim", plain_worker), 403, "NOT_A_VOLUNTEER")
    refused(stack.call("POST", f"{path}/claim", officer), 403, "NOT_A_VOLUNTEER")   # no staff record
    refused(stack.call("POST", f"{path}/claim", poster), 403, "ROLE_FORBIDDEN")
    refused(stack.call("POST", f"{path}/claim", herself), 403, "OWN_WISH")
    claimed = ok(stack.call("POST", f"{path}/claim", volunteer))
    assert claimed["status"] == "claimed" and claimed["claimed_by_person_id"] == volunteer_id
    assert claimed["poster"] == {"name": "王秀英", "phone": "139****5678", "address": "3幢201室"}
    assert PHONE not in json.dumps(claimed) and mother_id[:6] not in json.dumps(claimed)
    assert refused(stack.call("POST", f"{path}/claim", volunteer), 409, "WISH_CLAIMED")["details"]["claimed_by_you"]
    refused(stack.call("POST", f"{path}/claim", member), 409, "WISH_CLAIMED")
    assert ok(stack.call("GET", path, member))["poster"] is None                     # not theirs: still hidden
    refused(stack.call("POST", f"{path}/withdraw", poster), 409, "WISH_OUT_OF_ORDER")
    assert refused(stack.call("POST", f"{path}/confirm", poster), 409, "WISH_OUT_OF_ORDER")["details"][
        "status"] == "claimed"

    # only the claimant fulfils, with a note holding no number
    refused(stack.call("POST", f"{path}/fulfil", member, {"note": "我来办"}), 403, "NOT_THE_CLAIMANT")
    noted = refused(stack.call("POST", f"{path}/fulfil", volunteer, {"note": f"已送达，有事打{PHONE}"}),
                    400, "VALIDATION_FAILED")
    assert noted["details"]["fields"].keys() == {"note"}
    assert wishes_of(stack, WHEELCHAIR["title"])[0]["status"] == "claimed"
    fulfilled = ok(stack.call("POST", f"{path}/fulfil", volunteer, {"note": "轮椅已送到家中，教会了使用"}))
    assert fulfilled["status"] == "fulfilled" and fulfilled["fulfil_note"].startswith("轮椅")

    # the poster confirms: the points land in the volunteer's balance, once
    refused(stack.call("POST", f"{path}/confirm", volunteer), 403, "ROLE_FORBIDDEN")
    refused(stack.call("POST", f"{path}/confirm", resident(stack, admin, here, "邻居")), 404, "WISH_NOT_FOUND")
    confirmed = ok(stack.call("POST", f"{path}/confirm", poster))
    assert (confirmed["status"], confirmed["points"], confirmed["claimant_name"]) == ("confirmed", 10, "志愿者小李")
    refused(stack.call("POST", f"{path}/confirm", poster), 409, "WISH_OUT_OF_ORDER")
    ledger = ok(stack.call("GET", f"{API}/points/{volunteer_id}", volunteer))
    assert ledger["balance"] == 10 and ledger["entries"][0]["activity"] == f"点亮微心愿 {wish['id']}"
    assert ok(stack.call("GET", path, volunteer))["poster"] is None                  # done: no longer needed
    (event,) = [row["payload"] for row in stack.db_rows(
        "people", "SELECT payload FROM outbox_events WHERE event_type = 'wish_confirmed'")
        if wish["id"] in str(row["payload"])]
    event = json.loads(event) if isinstance(event, str) else event
    assert (event["claimant_person_id"], event["points"], event["grid_code"]) == (volunteer_id, 10, GRID)
    assert "王秀英" not in json.dumps(event, ensure_ascii=False) and "title" not in event

    # the summary per community, and each reader's list
    withdrawn = ok(stack.call("POST", f"{API}/wishes", poster, {**WHEELCHAIR, "title": "帮忙填医保报销单",
                                                                 "category": "paperwork"}), 201)
    ok(stack.call("POST", f"{API}/wishes/{withdrawn['id']}/withdraw", poster))
    rejected = ok(stack.call("POST", f"{API}/wishes", poster, {**WHEELCHAIR, "title": "想要一台新电视"}), 201)
    refused(stack.call("POST", f"{API}/wishes/{rejected['id']}/reject", officer, {"reason": f"请拨{PHONE}"}),
            400, "VALIDATION_FAILED")
    assert ok(stack.call("POST", f"{API}/wishes/{rejected['id']}/reject", officer,
                         {"reason": "不属于微心愿范围，请到社区当面咨询"}))["status"] == "rejected"
    neighbour = resident(stack, admin, there, "邻里居民")
    over_there = ok(stack.call("POST", f"{API}/wishes", neighbour, {**WHEELCHAIR, "title": "帮忙修理漏水龙头",
                                                                    "category": "service"}), 201)
    refused(stack.call("POST", f"{API}/wishes/{over_there['id']}/approve", officer), 404, "WISH_NOT_FOUND")
    ok(stack.call("POST", f"{API}/wishes/{over_there['id']}/approve", other_officer))
    refused(stack.call("GET", f"{API}/wishes/{over_there['id']}", volunteer), 404, "WISH_NOT_FOUND")

    summary = ok(stack.call("GET", f"{API}/wishes/summary?root={TOWN}", admin))
    counts = {c["community_code"]: c for c in summary["communities"]}
    assert {key: counts[COMMUNITY][key] for key in ("confirmed", "withdrawn", "rejected", "open", "points")} == {
        "confirmed": 1, "withdrawn": 1, "rejected": 1, "open": 0, "points": 10}
    assert (counts[OTHER_COMMUNITY]["approved"], counts[OTHER_COMMUNITY]["open"]) == (1, 1)
    assert counts[COMMUNITY]["name"] == "心愿社区" and summary["total"]["open"] == 1
    mine = ok(stack.call("GET", f"{API}/wishes/summary", officer))
    assert [c["community_code"] for c in mine["communities"]] == [COMMUNITY]
    refused(stack.call("GET", f"{API}/wishes/summary?root={OTHER_COMMUNITY}", officer), 403, "OUT_OF_SCOPE")

    own = ok(stack.call("GET", f"{API}/wishes", poster))["items"]
    assert {item["id"] for item in own} == {wish["id"], withdrawn["id"], rejected["id"]}
    assert next(item for item in own if item["id"] == rejected["id"])["reject_reason"].startswith("不属于")
    refused(stack.call("GET", f"{API}/wishes?root={GRID}", poster), 403, "OUT_OF_SCOPE")
    volunteers_view = {item["id"] for item in ok(stack.call("GET", f"{API}/wishes", volunteer))["items"]}
    assert volunteers_view == {wish["id"]}                    # neither the withdrawn nor the rejected one
    officers_view = {item["id"] for item in ok(stack.call("GET", f"{API}/wishes", officer))["items"]}
    assert officers_view == {wish["id"], withdrawn["id"], rejected["id"]}


def test_two_volunteers_claiming_at_once_one_wins(stack):
    """Claims of one wish take turns on its row: one claimant, the other told it is claimed."""
    import concurrent.futures

    admin = stack.login()
    here = box(X, Y, X + 0.02, Y + 0.02).centroid   # the district of the test above, or made here
    if stack.call("GET", f"{API}/grids/{GRID}", admin).status_code == 404:
        here, _ = district(stack, admin)
    poster = resident(stack, admin, here, "赵大爷")
    officer = account(stack, admin, roles=["community_officer"], grid_scope=COMMUNITY)
    claimants = [staff(stack, admin, f"志愿者{n}", role="volunteer") for n in range(2)]
    wish = ok(stack.call("POST", f"{API}/wishes", poster, {**WHEELCHAIR, "title": "陪同去银行办业务"}), 201)
    ok(stack.call("POST", f"{API}/wishes/{wish['id']}/approve", officer))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda c: stack.call("POST", f"{API}/wishes/{wish['id']}/claim", c[1]), claimants))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert winner["claimed_by_person_id"] in {person for person, _ in claimants}
