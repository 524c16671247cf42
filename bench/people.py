"""People figures through the gateway, one JSON line each:

- ``roster_import_10k``: seconds for ``POST /api/v1/staff/roster`` with a 10,000-row
  CSV (Chinese headers; every ID number, phone, post and grid checked; persons and
  assignments stored with encrypted personal data; one event per assignment).
- ``person_assigned_backlog_10k``: seconds until tickets has taken in the 10,000
  ``person_assigned`` events the roster published (its responsible-worker copy),
  counted from the end of the import, and the events/s that makes.
- ``broadcast_10k``: seconds for ``POST /api/v1/broadcasts`` to the whole district
  with 10,000 accounts (one inbox row each), and for the read-rate query after
  1,000 of them have read it.

SQLite in a temporary folder, or PostgreSQL with BENCH_PG_URL. BENCH_PEOPLE (10,000).
"""
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from contextlib import ExitStack

import requests
from argon2 import PasswordHasher
from sqlalchemy import create_engine, insert, text

from bench.run import ADMIN_PASSWORD, START_TIMEOUT, bench_environment, log
from common.config import database_url
from common.launcher import start_all, stop_all
from common.db import utcnow
from people.idcard import check_char
from people.models import Account, InboxItem

COUNT = int(os.environ.get("BENCH_PEOPLE", "10000"))
POSTS = ["专职网格员", "兼职网格员", "网格长", "网格警", "楼栋长", "志愿者"]


def emit(**figure):
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def roster_csv(grid_codes, count, rng):
    lines = ["姓名,性别,身份证号码,手机号码,政治面貌,是否会用智能手机,网格编码,岗位,任职开始日期"]
    surnames, given = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    for n in range(count):
        birth = dt.date(1975, 1, 1) + dt.timedelta(days=37 * (n // 1000) + rng.randint(0, 36))  # within the rules
        first17 = f"320508{birth:%Y%m%d}{n % 1000:03d}"  # unique: one birth date per thousand
        lines.append(",".join([
            rng.choice(surnames) + "".join(rng.sample(given, 2)), "", first17 + check_char(first17),
            f"13{rng.randint(0, 999999999):09d}", rng.choice(["中共党员", "群众"]), "是",
            rng.choice(grid_codes), rng.choice(POSTS), "2026-01-01"]))
    return "\n".join(lines).encode()


def backlog_drained(env, work_dir, since, timeout=600):
    """Seconds from ``since`` until tickets has applied COUNT person_assigned events."""
    engine = create_engine(database_url("tickets", {"TICKETS_DB_URL": env.get("TICKETS_DB_URL"),
                                                    "DATA_DIR": str(work_dir)}))
    query = text("SELECT count(*) FROM processed_events WHERE consumer = 'tickets.handle_person_assigned'")
    try:
        while time.perf_counter() - since < timeout:
            with engine.connect() as connection:
                if connection.scalar(query) >= COUNT:
                    return time.perf_counter() - since
            time.sleep(0.1)
        sys.exit("bench: tickets did not take in the roster's events in time")
    finally:
        engine.dispose()


def main():
    rng = random.Random(11)
    with ExitStack() as stack:
        bench = bench_environment(stack, "people")
        work_dir, env, database = bench.work_dir, bench.env, bench.database
        log("starting the five components ...")
        processes = start_all(env, work_dir, START_TIMEOUT)
        stack.callback(stop_all, processes)
        gateway = processes["gateway"].url + "/api/v1"
        token = requests.post(f"{gateway}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                              timeout=30).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        grids = [g["code"] for g in requests.get(f"{gateway}/grids?level=villager_group", headers=headers,
                                                 timeout=30).json()["items"]]

        content = roster_csv(grids, COUNT, rng)
        log(f"importing a {COUNT}-row roster ({len(content) // 1024} KiB) ...")
        started = time.perf_counter()
        response = requests.post(f"{gateway}/staff/roster", data=content, timeout=600,
                                 headers={**headers, "Content-Type": "text/csv"})
        seconds = time.perf_counter() - started
        if response.status_code != 201:
            sys.exit(f"bench: roster refused: {response.text[:500]}")
        emit(benchmark="roster_import_10k", seconds=round(seconds, 2), rows=response.json()["imported"],
             rows_per_second=round(COUNT / seconds), database=database)
        drained = backlog_drained(env, work_dir, time.perf_counter())
        emit(benchmark="person_assigned_backlog_10k", seconds=round(drained, 2),
             events_per_second=round(COUNT / drained), database=database)

        log(f"creating {COUNT} accounts ...")
        engine = create_engine(database_url("people", {"PEOPLE_DB_URL": env.get("PEOPLE_DB_URL"),
                                                       "DATA_DIR": str(work_dir)}))
        stack.callback(engine.dispose)
        password_hash, now = PasswordHasher().hash("Bench-Passw0rd"), utcnow()
        accounts = [{"id": str(uuid.uuid4()), "username": f"bench{n:05d}", "display_name": f"网格员{n:05d}",
                     "password_hash": password_hash, "roles": ["grid_worker"], "grid_scope": rng.choice(grids),
                     "disabled": False, "failed_logins": 0, "created_at": now, "updated_at": now, "version": 1}
                    for n in range(COUNT)]
        with engine.begin() as connection:
            connection.execute(insert(Account), accounts)

        log("broadcasting to the whole district ...")
        started = time.perf_counter()
        response = requests.post(f"{gateway}/broadcasts", headers=headers, timeout=300, json={
            "title": "防汛紧急通知", "body": "今晚有强降雨，请各网格员立即排查低洼地带。"})
        seconds = time.perf_counter() - started
        if response.status_code != 201:
            for name in ("gateway", "people"):
                log((work_dir / f"{name}.log").read_text(errors="replace")[-2500:])
            sys.exit(f"bench: broadcast refused: {response.text[:500]}")
        broadcast = response.json()
        emit(benchmark="broadcast_10k", seconds=round(seconds, 2), recipients=broadcast["recipient_count"],
             recipients_per_second=round(broadcast["recipient_count"] / seconds), database=database)

        with engine.begin() as connection:
            connection.execute(InboxItem.__table__.update()
                               .where(InboxItem.broadcast_id == broadcast["id"],
                                      InboxItem.account_id.in_([a["id"] for a in accounts[:1000]]))
                               .values(read_at=utcnow()))
        started = time.perf_counter()
        rate = requests.get(f"{gateway}/broadcasts/{broadcast['id']}", headers=headers, timeout=60).json()
        emit(benchmark="broadcast_read_rate", seconds=round(time.perf_counter() - started, 3),
             recipients=rate["recipients"], read=rate["read"], read_rate=rate["read_rate"], database=database)


if __name__ == "__main__":
    main()
