"""Tickets over the API: made, read, listed, edited, exported and deleted with the same rules
as the web, paid by one hold, and only inside the key's workspace."""

import json

import pytest

from tests.api.conftest import ApiClient, error_of
from tests.builders import DESCRIPTION, funded_user
from tests.helpers import user_balance
from tickets.models import Status, Ticket
from tokens.models import Hold


@pytest.fixture
def created(api, offline, tasks_inline):
    response = api.post("/tickets", {"description": DESCRIPTION, "type": "bug"})
    assert response.status_code == 202, response.content
    return response.json()


def test_a_created_ticket_is_generated_and_paid_for_once(created, api, api_user):
    assert created["status_url"].endswith(f"/api/v1/tickets/{created['id']}")
    ticket = api.get(f"/tickets/{created['id']}").json()
    assert ticket["status"] == "succeeded" and ticket["type"] == "bug" and ticket["title"]
    assert user_balance(api_user) == 20 - ticket["cost"]
    hold = Hold.objects.get(ticket__public_id=created["id"])
    assert hold.spender.startswith("apikey:") and hold.status == "captured"


def test_the_same_idempotency_key_and_body_return_the_first_ticket(api, api_user, offline,
                                                                   tasks_inline):
    body = {"description": DESCRIPTION, "type": "story"}
    first = api.post("/tickets", body, headers={"Idempotency-Key": "run-42"})
    again = api.post("/tickets", body, headers={"Idempotency-Key": "run-42"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert Ticket.objects.count() == 1 and Hold.objects.count() == 1
    changed = api.post("/tickets", body | {"description": DESCRIPTION + " Also CSV."},
                       headers={"Idempotency-Key": "run-42"})
    assert changed.status_code == 409
    assert error_of(changed)["code"] == "idempotency_conflict"
    assert Ticket.objects.count() == 1 and user_balance(api_user) == 20 - first.json()["cost"]


@pytest.mark.parametrize(("body", "field"), [
    ({"description": "short"}, "description"),
    ({"description": DESCRIPTION, "type": "saga"}, "type"),
    ({"description": DESCRIPTION, "quality": "gold"}, "quality"),
    ({"type": "bug"}, "description"),
    ({"description": 42}, "description"),
])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(api, api_user, body, field):
    response = api.post("/tickets", body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in {item["field"] for item in error["details"]["errors"]}
    assert not Ticket.objects.exists() and user_balance(api_user) == 20


def test_malformed_json_is_a_clear_4xx_not_a_500(api):
    response = api.client.post("/api/v1/tickets", "{not json", content_type="application/json",
                               headers={"Authorization": f"Bearer {api.key}"})
    assert 400 <= response.status_code < 500
    assert error_of(response)["code"] in {"bad_request", "validation_error"}


def test_not_enough_tokens_is_a_402_with_the_figures(issue_key, offline):
    poor = funded_user(2, spent=2, email="poor@example.com")
    api = ApiClient(issue_key(user=poor))
    response = api.post("/tickets", {"description": DESCRIPTION})
    assert response.status_code == 402
    error = error_of(response)
    assert error["code"] == "insufficient_tokens"
    assert error["details"] == {"available": 0, "required": 1}
    assert not Ticket.objects.exists()


def test_listing_pages_with_a_cursor_and_filters(api, api_user, offline, tasks_inline):
    made = [api.post("/tickets", {"description": DESCRIPTION, "type": kind}).json()["id"]
            for kind in ("bug", "story", "bug")]
    first = api.get("/tickets", limit=2).json()
    assert [t["id"] for t in first["tickets"]] == made[::-1][:2]
    rest = api.get("/tickets", limit=2, cursor=first["next_cursor"]).json()
    assert [t["id"] for t in rest["tickets"]] == [made[0]] and rest["next_cursor"] is None
    bugs = api.get("/tickets", type="bug").json()["tickets"]
    assert {t["id"] for t in bugs} == {made[0], made[2]}
    assert error_of(api.get("/tickets", cursor="abc"))["code"] == "bad_cursor"
    assert api.get("/tickets", limit=500).status_code == 422


def test_patch_saves_a_checked_version_and_rejects_bad_fields(created, api):
    path = f"/tickets/{created['id']}"
    response = api.patch(path, {"title": "Export invoices as CSV", "labels": ["billing"]})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Export invoices as CSV"
    assert Ticket.objects.get(public_id=created["id"]).version == 2
    bad = api.patch(path, {"priority": "whenever"})
    assert bad.status_code == 422 and error_of(bad)["code"] == "validation_error"
    assert api.get(path).json()["title"] == "Export invoices as CSV"


def test_export_in_each_format(created, api):
    path = f"/tickets/{created['id']}/export"
    assert json.loads(api.get(path, format="json").content)["tickets"][0]["id"] == created["id"]
    assert api.get(path, format="md").content.startswith(b"# ")
    assert api.get(path, format="pdf").content.startswith(b"%PDF")
    assert b"Summary" in api.get(path, format="csv").content
    assert api.get(path, format="docx").status_code == 422


def test_delete_removes_it(created, api):
    assert api.delete(f"/tickets/{created['id']}").status_code == 204
    missing = api.get(f"/tickets/{created['id']}")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def test_another_workspaces_ticket_is_a_404(created, api, issue_key):
    stranger = funded_user(5, email="stranger@example.com")
    other = ApiClient(issue_key(user=stranger), api.committing)
    for response in (other.get(f"/tickets/{created['id']}"),
                     other.patch(f"/tickets/{created['id']}", {"title": "Mine now"}),
                     other.delete(f"/tickets/{created['id']}")):
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert other.get("/tickets").json()["tickets"] == []
    assert Ticket.objects.get(public_id=created["id"]).status == Status.SUCCEEDED


def test_balance_prices_and_usage(created, api):
    balance = api.get("/balance").json()
    assert balance["available"] == 20 - created["cost"] and balance["held"] == 0
    assert balance["lots"][0]["kind"] == "welcome"
    prices = {p["quality"]: p["tokens"] for p in api.get("/prices").json()}
    assert prices["standard"] == created["cost"]
    usage = api.get("/usage", days=7).json()
    assert usage["spent"] == created["cost"] and len(usage["by_day"]) == 7
    assert usage["by_feature"] == {"ticket.standard": created["cost"]}


def test_unknown_api_paths_answer_json(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_an_epic_over_the_api_names_its_stories_and_reserves_each(api, api_user, offline,
                                                                  tasks_inline):
    from tickets.kinds import KINDS

    response = api.post("/tickets", {"description": KINDS["epic"].example, "type": "epic",
                                     "max_stories": 4})
    assert response.status_code == 202, response.content
    epic = api.get(f"/tickets/{response.json()['id']}").json()
    assert epic["status"] == "succeeded" and epic["scope"] and epic["success_measures"]
    assert 3 <= len(epic["children"]) <= 4 and epic["parent"] is None
    story = api.get(f"/tickets/{epic['children'][0]}").json()
    assert story["parent"] == epic["id"] and story["type"] == "story"
    assert user_balance(api_user) == 20 - 1 - len(epic["children"])
    listed = api.get("/tickets", type="epic").json()["tickets"]
    assert listed[0]["children"] == epic["children"]
    too_many = api.post("/tickets", {"description": KINDS["epic"].example, "type": "epic",
                                     "max_stories": 9})
    assert too_many.status_code == 422 and "max_stories" in json.dumps(error_of(too_many))
