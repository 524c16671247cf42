"""Visit and patrol targets, the visit list and the coverage report (a real database:
PostgreSQL when there is one), on a hand-built community whose gaps are known."""
import datetime as dt

import pytest

from common.actor import Actor
from common.errors import InvalidInput
from common.periods import parse_period
from people import MIGRATIONS_DIR, coverage, patrols, targets
from people.idcard import mask_numbers_in
from people.models import Assignment, CoverageTargets, Household, PatrolCheckin, Person, Visit

COMMUNITY = "320597001001"
A, B, E = f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}901"   # two basic grids, one exclusive
GRIDS = [{"code": A, "name": "一网格", "kind": "basic", "community_code": COMMUNITY, "town_code": COMMUNITY[:9]},
         {"code": B, "name": "二网格", "kind": "basic", "community_code": COMMUNITY, "town_code": COMMUNITY[:9]},
         {"code": E, "name": "园区专属网格", "kind": "exclusive", "community_code": COMMUNITY,
          "town_code": COMMUNITY[:9]}]
Q3 = parse_period("2026-Q3")   # 92 days, 13 weeks and a day
AFTER_Q3 = dt.date(2026, 11, 1)


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def at(day, hour=2):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)


# --- targets -----------------------------------------------------------------------------

def test_the_default_targets_load_and_each_says_why():
    loaded = targets.load_targets()
    assert loaded.version == 0
    full_time = loaded.of("full_time_worker", "basic")
    assert (full_time.visits.share, full_time.visits.every_months, full_time.patrols.per_week) == (1, 3, 5)
    assert loaded.of("full_time_worker", "exclusive").visits is None
    assert loaded.of("volunteer", "basic") is None
    rows = targets.describe(loaded)
    assert rows and all("Seed" in row["why"] or "seed" in row["why"] for row in rows)


@pytest.mark.parametrize("value, path, message", [
    ({"patrols": {"per_week": -1}}, ("patrols", "per_week"), "greater than or equal to 0"),
    ({"patrols": {"per_week": "5"}}, ("patrols", "per_week"), "Not a valid number"),
    ({"patrols": {"per_week": True}}, ("patrols", "per_week"), "Not a valid number"),
    ({"visits": {"share": -0.5, "every_months": 3}}, ("visits", "share"), "greater than or equal to 0"),
    ({"visits": {"share": 1, "every_months": 2.5}}, ("visits", "every_months"), "Not a valid integer"),
    ({"visits": {"share": 1, "every_months": 0}}, ("visits", "every_months"), "greater than or equal to 1"),
    ({"visits": {"share": "all", "every_months": 3}}, ("visits", "share"), "Not a valid number"),
])
def test_a_negative_or_non_numeric_target_is_refused_naming_its_field(value, path, message):
    with pytest.raises(InvalidInput) as refused:
        targets.load_targets({"roles": {"part_time_worker": {"basic": value}}})
    fields = refused.value.details["fields"]["roles"]["part_time_worker"]["basic"]
    assert message in fields[path[0]][path[1]][0]
    assert f"roles.part_time_worker.basic.{path[0]}.{path[1]}" in refused.value.message


def test_unknown_roles_kinds_and_fields_are_refused():
    for document, where in (({"roles": {"mayor": {}}}, ("mayor",)),
                            ({"roles": {"grid_chief": {"industrial": {}}}}, ("grid_chief", "industrial")),
                            ({"roles": {"grid_chief": {"basic": {"visits": {"share": 1, "every_months": 3,
                                                                            "weekly": 2}}}}},
                             ("grid_chief", "basic", "visits", "weekly"))):
        with pytest.raises(InvalidInput) as refused:
            targets.load_targets(document)
        fields = refused.value.details["fields"]["roles"]
        for key in where:
            fields = fields[key]
        assert fields == ["Unknown field."]
    with pytest.raises(InvalidInput):
        targets.load_targets({"why": "no roles"})


