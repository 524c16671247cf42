"""The facts the integrity detectors read: plain rows, grouped per person.

Another layer maps scoring's fact tables to these (the detectors know no database).
A fact is a named tuple whose fields are the columns the loader selects, in order: a
database row becomes a fact without a copy (a scan makes millions of them).
Moments are aware datetimes in UTC; a Shanghai day is counted by the detectors.
Signatures (``*_sig``) are ``common.textsig.signature`` of the text (256 hex digits), or
None (no text, or too short to compare): the texts themselves stay with their owners.

How a person's facts are grouped (``PersonFacts``):

==================  ==========================================================================
field               holds
==================  ==========================================================================
grid_codes          the grids the person is posted to (first: the one a flag names)
tickets_reported    tickets the person reported (``reporter_person_id``)
tickets_resolved    tickets the person resolved (``resolved_by_person_id``, or, where that
                    is unknown, ``responsible_person_id``), with ``resolved_at`` set
patrols             the person's patrol check-ins
visits              the person's household visits
ratings_given       ratings the person gave (``rater_person_id``: a chief rating their
                    workers, a community officer rating a grid's, a worker themself)
ratings_received    ratings of the person (``subject_person_id``), by anyone
==================  ==========================================================================

A ticket the person both reported and resolved sits in both ticket tuples. The loader
gives the facts of the period and what the checks look back on (the previous patrol
point, the weeks before a deadline); each detector keeps to the period itself. Ratings
are the period's ratings, as the assessment counts them.
"""
import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

FAMILIES = {
    # two-letter prefix of a category code (services/tickets/tickets/catalogue.py)
    "DM": ("矛盾纠纷", "disputes"),
    "UM": ("城市管理", "urban management"),
    "EP": ("生态环境", "environment"),
    "SF": ("安全隐患", "safety"),
    "PS": ("社会治安", "public security"),
    "LS": ("民生服务", "livelihood services"),
    "MU": ("市政设施", "utilities"),
    "TR": ("交通", "traffic"),
    "FD": ("市场与食品", "market and food"),
    "HE": ("卫生健康", "health"),
    "EM": ("应急", "emergencies"),
    "AG": ("农业", "agriculture"),
    "RE": ("民族宗教", "ethnic and religious affairs"),
    "OP": ("网络舆情", "online sentiment"),
    "OT": ("其他", "other"),
}


def family(category):
    """The family of a category code: its two-letter prefix ("DM01" -> "DM")."""
    return (category or "")[:2].upper()


class TicketFact(NamedTuple):
    ticket_id: str
    category: str
    source: str
    reporter_person_id: str | None
    responsible_person_id: str | None
    resolved_by_person_id: str | None
    reported_at: dt.datetime
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    status: str
    outcome: str | None
    description_sig: str | None
    grid_code: str | None

    @property
    def family(self):
        return family(self.category)

    @property
    def resolver(self):
        """Who resolved it: the acting person, else the person responsible."""
        return self.resolved_by_person_id or self.responsible_person_id


class PatrolFact(NamedTuple):
    id: str
    person_id: str
    occurred_at: dt.datetime
    received_at: dt.datetime | None
    lon: float | None
    lat: float | None
    inside: bool
    located_grid_code: str | None


class VisitFact(NamedTuple):
    id: str
    person_id: str
    household_id: str
    grid_code: str | None
    occurred_at: dt.datetime
    received_at: dt.datetime | None
    notes_sig: str | None
    household_residents: int | None      # None: unknown


class RatingFact(NamedTuple):
    id: str
    rater_account_id: str
    rater_person_id: str | None     # None: a rater who is no staff member (a resident)
    subject_person_id: str
    kind: str
    score: int
    scale_max: int
    created_at: dt.datetime
    rater_account_created_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PersonFacts:
    person_id: str
    grid_codes: tuple = ()
    tickets_reported: tuple = ()    # of TicketFact
    tickets_resolved: tuple = ()    # of TicketFact
    patrols: tuple = ()             # of PatrolFact
    visits: tuple = ()              # of VisitFact
    ratings_given: tuple = ()       # of RatingFact
    ratings_received: tuple = ()    # of RatingFact

    @property
    def grid_code(self):
        return self.grid_codes[0] if self.grid_codes else None

    def count(self):
        """How many facts the bundle holds (a ticket in both tuples counts twice)."""
        return (len(self.tickets_reported) + len(self.tickets_resolved) + len(self.patrols)
                + len(self.visits) + len(self.ratings_given) + len(self.ratings_received))
