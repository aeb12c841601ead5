"""CSV batches over the API: a preview that reserves nothing, a confirmation that needs the
whole cost, rows that each pay for themselves, results to download; another workspace's
batch is a 404."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ApiClient, error_of
from tests.builders import DESCRIPTION, funded_user
from tests.helpers import assert_ledger_healthy, user_balance
from tokens.models import Hold


def upload(api: ApiClient, text: str, name: str = "ideas.csv"):
    with api.committing():
        return api.client.post("/api/v1/batches", {
            "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
            headers={"Authorization": f"Bearer {api.key}"})


CSV = ("description,type,quality\n"
       f"{DESCRIPTION},story,standard\n"
       "too short,story,standard\n"
       f"{DESCRIPTION} Also for credit notes.,bug,standard\n")


@pytest.fixture
def preview(api, offline):
    response = upload(api, CSV)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_preview_shows_each_row_and_reserves_nothing(preview, api_user):
    assert preview["status"] == "draft" and preview["rows_total"] == 3
    assert preview["rows_valid"] == 2 and preview["cost_to_run"] == 2 and preview["spent"] == 0
    bad = preview["rows"][1]
    assert bad["status"] == "invalid" and "at least 20 characters" in bad["errors"][0]
    assert not Hold.objects.exists() and user_balance(api_user) == 20


def test_confirmed_rows_become_tickets_each_paid_once(preview, api, api_user):
    answer = api.post(f"/batches/{preview['id']}/confirm")
    assert answer.status_code == 202
    batch = api.get(f"/batches/{preview['id']}").json()
    assert batch["status"] == "finished" and batch["rows_succeeded"] == 2
    assert batch["spent"] == 2 and batch["cost_to_run"] == 0
    tickets = [row["ticket"] for row in batch["rows"] if row["ticket"]]
    assert len(tickets) == 2
    assert api.get(f"/tickets/{tickets[0]}").json()["status"] == "succeeded"
    assert user_balance(api_user) == 18
    assert {hold.spender for hold in Hold.objects.all()} == {f"apikey:{api_user.api_keys.get().pk}"}
    again = api.post(f"/batches/{preview['id']}/confirm")  # a retry starts nothing more
    assert again.status_code == 202 and Hold.objects.count() == 2
    results = api.get(f"/batches/{preview['id']}/results", format="csv")
    lines = list(csv.DictReader(io.StringIO(results.content.decode())))
    assert [line["status"] for line in lines] == ["succeeded", "invalid", "succeeded"]
    archive = zipfile.ZipFile(io.BytesIO(api.get(f"/batches/{preview['id']}/results",
                                                 format="md").content))
    assert len([n for n in archive.namelist() if n.endswith(".md")]) == 2
    assert_ledger_healthy()


def test_confirming_needs_the_whole_cost(api, issue_key, offline, committing):
    poor = ApiClient(issue_key(user=funded_user(1, email="poor@example.com")), committing)
    batch = upload(poor, CSV).json()
    refused = poor.post(f"/batches/{batch['id']}/confirm")
    assert refused.status_code == 402
    assert error_of(refused)["details"] == {"available": 1, "required": 2}
    assert poor.get(f"/batches/{batch['id']}").json()["status"] == "draft"


def test_cancel_before_confirming(preview, api):
    cancelled = api.post(f"/batches/{preview['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    refused = api.post(f"/batches/{preview['id']}/confirm")
    assert refused.status_code == 409 and error_of(refused)["code"] == "not_runnable"


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("name,age\nx,1\n", "description"),
    ("\x00\x01\x02binary", ""),
])
def test_a_file_that_is_not_a_batch_is_a_422(api, text, message):
    response = upload(api, text)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_csv" and message in error["message"].lower()


def test_another_workspaces_batch_is_a_404(preview, issue_key):
    stranger = ApiClient(issue_key(user=funded_user(5, email="stranger@example.com")))
    for response in (stranger.get(f"/batches/{preview['id']}"),
                     stranger.post(f"/batches/{preview['id']}/confirm"),
                     stranger.get(f"/batches/{preview['id']}/results")):
        assert response.status_code == 404


def test_api_messages_stay_english_whatever_language_the_caller_asks_for(issue_key, committing,
                                                                       api_user):
    """Scripts match on the API's messages: a German Accept-Language changes nothing, where
    the same refusal on the upload page reads in German."""
    german = ApiClient(issue_key(), committing, HTTP_ACCEPT_LANGUAGE="de")
    assert error_of(upload(german, ""))["message"].startswith("The file is empty.")

    german.client.force_login(api_user)
    page = german.client.post("/tickets/batches/new/", {
        "file": SimpleUploadedFile("ideas.csv", b"", content_type="text/csv")})
    assert "Die Datei ist leer." in page.content.decode()