def test_versions_are_stored_whole_and_a_refused_one_stores_nothing(db):
    with db.read() as session:
        assert targets.targets_in_force(session).version == 0
    with db.transaction() as session:
        saved = targets.save_targets(session, {"roles": {"full_time_worker": {"basic": {"patrols": {"per_week": 3}}}}},
                                     author="district")
    assert saved.version == 1 and saved.created_by == "district"
    assert saved.of("full_time_worker", "basic").patrols.per_week == 3
    assert saved.of("full_time_worker", "basic").visits is None and saved.of("grid_chief", "basic") is None
    with pytest.raises(InvalidInput), db.transaction() as session:
        targets.save_targets(session, {"roles": {"full_time_worker": {"basic": {"patrols": {"per_week": -3}}}}},
                             author="district")
    with db.read() as session:
        assert session.query(CoverageTargets).count() == 1
        assert targets.targets_in_force(session).version == 1


def test_the_readme_shows_the_default_targets():
    assert targets.main(["--check"]) == 0, "run: python -m people.targets --write"


# --- the visit list ------------------------------------------------------------------------

def test_numbers_typed_into_notes_are_masked():
    assert mask_numbers_in("电话139 1234 5678，身份证11010519491231002X") == "电话139****5678，身份证110105********002X"
    assert mask_numbers_in("１３９１２３４５６７８") == "139****5678"
    assert mask_numbers_in("门牌号12号，户内3人，工单20261123-00001") == "门牌号12号，户内3人，工单20261123-00001"


def _person(session, name):
    person = Person(name=name, party_member=False, smartphone_user=True, violation_recorded=False, status="active")
    session.add(person)
    session.flush()
    return person


def _household(session, grid_code, n):
    household = Household(place_code=f"{grid_code[:12]}{n:05d}", grid_code=grid_code, address=f"{n}号")
    session.add(household)
    session.flush()
    return household


def _visit(session, person, household, when, notes="走访"):
    session.add(Visit(person_id=person.id, household_id=household.id, grid_code=household.grid_code,
                      client_id=f"v{when.timestamp()}{household.id[:6]}{person.id[:4]}", notes=notes, occurred_at=when))


