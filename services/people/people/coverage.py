"""The coverage report (巡查走访): over a subtree and a period, the households nobody
visited, the workers below their targets with their figures, and totals per grid,
community and town. Free of nameko.

    report(session, grids, root, period, targets, today, limit=100, after=None,
           workers_shown=None) -> dict

The counting happens in the database: grouped queries over households, visits, rounds
and posts, one each, whatever the size of the subtree. Python then rolls the grouped
rows (one per grid, or per worker and grid) up the code hierarchy and weighs them
against the targets (``people.targets``); it never walks households one by one.

How a worker's target is counted, for a period (a month, a quarter, a year):
- only the days of the period so far (to today, Shanghai) during which the post ran
  count: a post begun mid-quarter, or the quarter under way, asks its share of it;
- visits: for each grid the worker is posted in, the target's share of the households
  registered in the grid's subtree, prorated by the period's months against the
  target's cycle (a month asks a third of a quarterly round) and by the post's days;
  what counts is the distinct households of that grid the worker visited in the
  period (the grid a visit keeps: where the household lay when visited);
- patrols: the target per week, times the weeks the posts ran; all of the worker's
  rounds in the period count (where they were is integrity's question);
- a person holding several posts is asked the most demanding patrol target of them,
  and the visits of each grid they are posted in.
"""
import datetime as dt
import math
from collections import defaultdict

from sqlalchemy import func, or_, select

from common import keyset
from people.models import Assignment, Household, PatrolCheckin, Person, Visit

EPSILON = 1e-9  # 64.99999 rounds of five a week over 13 weeks are 65
ONE_DAY = dt.timedelta(days=1)


def _figures():
    return {"households": 0, "visited": 0, "visits": 0, "patrols": 0, "workers": set(), "below": set()}


def _shown(figures):
    households, visited = figures["households"], figures["visited"]
    return {"households": households, "visited": visited, "not_visited": households - visited,
            "coverage": round(visited / households, 4) if households else None,
            "visits": figures["visits"], "patrols": figures["patrols"],
            "workers": len(figures["workers"]), "workers_below_target": len(figures["below"])}


class Hierarchy:
    """Where a grid code's figures are totalled: the staffed grid (basic or exclusive)
    it lies in, its community and its town, as far as they lie within ``root``."""

    def __init__(self, grids, root):
        self.root = root
        self.staffed = {grid["code"]: grid for grid in grids}
        # Longest first: an exclusive grid numbered inside a staffed one is its own.
        self.staffed_lengths = sorted({len(code) for code in self.staffed}, reverse=True)
        self.community_length = next((len(g["community_code"]) for g in grids if g.get("community_code")), None)
        self.town_length = next((len(g["town_code"]) for g in grids if g.get("town_code")), None)
        self._buckets = {}

    def grid_of(self, code):
        for length in self.staffed_lengths:
            if length <= len(code) and code[:length] in self.staffed:
                return code[:length]
        return None

    def class_of(self, code):
        """(kind, zone type) of the staffed grid ``code`` lies in; a post above the
        staffed level (a community's chief) counts as a basic grid's."""
        grid = self.staffed.get(self.grid_of(code) or "")
        return (grid["kind"], grid.get("zone_type")) if grid else ("basic", None)

    def buckets(self, code):
        """(level, code) of each total ``code`` counts in (worked out once a code)."""
        found = self._buckets.get(code)
        if found is None:
            found = [("total", self.root)]
            for level, length in (("town", self.town_length), ("community", self.community_length)):
                if length and len(code) >= length and code[:length].startswith(self.root):
                    found.append((level, code[:length]))
            grid = self.grid_of(code)
            if grid:
                found.append(("grid", grid))
            self._buckets[code] = found
        return found


