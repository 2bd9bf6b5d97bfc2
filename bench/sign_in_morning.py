"""The hotel morning under attack: 65 people behind one address sign in while an attacker on that
same address keeps guessing (issue 16, item 10).

Everything comes from 127.0.0.1, so the server sees one address, as behind a hotel's NAT. The server
runs with its real limits (config.py defaults). The attacker, with `--attackers` threads, as fast as
the server answers: wrong passwords round the demo's usernames (every one of the 65 accounts),
usernames that name nobody, and bogus join codes. Meanwhile the people arrive over `--arrival`
seconds, each as a person would: a join code from their name-tag card, or their password on the
laptop they signed in with yesterday (its trusted-device cookie), or — `--first-timers` of them — a
password on a laptop that never signed in (they wait out each 429 as told by Retry-After, then
try again). Prints when each kind got in, how long they waited, and what the attacker achieved.

    .venv/bin/python bench/sign_in_morning.py [--people 65] [--first-timers 10] [--attackers 4]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from support import DEMO_PASSWORD, machine_description, running_app, sqlite_database  # type: ignore[import-not-found]

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
REAL_LIMITS = {  # the defaults of config.py (support.running_app would lift them)
    "SINERGI_LOGIN_ADDRESS_RATE_LIMIT": "600 per minute",
    "SINERGI_JOIN_CODE_RATE_LIMIT": "60 per minute",
}


def _token(http: requests.Session, url: str) -> str:
    return CSRF.search(http.get(url, timeout=30).text).group(1)  # type: ignore[union-attr]


@dataclass
class Person:
    username: str
    way: str  # "code", "trusted" or "first-time"
    code: str = ""
    http: requests.Session = field(default_factory=requests.Session)
    arrives: float = 0.0
    signed_in_after: float | None = None  # seconds after arriving
    tries: int = 0
    refused: int = 0


def prepare(instance: Path, database_url: str, people: int, first_timers: int) -> list[Person]:
    """Who comes, and how: join codes issued by the secretariat (in this process, same secret key)."""
    import sqlalchemy as sa

    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Membership, User
    from workspace.services.onboarding.join_codes import issue_codes

    # The server of running_app signs with this key (tests/servers.py): codes are keyed hashes.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key-for-real-servers",
        }
    )
    with app.test_request_context():
        users = db.session.scalars(
            sa.select(User)
            .where(User.id.in_(sa.select(Membership.user_id)), User.username != "sekretariat")
            .order_by(User.username)
        ).all()[:people]
        organiser = db.session.scalar(sa.select(User).where(User.username == "sekretariat"))
        organiser.is_platform_admin = True  # may issue codes to the demo's other organisers too
        db.session.commit()
        event_id = db.session.scalar(sa.select(Membership.event_id).limit(1))
        trusted = max(0, (people - first_timers) // 3)
        by_code = people - first_timers - trusted
        codes = {
            item.user.username: item.code for item in issue_codes(organiser, event_id, [u.id for u in users[:by_code]])
        }
        crowd = [Person(u.username, "code", codes[u.username]) for u in users[:by_code]]
        crowd += [Person(u.username, "trusted") for u in users[by_code : by_code + trusted]]
        crowd += [Person(u.username, "first-time") for u in users[by_code + trusted :]]
        db.session.remove()
    return crowd


def sign_in_yesterday(url: str, person: Person) -> None:
    """The laptop signed in before (day one): it holds the trusted-device cookie, then signs out."""
    answer = person.http.post(
        f"{url}/masuk",
        data={
            "username": person.username,
            "password": DEMO_PASSWORD,
            "csrf_token": _token(person.http, f"{url}/masuk"),
        },
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.status_code
    person.http.post(f"{url}/keluar", data={"csrf_token": _token(person.http, f"{url}/")}, timeout=30)


def attempt(url: str, person: Person) -> requests.Response:
    person.tries += 1
    if person.way == "code":
        token = _token(person.http, f"{url}/gabung")
        return person.http.post(
            f"{url}/gabung", data={"code": person.code, "csrf_token": token}, allow_redirects=False, timeout=30
        )
    token = _token(person.http, f"{url}/masuk")
    data = {"username": person.username, "password": DEMO_PASSWORD, "csrf_token": token}
    return person.http.post(f"{url}/masuk", data=data, allow_redirects=False, timeout=30)


def arrive(url: str, person: Person, started: float, deadline: float) -> None:
    time.sleep(max(0.0, started + person.arrives - time.monotonic()))
    while time.monotonic() < deadline:
        answer = attempt(url, person)
        if answer.status_code == 302:
            person.signed_in_after = time.monotonic() - started - person.arrives
            return
        person.refused += 1
        time.sleep(float(answer.headers.get("Retry-After", "5")) if answer.status_code == 429 else 2.0)


@dataclass
class AttackTally:
    by_status: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, status: int) -> None:
        with self.lock:
            key = f"{kind} {status}"
            self.by_status[key] = self.by_status.get(key, 0) + 1


def attack(url: str, usernames: list[str], stop: threading.Event, tally: AttackTally, seed: int) -> None:
    rng = random.Random(seed)
    http = requests.Session()
    login_token, code_token = _token(http, f"{url}/masuk"), _token(http, f"{url}/gabung")
    turn = seed
    while not stop.is_set():
        turn += 1
        kind = ("password", "password", "unknown", "code")[turn % 4]
        if kind == "code":
            code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
            answer = http.post(
                f"{url}/gabung", data={"code": code, "csrf_token": code_token}, allow_redirects=False, timeout=30
            )
        else:
            username = usernames[turn % len(usernames)] if kind == "password" else f"tebak.{rng.randrange(10**9)}"
            data = {"username": username, "password": f"tebakan{rng.randrange(10**6)}", "csrf_token": login_token}
            answer = http.post(f"{url}/masuk", data=data, allow_redirects=False, timeout=30)
        tally.count(kind, answer.status_code)
        if answer.status_code == 302:
            raise SystemExit("the attacker got in: a guessed password or code")


def describe(label: str, crowd: list[Person]) -> str:
    done = [p.signed_in_after for p in crowd if p.signed_in_after is not None]
    if not crowd:
        return f"{label}: nobody"
    waits = f"median {statistics.median(done):.1f} s, max {max(done):.1f} s" if done else "—"
    refused = sum(p.refused for p in crowd)
    return f"{label}: {len(done)} of {len(crowd)} signed in; after arriving: {waits}; refused attempts {refused}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=65)
    parser.add_argument("--first-timers", type=int, default=10)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--arrival", type=float, default=120.0, help="people arrive over this many seconds")
    parser.add_argument("--limit", type=float, default=600.0, help="give up after this many seconds (10 minutes)")
    args = parser.parse_args()
    print(machine_description())
    with sqlite_database(items_per_proposal=20, agencies=2) as (instance, url_db, _event):
        crowd = prepare(instance, url_db, args.people, args.first_timers)
        with running_app(instance, url_db, REAL_LIMITS) as server:
            url = server.url
            for person in crowd:
                if person.way == "trusted":
                    sign_in_yesterday(url, person)
            rng = random.Random(16)
            for person in crowd:
                person.arrives = rng.uniform(0, args.arrival)
            stop, tally = threading.Event(), AttackTally()
            usernames = [p.username for p in crowd]
            attackers = [
                threading.Thread(target=attack, args=(url, usernames, stop, tally, n), daemon=True)
                for n in range(args.attackers)
            ]
            for thread in attackers:
                thread.start()
            time.sleep(20)  # the attacker has been at it for a while: every account is waiting
            started = time.monotonic()
            people = [
                threading.Thread(target=arrive, args=(url, p, started, started + args.limit), daemon=True)
                for p in crowd
            ]
            for thread in people:
                thread.start()
            for thread in people:
                thread.join()
            elapsed = time.monotonic() - started
            stop.set()
            for thread in attackers:
                thread.join(timeout=30)
    print(f"{args.people} people behind one address, {args.attackers} attacker threads guessing throughout")
    print(f"all attempts over {elapsed:.0f} s (arrivals spread over {args.arrival:.0f} s; limit {args.limit:.0f} s)")
    for way, label in (
        ("code", "join code"),
        ("trusted", "password, laptop used before"),
        ("first-time", "password, new laptop"),
    ):
        print("  " + describe(label, [p for p in crowd if p.way == way]))
    attempts = sum(tally.by_status.values())
    rate = attempts / (elapsed + 20) * 60
    print(f"attacker: {attempts} attempts in {elapsed + 20:.0f} s ({rate:.0f} per minute), none succeeded")
    for key in sorted(tally.by_status):
        print(f"  {key}: {tally.by_status[key]}")


if __name__ == "__main__":
    main()