def test_visits_list_newest_first_in_pages_with_notes_for_those_who_may_read_them(db):
    with db.transaction() as session:
        ours, theirs = _person(session, "网格员甲"), _person(session, "网格员乙")
        here, there = _household(session, f"{A}001", 1), _household(session, f"{B}001", 2)
        for day in range(5):
            _visit(session, ours, here, at(dt.date(2026, 8, 1 + day)), notes=f"第{day}次 电话13912345678")
        _visit(session, theirs, there, at(dt.date(2026, 8, 3), 5))
        ours_id, theirs_id = ours.id, theirs.id
    colleague = Actor.from_wire({"account_id": "a", "username": "u", "roles": ["grid_worker"], "scope": A,
                                 "person_id": theirs_id})
    chief = Actor.from_wire({"account_id": "b", "username": "c", "roles": ["grid_chief"], "scope": COMMUNITY})
    with db.read() as session:
        first = patrols.visits_page(session, root=A, limit=3, actor=colleague)
        second = patrols.visits_page(session, root=A, limit=3, after=first["next"], actor=colleague)
        everything = patrols.visits_page(session, root=COMMUNITY, limit=100, actor=chief)
        own = patrols.visits_page(session, root=A, person_id=ours_id, limit=100,
                                  actor=Actor.from_wire({"account_id": "c", "username": "o", "roles": ["grid_worker"],
                                                         "scope": A, "person_id": ours_id}))
        with pytest.raises(InvalidInput):
            patrols.visits_page(session, root=A, after="no-such-visit")
    assert [len(first["items"]), len(second["items"]), second["next"]] == [3, 2, None]
    times = [v["occurred_at"] for v in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 5
    assert all(v["notes"] is None and not v["notes_shown"] for v in first["items"]), "a colleague's notes"
    assert {v["person_id"] for v in everything["items"]} == {ours_id, theirs_id}
    assert all(v["notes_shown"] for v in everything["items"]), "a chief checks the visits of the scope"
    assert own["items"][0]["notes"] == "第4次 电话139****5678", "the visitor reads their own, numbers masked"


# --- the coverage report ---------------------------------------------------------------------

def _post(session, person, grid_code, role, start=dt.date(2026, 1, 1), end=None):
    session.add(Assignment(person_id=person.id, grid_code=grid_code, role=role, start_date=start, end_date=end))


def _rounds(session, person, count, first=dt.date(2026, 7, 1), located=A):
    for n in range(count):
        when = at(first + dt.timedelta(days=n % 92), 1 + n // 92)
        session.add(PatrolCheckin(person_id=person.id, client_id=f"p{n}", lon=120.6, lat=31.3, occurred_at=when,
                                  assigned_grid_codes=[located], located_grid_code=located, inside=True))


@pytest.fixture
def community(db):
    """Grid A: 4 households (3 in group 001, 1 in group 002); grid B: 2; the park E: none.
    A's full-time worker visits 3 of A's 4 households and patrols 66 times in Q3
    (enough: 5 a week over 92 days is 66); B's full-time worker visits both and
    patrols 10 times; B's part-timer (posted from 15 August: 47 days of Q3) visits none
    and patrols 7 times; the park's chief patrols 14 times (needs 14). One of A's households was
    visited in Q2 only; a visit in Q4 does not count."""
    with db.transaction() as session:
        people = {name: _person(session, name) for name in ("甲", "乙", "丙", "丁")}
        _post(session, people["甲"], A, "full_time_worker")
        _post(session, people["乙"], B, "full_time_worker")
        _post(session, people["丙"], B, "part_time_worker", start=dt.date(2026, 8, 15))
        _post(session, people["丁"], E, "grid_chief")
        _post(session, people["丁"], A, "volunteer")  # no target: not counted
        homes = [_household(session, f"{A}001", n) for n in range(3)] + [_household(session, f"{A}002", 3)]
        homes += [_household(session, f"{B}001", n) for n in (4, 5)]
        for home in homes[:3]:
            _visit(session, people["甲"], home, at(dt.date(2026, 8, 10)))
        _visit(session, people["甲"], homes[0], at(dt.date(2026, 9, 10)))  # twice: one household
        _visit(session, people["甲"], homes[3], at(dt.date(2026, 5, 10)))  # Q2
        _visit(session, people["甲"], homes[3], at(dt.date(2026, 10, 10)))  # Q4
        for home in homes[4:]:
            _visit(session, people["乙"], home, at(dt.date(2026, 7, 20)))
        _rounds(session, people["甲"], 66)
        _rounds(session, people["乙"], 10, located=B)
        _rounds(session, people["丙"], 7, first=dt.date(2026, 8, 15), located=B)
        _rounds(session, people["丁"], 14, located=None)
        session.flush()
        return {name: person.id for name, person in people.items()}, [home.id for home in homes]


def test_the_coverage_report_names_the_gaps_of_a_hand_built_community(db, community):
    people, homes = community
    with db.read() as session:
        report = coverage.report(session, GRIDS, COMMUNITY, Q3, targets.load_targets(), AFTER_Q3)
    assert report["days_so_far"] == 92 and report["targets_version"] == 0
    assert report["total"] == {"households": 6, "visited": 5, "not_visited": 1, "coverage": round(5 / 6, 4),
                               "visits": 6, "patrols": 83, "workers": 4, "workers_below_target": 3}
    assert report["by_grid"][A] == {"households": 4, "visited": 3, "not_visited": 1, "coverage": 0.75, "visits": 4,
                                    "patrols": 66, "workers": 1, "workers_below_target": 1, "name": "一网格",
                                    "kind": "basic"}
    assert (report["by_grid"][B]["visited"], report["by_grid"][B]["workers"],
            report["by_grid"][B]["workers_below_target"]) == (2, 2, 2)
    assert report["by_grid"][E]["households"] == 0 and report["by_grid"][E]["workers_below_target"] == 0
    assert list(report["by_community"]) == [COMMUNITY]
    assert report["by_town"] == {}, "the town lies above the root: its totals would be the community's"
    assert report["by_community"][COMMUNITY]["workers_below_target"] == 3

    below = {w["person_id"]: w for w in report["workers_below_target"]}
    assert set(below) == {people["甲"], people["乙"], people["丙"]}
    jia = below[people["甲"]]
    assert (jia["households"], jia["households_visited"], jia["households_needed"], jia["below"]) == (4, 3, 4, ["visits"])
    assert (jia["patrols"], jia["patrols_needed"], jia["patrols_per_week_target"]) == (66, 66, 5)
    assert jia["name"] == "甲"
    yi = below[people["乙"]]
    assert yi["below"] == ["patrols"] and yi["households_visited"] == yi["households_needed"] == 2
    bing = below[people["丙"]]
    # Posted 47 of Q3's 92 days: every household once a year asks a quarter of the two
    # households a quarter, prorated (0.26: one), and a round a week over 47 days (7).
    assert (bing["households_needed"], bing["patrols_needed"], bing["below"]) == (1, 7, ["visits"])
    assert people["丁"] not in below, "the park's chief walked their 14 rounds; the park has no households"

    not_visited = report["households_not_visited"]
    assert [h["household_id"] for h in not_visited["items"]] == [homes[3]] and not_visited["next"] is None
    assert not_visited["items"][0]["last_visited_at"].startswith("2026-05-10")


def test_a_quarter_under_way_asks_only_its_days_and_a_month_a_third(db, community):
    people, _ = community
    with db.read() as session:
        midway = coverage.report(session, GRIDS, COMMUNITY, Q3, targets.load_targets(), dt.date(2026, 8, 15))
        july = coverage.report(session, GRIDS, COMMUNITY, parse_period("2026-07"), targets.load_targets(), AFTER_Q3)
    assert midway["days_so_far"] == 46
    jia = {w["person_id"]: w for w in midway["workers_below_target"]}.get(people["甲"])
    assert jia is None, "half a quarter asks half the households (2) and 33 rounds; 甲 did more"
    july_needs = {w["person_id"]: w for w in july["workers_below_target"]}
    assert july_needs[people["乙"]]["patrols_needed"] == 23  # 5 a week over July's 31 days
    assert july_needs[people["乙"]]["households_needed"] == 1  # a third of two households, rounded up


def test_a_worker_reads_only_their_own_line_and_the_page_of_households_moves_on(db, community):
    people, homes = community
    with db.read() as session:
        own = coverage.report(session, GRIDS, COMMUNITY, Q3, targets.load_targets(), AFTER_Q3,
                              workers_shown=people["乙"])
        q4 = [coverage.report(session, GRIDS, COMMUNITY, parse_period("2026-Q4"), targets.load_targets(),
                              dt.date(2026, 12, 31), limit=4)]
        q4.append(coverage.report(session, GRIDS, COMMUNITY, parse_period("2026-Q4"), targets.load_targets(),
                                  dt.date(2026, 12, 31), limit=4, after=q4[0]["households_not_visited"]["next"]))
        with pytest.raises(InvalidInput):
            coverage.report(session, GRIDS, COMMUNITY, Q3, targets.load_targets(), AFTER_Q3, after="nobody")
    assert [w["person_id"] for w in own["workers_below_target"]] == [people["乙"]]
    assert own["total"]["workers_below_target"] == 3, "the totals count everyone"
    pages = [[h["household_id"] for h in report["households_not_visited"]["items"]] for report in q4]
    assert len(pages[0]) == 4 and len(pages[1]) == 1 and q4[1]["households_not_visited"]["next"] is None
    assert set(pages[0] + pages[1]) == set(homes) - {homes[3]}, "the household visited in October is covered"