def report(session, grids, root, period, targets, today, limit=100, after=None, workers_shown=None):
    """The coverage of ``root`` (a grid code) in ``period`` (common.periods.Period).
    ``grids``: the staffed grids under ``root`` as grid.staffed_grids gives them (code,
    name, kind, zone_type, community_code, town_code); ``targets``: people.targets.Targets;
    ``today``: the Shanghai day figures run to; ``limit``/``after``: the page of
    households not visited; ``workers_shown``: None lists every worker below target,
    else only the one with that person id (a grid worker reads their own line)."""
    start, end = period.bounds()
    span = Span(period, min(period.end_day, today))
    hierarchy = Hierarchy(grids, root)
    totals = defaultdict(_figures)  # (level, code) -> figures

    def add(key, counts):
        """``counts`` ({grid code: count}) into every total each code counts in."""
        for code, count in counts.items():
            for bucket in hierarchy.buckets(code):
                totals[bucket][key] += count

    def rows(statement):  # plain rows: the ORM's result machinery costs more than the query here
        return session.connection().execute(statement).all()

    posts = _posts(session, root, span, targets)
    # Households per grid, and how many of them someone visited in the period (a semi-join:
    # the planner hashes whichever side is smaller, and no household is counted twice).
    households = rows(select(Household.grid_code, func.count().label("households"))
                      .where(Household.grid_code.startswith(root)).group_by(Household.grid_code))
    add("households", {row.grid_code: row.households for row in households})
    visited = select(Visit.id).where(Visit.household_id == Household.id, Visit.occurred_at >= start,
                                     Visit.occurred_at < end).exists()
    add("visited", dict(rows(select(Household.grid_code, func.count())
                             .where(Household.grid_code.startswith(root), visited).group_by(Household.grid_code))))
    # The period's visits of the subtree, per visitor and grid: how many, and of how many
    # households (one pass; a household's visits by one person count it once).
    per_household = (select(Visit.household_id, Visit.person_id, Visit.grid_code, func.count().label("visits"))
                     .where(Visit.grid_code.startswith(root), Visit.occurred_at >= start, Visit.occurred_at < end)
                     .group_by(Visit.household_id, Visit.person_id, Visit.grid_code).subquery())
    visits = rows(select(per_household.c.person_id, per_household.c.grid_code,
                         func.count().label("households"), func.sum(per_household.c.visits).label("visits"))
                  .group_by(per_household.c.person_id, per_household.c.grid_code))
    visits_there = defaultdict(int)
    for _, code, _, count in visits:
        visits_there[code] += int(count)
    add("visits", visits_there)
    # Rounds per walker and the grid they were made in: those made in the subtree, and
    # wherever they were made, those of the people with a target there.
    posted = {post.person_id for post in posts}
    rounds = rows(
        select(PatrolCheckin.person_id, PatrolCheckin.located_grid_code, func.count().label("rounds"))
        .where(PatrolCheckin.occurred_at >= start, PatrolCheckin.occurred_at < end,
               or_(PatrolCheckin.located_grid_code.startswith(root),
                   PatrolCheckin.person_id.in_(_posted(root, span, targets))))
        .group_by(PatrolCheckin.person_id, PatrolCheckin.located_grid_code))
    walked, rounds_there = defaultdict(int), defaultdict(int)
    for person_id, code, count in rounds:
        if code and code.startswith(root):
            rounds_there[code] += count
        if person_id in posted:
            walked[person_id] += count
    add("patrols", rounds_there)

    workers = _workers(posts, hierarchy, households, visits, walked, span, targets)
    below = []
    for person_id, worker in workers.items():
        for code in worker["grid_codes"]:
            for bucket in hierarchy.buckets(code):
                totals[bucket]["workers"].add(person_id)
                if worker["below"]:
                    totals[bucket]["below"].add(person_id)
        if worker["below"] and (workers_shown is None or workers_shown == person_id):
            below.append(worker)
    below.sort(key=lambda worker: (worker["grid_codes"][0], worker["person_id"]))
    names = _names(session, [worker["person_id"] for worker in below])
    for worker in below:
        worker["name"] = names.get(worker["person_id"])

    by_level = {"town": {}, "community": {}, "grid": {}}
    for (level, code), figures in sorted(totals.items()):
        if level != "total":
            by_level[level][code] = _shown(figures)
    for code, grid in hierarchy.staffed.items():  # a grid nobody lives or works in still shows
        entry = by_level["grid"].setdefault(code, _shown(_figures()))
        entry.update(name=grid["name"], kind=grid["kind"])
    return {
        "root": root, "period": str(period), "start": period.start_day.isoformat(),
        "end": period.end_day.isoformat(), "days_so_far": span.days_so_far, "targets_version": targets.version,
        "total": _shown(totals[("total", root)]),
        "by_town": by_level["town"], "by_community": by_level["community"],
        "by_grid": dict(sorted(by_level["grid"].items())),
        "workers_below_target": below,
        "households_not_visited": _not_visited(session, root, start, end, limit, after),
    }


