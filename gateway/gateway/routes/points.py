"""Volunteer points (志愿积分) and their rewards."""
from common.roles import POINTS_APPROVERS, REWARD_EDITORS, SUPERVISOR_READERS
from gateway.routing import ACTOR, BODY, Call, Path, Route, by_record
from gateway.schemas import people as s
from gateway.schemas.base import PersonPath

PERSON = Path("person_id")

ROUTES = [
    Route("POST", "/points/earn", "earn_points", "Credit volunteer points (1-1,000 an entry)", POINTS_APPROVERS,
          Call("people.earn_points", data=BODY, actor=ACTOR), "points",
          scope=by_record(note="the person posted in the caller's scope"), body=s.Earn, response=s.PointsEntry,
          status=201, errors=(404,)),
    Route("POST", "/points/redeem", "redeem_points", "Redeem points for a reward", POINTS_APPROVERS,
          Call("people.redeem_points", data=BODY, actor=ACTOR), "points",
          scope=by_record(note="the person posted in the caller's scope"), body=s.Redeem, response=s.PointsEntry,
          status=201, errors=(404, 409)),
    Route("POST", "/points/rewards", "add_reward", "A reward (its code once: 409 REWARD_CODE_TAKEN)",
          REWARD_EDITORS, Call("people.add_reward", data=BODY), "points", body=s.NewReward, response=s.Reward,
          status=201, errors=(409,),
          description="`cost` 1-1,000,000, `stock` 0-1,000,000; a code that exists is a 409 `REWARD_CODE_TAKEN` and "
                      "the stored reward stays as it was."),
    Route("GET", "/points/{person_id}", "points_statement", "A person's points ledger", SUPERVISOR_READERS,
          Call("people.points_statement", person_id=PERSON, actor=ACTOR), "points", path_schema=PersonPath,
          scope=by_record(note="the person posted in the caller's scope"), self_param="person_id",
          response=s.PointsStatement),
]
