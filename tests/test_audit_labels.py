"""Issue 17, item 9: the audit page names every action in words. Every action code the services
write has a label (read from the source, so a new one without a label fails here), and the page
shows a password set by its owner, in Indonesian."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.conftest import PROJECT_ROOT, csrf_token_of
from tests.factories import World
from workspace import labels

AUDIT_CALL = re.compile(r'(?:record_audit|record_person_audit)\((?:[^()"]|\([^()]*\))*?"([a-z]+\.[a-z_]+)"')


def _written_actions() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / "workspace" / "services").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(AUDIT_CALL, text):
            found.add(call.group(1))
        for keyword in re.finditer(r'action=\s*"([a-z]+\.[a-z_]+)"', text):
            found.add(keyword.group(1))
        for choice in re.finditer(r'"([a-z]+\.[a-z_]+)" if [a-z_]+ else "([a-z]+\.[a-z_]+)"', text):
            found.update(choice.groups())
    return found


def test_every_audited_action_has_a_label() -> None:
    written = _written_actions()
    assert {"person.password", "codes.redeem", "minutes.finalise", "agency.deactivate"} <= written
    assert written - set(labels.AUDIT_ACTION) == set()


def test_the_audit_page_shows_a_password_set_in_words(world: World, login_as: Callable) -> None:
    participant = login_as(world.participant)
    form = {
        "current": "rahasia-uji-123", "password": "Sinergi-Kalbar-2024!", "confirmation": "Sinergi-Kalbar-2024!",
        "csrf_token": csrf_token_of(participant, "/kata-sandi"),
    }  # fmt: skip
    participant.post("/kata-sandi", data=form)
    page = login_as(world.organiser).get(f"/rakor/{world.event.id}/admin/jejak").get_data(as_text=True)
    assert "Kata sandi ditetapkan oleh pemiliknya" in page and world.participant.name in page
    assert "person.password" not in re.sub(r'title="[^"]*"', "", page)