class Span:
    """The days of a period that count: from its first to ``last`` (its last, or today
    for one under way)."""

    def __init__(self, period, last):
        self.first, self.last = period.start_day, last
        self.days_so_far = max(0, (last - period.start_day).days + 1)
        self.period_days = (period.end_day - period.start_day).days + 1
        self.months = len(period.months())


def _running(root, span, targets):
    """Posts in ``root`` with a target's role, running on some day of the span."""
    return (Assignment.grid_code.startswith(root), Assignment.role.in_(targets.roles),
            Assignment.start_date <= span.last,
            or_(Assignment.end_date.is_(None), Assignment.end_date >= span.first))


def _posts(session, root, span, targets):
    if span.days_so_far == 0 or not targets.roles:
        return []
    return session.execute(select(Assignment.person_id, Assignment.grid_code, Assignment.role,
                                  Assignment.start_date, Assignment.end_date)
                           .where(*_running(root, span, targets))).all()


def _posted(root, span, targets):
    return select(Assignment.person_id).where(*_running(root, span, targets))


def _post_days(start_date, end_date, first, last):
    """The days of [first, last] a post running [start_date, end_date] covers."""
    begin, finish = max(start_date, first), min(end_date or last, last)
    return max(0, (finish - begin).days + 1)


def _union_days(spans, first, last):
    """Days of [first, last] covered by any of ``spans`` ((start, end or None)): two
    posts running side by side are one stretch of work, not two."""
    merged = []
    for begin, finish in sorted((max(s, first), min(e or last, last)) for s, e in spans):
        if finish < begin:
            continue
        if merged and begin <= merged[-1][1] + ONE_DAY:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    return sum((finish - begin).days + 1 for begin, finish in merged)


def _workers(posts, hierarchy, households, visits, walked, span, targets):
    """{person id: figures} of everyone holding a post with a target in the span,
    from the grouped rows: households per grid, visits per visitor and grid, rounds
    per walker."""
    if not posts:
        return {}
    # Households registered under each grid a post is in, and the households each
    # person visited there.
    post_codes = {post.grid_code for post in posts}
    lengths = sorted({len(code) for code in post_codes})

    def under(code):
        return [code[:length] for length in lengths if length <= len(code) and code[:length] in post_codes]

    registered, seen = defaultdict(int), defaultdict(int)
    for code, count in households:
        for grid in under(code):
            registered[grid] += count
    for person_id, code, count, _ in visits:
        for grid in under(code):
            seen[(person_id, grid)] += count

    by_person = defaultdict(list)
    for post in posts:
        by_person[post.person_id].append(post)
    workers = {}
    for person_id, held in by_person.items():
        per_week, patrol_spans, share_by_grid, roles, codes = 0.0, [], {}, set(), set()
        for post in held:
            target = targets.of(post.role, *hierarchy.class_of(post.grid_code))
            if target is None:
                continue
            roles.add(post.role)
            codes.add(post.grid_code)
            days = _post_days(post.start_date, post.end_date, span.first, span.last)
            if target.patrols is not None:
                per_week = max(per_week, target.patrols.per_week)
                patrol_spans.append((post.start_date, post.end_date))
            if target.visits is not None:
                share = target.visits.share_in(span.months) * days / span.period_days
                share_by_grid[post.grid_code] = max(share_by_grid.get(post.grid_code, 0.0), share)
        if not roles:
            continue
        codes = sorted(codes)
        patrol_days = _union_days(patrol_spans, span.first, span.last)
        patrols_needed = math.ceil(per_week * patrol_days / 7 - EPSILON) if per_week else 0
        needed = {code: math.ceil(registered[code] * share - EPSILON) for code, share in share_by_grid.items()}
        visited = {code: min(seen[(person_id, code)], registered[code]) for code in codes}
        patrols = walked.get(person_id, 0)
        short = []
        if any(visited[code] < count for code, count in needed.items()):
            short.append("visits")
        if patrols < patrols_needed:
            short.append("patrols")
        workers[person_id] = {
            "person_id": person_id, "roles": sorted(roles), "grid_codes": codes,
            "households": sum(registered[code] for code in codes), "households_visited": sum(visited.values()),
            "households_needed": sum(needed.values()),
            "patrols": patrols, "patrols_needed": patrols_needed,
            "patrols_per_week": round(patrols * 7 / patrol_days, 2) if patrol_days else None,
            "patrols_per_week_target": per_week or None, "below": short,
        }
    return workers


