"""Batch pages: upload and preview, confirm, progress fragment, cancel, downloads, and the
workspace boundary (another person's batch is a 404 everywhere)."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.builders import client_for, funded_user
from tickets.batches.services import confirm_batch
from tickets.exports import ticket_markdown
from tickets.models import Batch

from .conftest import HEADER, csv_of, describe, make_batch

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name: str = "ideas.csv"):
    return client.post(reverse("batches:new"), {"file": SimpleUploadedFile(name, data)})


def test_pages_need_a_sign_in():
    response = client_for().get(reverse("batches:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_empty_list_offers_an_upload_and_the_sample(rich_user):
    page = client_for(rich_user).get(reverse("batches:list")).content.decode()
    assert "No batches yet" in page and reverse("batches:sample") in page
    sample = client_for(rich_user).get(reverse("batches:sample"))
    assert sample["Content-Type"].startswith("text/csv")
    assert sample.content.decode().startswith("description,type,quality")


def test_upload_previews_rows_errors_and_the_total(rich_user):
    client = client_for(rich_user)
    response = upload(client, csv_of(2) + b"Too short,story,standard,,,\n")
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("batches:detail", args=[batch.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "2 rows ready" in page and "1 with errors" in page
    assert "description: Add a little more detail" in page
    assert 'data-batch-cost>2 tokens' in page
    assert "data-confirm-batch >" in page or "data-confirm-batch>" in page  # not disabled
    listing = client.get(reverse("batches:list")).content.decode()
    assert batch.public_id in listing


def test_a_bad_file_is_explained_and_nothing_is_stored(rich_user):
    response = upload(client_for(rich_user), b"title\nhello\n")
    assert response.status_code == 200
    assert "needs the columns description, type, quality" in response.content.decode()
    assert not Batch.objects.exists()


def test_confirm_is_disabled_with_its_reason_when_short(prices):
    user = funded_user(1)
    client = client_for(user)
    upload(client, csv_of(3))
    batch = Batch.objects.get()
    page = client.get(reverse("batches:detail", args=[batch.public_id])).content.decode()
    assert 'disabled aria-describedby="confirm-reason"' in page
    assert "You need 3 tokens and have 1 available" in page
    response = client.post(reverse("batches:confirm", args=[batch.public_id]), follow=True)
    assert "Not enough tokens: this batch needs 3 and 1 are available" in \
        response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_confirm_then_progress_polls_until_settled(rich_user, offline,
                                                   django_capture_on_commit_callbacks):
    client = client_for(rich_user)
    upload(client, csv_of(2))
    batch = Batch.objects.get()
    with django_capture_on_commit_callbacks():
        client.post(reverse("batches:confirm", args=[batch.public_id]))
    url = reverse("batches:detail", args=[batch.public_id])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and 'data-batch-active="true"' in fragment
    assert "<html" not in fragment
    client.post(reverse("batches:cancel", args=[batch.public_id]))
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "every 2s" not in fragment.content.decode()
    assert 'data-batch-active="false"' in fragment.content.decode()
    assert "tokens-changed" in fragment["HX-Trigger"]


def test_another_workspace_batch_is_404_everywhere(rich_user):
    batch = make_batch(rich_user, csv_of(1))
    stranger = client_for(funded_user(5))
    for name, args, method in [
        ("batches:detail", [batch.public_id], "get"),
        ("batches:confirm", [batch.public_id], "post"),
        ("batches:cancel", [batch.public_id], "post"),
        ("batches:results", [batch.public_id, "csv"], "get"),
        ("batches:results", [batch.public_id, "md"], "get"),
    ]:
        assert getattr(stranger, method)(reverse(name, args=args)).status_code == 404, name
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_results_csv_and_zip(rich_user, offline, tasks_inline,
                             django_capture_on_commit_callbacks):
    data = (HEADER + f'"{describe(1)}",story,standard,Billing,,billing;q3\n'
            + "Too short,bug,standard,,,\n").encode()
    batch = make_batch(rich_user, data)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_batch(batch=batch)
    batch.refresh_from_db()
    assert batch.status == "finished"
    client = client_for(rich_user)
    response = client.get(reverse("batches:results", args=[batch.public_id, "csv"]))
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    ticket = batch.rows.get(number=1).ticket
    assert lines[0] == ["row", "status", "ticket", "title", "priority", "labels",
                        "story_points", "error"]
    assert lines[1][:4] == ["1", "succeeded", ticket.public_id, ticket.title]
    labels = lines[1][5].split(" ")
    assert labels[-1] == "q3" and "billing" in labels  # the CSV's labels follow the ticket's
    assert lines[2][1] == "invalid" and lines[2][7].startswith("description: ")

    response = client.get(reverse("batches:results", args=[batch.public_id, "md"]))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    name = f"row-001-{ticket.public_id}.md"
    assert sorted(archive.namelist()) == sorted(["results.csv", name])
    assert archive.read(name).decode() == ticket_markdown(ticket)
    assert client.get(reverse("batches:results",
                              args=[batch.public_id, "docx"])).status_code == 404


def test_library_and_generator_link_to_batches(rich_user):
    client = client_for(rich_user)
    assert reverse("batches:list") in client.get(reverse("tickets:list")).content.decode()
    assert reverse("batches:new") in client.get(reverse("tickets:new")).content.decode()
