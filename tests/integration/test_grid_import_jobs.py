"""Long work as a job (issue 20) through the whole stack: a district past
GRID_IMPORT_JOB_FEATURES grids (or any, with `Prefer: respond-async`) is answered at
once with 202 and a job that reports its progress and ends with the import's own answer;
a rejected import ends failed with the rejection and stores nothing; a job is its
starter's and the district's to read."""
import time

from shapely.geometry import box, mapping
from answers import ok

API = "/api/v1"
COUNTY, X, Y = "320627", 129.00, 38.00       # a county and a spot no other test uses
SIDE = 15                                    # 15 x 15 = 225 grids: past the default of 200


def district(county, x, y, side, size=0.02):
    """county > street > community covering a square, and side x side grids tiling it."""
    whole = mapping(box(x, y, x + size, y + size))
    chain = [(county, "作业区"), (f"{county}001", "作业街道"), (f"{county}001001", "作业社区")]
    features = [{"type": "Feature", "geometry": whole, "properties": {
        "code": code, "name": name, "parent_code": code[:-3] if len(code) > 6 else None}} for code, name in chain]
    step = size / side
    for row in range(side):
        for col in range(side):
            cell = box(x + col * step, y + row * step, x + (col + 1) * step, y + (row + 1) * step)
            features.append({"type": "Feature", "geometry": mapping(cell), "properties": {
                "code": f"{county}001001{row * side + col + 1:03d}", "name": f"作业网格{row * side + col + 1}",
                "parent_code": f"{county}001001"}})
    return {"type": "FeatureCollection", "features": features}


def follow(stack, token, location, timeout=180):
    """Every state the job was seen in, until it ended."""
    seen, deadline = [], time.time() + timeout
    while time.time() < deadline:
        job = ok(stack.call("GET", location, token))
        seen.append(job)
        if job["status"] in ("succeeded", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"the job did not end: {seen[-1]}")


def test_a_large_import_is_a_job_that_reports_progress_and_ends_with_its_answer(stack):
    admin = stack.login()
    collection = district(COUNTY, X, Y, SIDE)
    started = stack.call("POST", f"{API}/grids/import", admin, collection, timeout=60)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["Location"] == f"{API}/jobs/{job['id']}" and job["id"].startswith("grid-")
    assert (job["kind"], job["status"], job["total"]) == ("grid_import", "queued", SIDE * SIDE + 3)

    seen = follow(stack, admin, started.headers["Location"])
    done = seen[-1]
    assert done["status"] == "succeeded", done
    assert done["result"]["imported"] == SIDE * SIDE + 3 and done["done"] == done["total"] == SIDE * SIDE + 3
    progress = [(j["phase"], j["done"]) for j in seen if j["status"] == "running"]
    assert progress == sorted(progress, key=lambda p: (p[0] != "checking", p[1]))   # forward only
    assert ok(stack.call("GET", f"{API}/grids/{COUNTY}001001225", admin))["name"] == "作业网格225"

    worker = stack.new_account(admin, ["grid_worker"], f"{COUNTY}001001001")
    hidden = stack.call("GET", started.headers["Location"], worker)
    assert (hidden.status_code, hidden.json()["error"]) == (404, "JOB_NOT_FOUND")
    officer = stack.new_account(admin, ["district_officer"])
    assert ok(stack.call("GET", started.headers["Location"], officer))["status"] == "succeeded"


def test_a_rejected_import_job_ends_failed_with_the_rejection_and_stores_nothing(stack):
    admin = stack.login()
    collection = district("320628", X + 0.1, Y, 2)
    collection["features"][-1]["geometry"] = mapping(box(X + 0.5, Y, X + 0.6, Y + 0.1))   # outside its parent
    started = stack.call("POST", f"{API}/grids/import", admin, collection, headers={"Prefer": "respond-async"})
    assert started.status_code == 202, started.text
    ended = follow(stack, admin, started.headers["Location"])[-1]
    assert ended["status"] == "failed" and ended["error"]["error"] == "IMPORT_REJECTED"
    assert [e["index"] for e in ended["error"]["details"]["errors"]] == [len(collection["features"]) - 1]
    assert stack.call("GET", f"{API}/grids/320628", admin).status_code == 404
    small = stack.call("POST", f"{API}/grids/import", admin, district("320629", X + 0.2, Y, 1))
    assert small.status_code == 201                      # a small one is answered in the request, as before
    malformed = stack.call("GET", f"{API}/jobs/not-a-job", admin)
    assert malformed.status_code == 400