def _names(session, person_ids):
    if not person_ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids))).all())


def _not_visited(session, root, start, end, limit, after):
    """A page of the households of ``root`` nobody visited in [start, end), in grid
    and id order: ``{"items", "next"}``, ``next`` the last household's id to pass back
    as ``after``. Each with when it was last visited before the period (None: never)."""
    visited = select(Visit.id).where(Visit.household_id == Household.id, Visit.occurred_at >= start,
                                     Visit.occurred_at < end).exists()
    query = (select(Household.id, Household.grid_code, Household.place_code, Household.address,
                    Household.residents)
             .where(Household.grid_code.startswith(root), ~visited)
             .order_by(Household.grid_code, Household.id).limit(limit + 1))
    if after:
        query = query.where(keyset.after(session, (Household.grid_code, Household.id), Household.id, after,
                                         "household"))
    rows = session.execute(query).all()
    page = rows[:limit]
    last_visits = dict(session.execute(
        select(Visit.household_id, func.max(Visit.occurred_at)).where(
            Visit.household_id.in_([row.id for row in page]), Visit.occurred_at < start)
        .group_by(Visit.household_id)).all()) if page else {}
    return {"items": [{"household_id": row.id, "grid_code": row.grid_code, "place_code": row.place_code,
                       "address": row.address, "residents": row.residents,
                       "last_visited_at": last_visits[row.id].isoformat() if row.id in last_visits else None}
                      for row in page],
            "next": page[-1].id if len(rows) > limit else None}


def visit_counts(session, root, period, today_bounds):
    """The figures the map colours grids by and a grid's overview shows, under
    ``root`` in ``period``, each counted in one grouped query: ``{"grids": {grid code:
    [households, visited]}}`` (households registered in the grid now, those of them
    someone visited in the period; the rows the report's totals are built from) and
    ``patrols_today``: rounds made under ``root`` within ``today_bounds`` ([start, end)
    UTC, today in Shanghai)."""
    start, end = period.bounds()
    in_root = Household.grid_code.startswith(root, autoescape=True)
    connection = session.connection()
    households = dict(connection.execute(select(Household.grid_code, func.count()).where(in_root)
                                         .group_by(Household.grid_code)).all())
    visited = select(Visit.id).where(Visit.household_id == Household.id, Visit.occurred_at >= start,
                                     Visit.occurred_at < end).exists()
    seen = dict(connection.execute(select(Household.grid_code, func.count()).where(in_root, visited)
                                   .group_by(Household.grid_code)).all())
    patrols = connection.execute(select(func.count()).select_from(PatrolCheckin).where(
        PatrolCheckin.located_grid_code.startswith(root, autoescape=True),
        PatrolCheckin.occurred_at >= today_bounds[0], PatrolCheckin.occurred_at < today_bounds[1])).scalar()
    return {"grids": {code: [count, seen.get(code, 0)] for code, count in sorted(households.items())},
            "patrols_today": patrols or 0}
