"""Volunteer points (志愿积分), free of nameko: an append-only ledger with a balance
that never goes negative. A redemption is one conditional UPDATE
(``balance = balance - cost WHERE balance >= cost``), so of several concurrent
redemptions only those the balance covers succeed; the database also refuses a
negative balance by a check constraint."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from common.db import add_to_counter
from people.exceptions import InsufficientPoints, RewardCodeTaken, RewardNotFound, RewardOutOfStock
from people.models import PointsBalance, PointsEntry, Reward
from people.staff import get_person


def _entry(session, person_id, delta, kind, balance, approver, **extra):
    entry = PointsEntry(person_id=person_id, delta=delta, kind=kind, approver=approver, balance_after=balance, **extra)
    session.add(entry)
    session.flush()
    return entry


def earn(session, person_id, points, activity, hours, approver):
    get_person(session, person_id)
    balance = add_to_counter(session, PointsBalance.__table__, {"person_id": person_id}, "balance", points)
    return _entry(session, person_id, points, "earn", balance, approver, activity=activity, hours=hours)


def redeem(session, person_id, reward_code, approver):
    get_person(session, person_id)
    reward = session.get(Reward, reward_code)
    if reward is None:
        raise RewardNotFound(f"No reward has the code {reward_code}.", details={"field": "reward_code"})
    balance = session.execute(
        update(PointsBalance)
        .where(PointsBalance.person_id == person_id, PointsBalance.balance >= reward.cost)
        .values(balance=PointsBalance.balance - reward.cost)
        .returning(PointsBalance.balance)).scalar()
    if balance is None:
        have = session.scalar(select(PointsBalance.balance).where(PointsBalance.person_id == person_id)) or 0
        raise InsufficientPoints(f"{reward.name} costs {reward.cost} points; the balance is {have}.",
                                 details={"balance": have, "cost": reward.cost})
    if reward.stock is not None:
        taken = session.execute(update(Reward).where(Reward.code == reward_code, Reward.stock > 0)
                                .values(stock=Reward.stock - 1).returning(Reward.stock)).scalar()
        if taken is None:
            raise RewardOutOfStock(f"{reward.name} is out of stock.", details={"reward_code": reward_code})
    return _entry(session, person_id, -reward.cost, "redeem", balance, approver, reward_code=reward_code)


def add_reward(session, data):
    """A new reward; a code that exists is a 409 and the stored reward stays as it was
    (a new one racing for the same code meets the primary key, and is refused the same)."""
    taken = RewardCodeTaken(f"The reward code {data['code']} is taken.", details={"field": "code"})
    if session.get(Reward, data["code"]) is not None:
        raise taken
    reward = Reward(code=data["code"], name=data["name"], cost=data["cost"], stock=data.get("stock"))
    session.add(reward)
    try:
        session.flush()
    except IntegrityError:
        raise taken from None
    return reward


def statement(session, person_id, limit=200):
    get_person(session, person_id)
    balance = session.scalar(select(PointsBalance.balance).where(PointsBalance.person_id == person_id)) or 0
    entries = session.scalars(select(PointsEntry).where(PointsEntry.person_id == person_id)
                              .order_by(PointsEntry.id.desc()).limit(limit)).all()
    return balance, entries
