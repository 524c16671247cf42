"""Campaign tasks on a real database (PostgreSQL when there is one): completion per grid
counted in one query, the part of a campaign each caller reaches, a household that moves
out of the scope no longer counted, and the list of what is left a page at a time."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from people import MIGRATIONS_DIR, campaigns
from people.exceptions import CampaignClosed, CampaignNotFound, HouseholdNotInCampaign
from people.models import Household

COMMUNITY = "320577001001"
A, B = f"{COMMUNITY}001", f"{COMMUNITY}002"
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def homes(session, grid, count):
    rows = [Household(place_code=f"{grid[:12]}00001", grid_code=grid, address=f"{n}室") for n in range(count)]
    session.add_all(rows)
    session.flush()
    return rows


def test_completion_is_counted_per_grid_over_the_part_a_caller_reaches(db):
    with db.transaction() as session:
        in_a, in_b = homes(session, A, 3), homes(session, B, 2)
        task = campaigns.launch(session, {"title": "安装反诈APP", "scope": COMMUNITY}, by="town", now=NOW)
        for home in in_a[:2] + in_b[:1]:
            campaigns.tick(session, task, home, person_id=None, by="worker", note=None, now=NOW)
        _, created = campaigns.tick(session, task, in_a[0], person_id=None, by="worker", note=None, now=NOW)
        assert created is False
        whole = campaigns.progress(session, task, campaigns.part_of(task, COMMUNITY[:9]))
        assert (whole["households"], whole["done"], whole["rate"]) == (5, 3, 0.6)
        assert [(g["grid_code"], g["households"], g["done"]) for g in whole["grids"]] == [(A, 3, 2), (B, 2, 1)]
        only_b = campaigns.progress(session, task, campaigns.part_of(task, B))
        assert (only_b["part"], only_b["households"], only_b["done"]) == (B, 2, 1)
        assert campaigns.part_of(task, "320577002") is None
        with pytest.raises(CampaignNotFound):
            campaigns.get(session, task.id, reach="320577002")

        in_b[0].grid_code = "320577002001001"    # moved out of the community: no longer counted
        session.flush()
        assert campaigns.progress(session, task, COMMUNITY)["households"] == 4
        with pytest.raises(HouseholdNotInCampaign):
            campaigns.tick(session, task, in_b[0], person_id=None, by="worker", note=None, now=NOW)


def test_what_is_left_comes_a_page_at_a_time_and_a_closed_task_takes_no_ticks(db):
    with db.transaction() as session:
        rows = homes(session, A, 5)
        task = campaigns.launch(session, {"title": "入户登记", "scope": A}, by="town", now=NOW)
        campaigns.tick(session, task, rows[0], person_id=None, by="worker", note="已登记", now=NOW)
        first = campaigns.households(session, task, A, status="pending", limit=3)
        rest = campaigns.households(session, task, A, status="pending", after=first["next"], limit=3)
        pending = [item["household_id"] for page in (first, rest) for item in page["items"]]
        assert sorted(pending) == sorted(row.id for row in rows[1:]) and rest["next"] is None
        assert len(first["items"]) == 3 and first["next"] == first["items"][-1]["household_id"]
        (done,) = campaigns.households(session, task, A, status="done")["items"]
        assert done["tick"]["note"] == "已登记"
        with pytest.raises(InvalidInput):
            campaigns.households(session, task, A, after="no-such-household")
        campaigns.close(session, task, now=NOW)
        with pytest.raises(CampaignClosed):
            campaigns.tick(session, task, rows[1], person_id=None, by="worker", note=None, now=NOW)
        with pytest.raises(CampaignClosed):
            campaigns.close(session, task, now=NOW)
