"""The organiser's administration of an event, and the hotel morning: 65 people signed in within
half an hour.

Every action checks that the actor is an organiser of that event, validates, writes in one unit
of work (`write_transaction()`, recording its typed changes), and records who did what in the
audit. One module per feature:

- `creation`: a new event and its first organiser (a platform administrator, or `flask create-event`)
- `event`: the event's details and phase; when it ends (join codes expire with it)
- `agencies`: the agencies taking part (add, take in, edit, (de)activate)
- `people`: people and their roles, (de)activation; who may manage whom
- `people_import`: the participant list (preview, then all or nothing, idempotent)
- `join_codes`: one-time join codes (hashed, expiring with the event, reissued to reset a
  forgotten password) and their redemption, which starts the sign-in in the same unit of work
  (the password set after it: `services.accounts.change_own_password`)
- `audit`: recording and reading the organiser's audit
- `_common`: the organiser check, loading the event, one-line text validation, `people_changed()`

The public names are re-exported here for callers that import them from the package.
"""

from workspace.services.onboarding._common import organised_event, people_changed, require_organiser
from workspace.services.onboarding.agencies import active_agencies, save_agency, set_agency_active
from workspace.services.onboarding.audit import audit_log, import_catalog, record_audit
from workspace.services.onboarding.creation import CreatedEvent, create_event
from workspace.services.onboarding.event import event_end, update_event
from workspace.services.onboarding.join_codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CodeRefused,
    CodeSignIn,
    IssuedCode,
    code_hash,
    format_code,
    issue_codes,
    normalise_code,
    redeem_code,
)
from workspace.services.onboarding.people import (
    PersonData,
    has_activity,
    organises_every_event_of,
    people_of,
    save_person,
    set_person_active,
    unique_username,
)
from workspace.services.onboarding.people_import import (
    MAX_PEOPLE_ROWS,
    PEOPLE_HEADERS,
    ROLE_WORDS,
    PeoplePlan,
    PeopleRowError,
    PlannedPerson,
    apply_people_import,
    normalise_agency_name,
    plan_people_import,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_PEOPLE_ROWS",
    "PEOPLE_HEADERS",
    "ROLE_WORDS",
    "CodeRefused",
    "CodeSignIn",
    "CreatedEvent",
    "IssuedCode",
    "PeoplePlan",
    "PeopleRowError",
    "PersonData",
    "PlannedPerson",
    "active_agencies",
    "apply_people_import",
    "audit_log",
    "code_hash",
    "create_event",
    "event_end",
    "format_code",
    "has_activity",
    "import_catalog",
    "issue_codes",
    "normalise_agency_name",
    "normalise_code",
    "organised_event",
    "organises_every_event_of",
    "people_changed",
    "people_of",
    "plan_people_import",
    "record_audit",
    "redeem_code",
    "require_organiser",
    "save_agency",
    "save_person",
    "set_agency_active",
    "set_person_active",
    "unique_username",
    "update_event",
]
