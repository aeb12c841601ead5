"""Batch pages: the list, the upload form, the preview that becomes the progress page, and
the results downloads.

Every view that names a batch looks it up in the current workspace's batches, so another
workspace's batch is a 404 on every route. The detail view serves the page and the progress
fragment it polls (htmx).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.teams.limits import get_payer
from accounts.teams.selectors import get_workspace
from tickets.batches import MAX_FILE_BYTES, max_rows, selectors, services
from tickets.batches.exports import results_response
from tickets.batches.parsing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SAMPLE_CSV
from tickets.exports import EXPORT_FORMATS
from tickets.kinds import kind_choices
from tickets.models import Batch, BatchStatus, Quality
from tickets.quotes import ticket_prices
from tokens.exceptions import AccountClosed, InsufficientTokens, UnknownPrice

PAGE_SIZE = 20


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": gettext_lazy("Choose a CSV file to upload."),
            "empty": gettext_lazy("The file is empty. Add a header row and one row per ticket."),
        })


def _batch_or_404(request, public_id: str) -> Batch:
    batch = selectors.get_batch(public_id=public_id, user_id=request.user.pk,
                                organization_id=get_workspace(request).organization_id)
    if batch is None:
        raise Http404("No such batch.")
    return batch


def _can_change(request, batch: Batch) -> bool:
    """The person who uploaded it, or a team admin, may confirm or cancel it."""
    return batch.owner_id == request.user.pk or get_workspace(request).can_manage


@login_required
@require_GET
def batch_list(request):
    workspace = get_workspace(request)
    batches = selectors.list_batches(user_id=request.user.pk,
                                     organization_id=workspace.organization_id)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/batches/list.html", {"page": page, "workspace": workspace})


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request):
    workspace = get_workspace(request)
    prices = ticket_prices()
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            payer = get_payer(request)
            # One byte past the limit is enough to say the file is too big.
            data = upload.read(MAX_FILE_BYTES + 1)
            batch = services.create_batch(
                owner=request.user, organization=payer.organization,
                token_account=payer.account, spender=payer.spender,
                filename=upload.name or "", data=data)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except services.BatchInvalid as error:
            form.add_error("file", error.message)
        else:
            return redirect("batches:detail", public_id=batch.public_id)
    return render(request, "tickets/batches/new.html", {
        "form": form, "workspace": workspace, "max_rows": max_rows(),
        "required_columns": REQUIRED_COLUMNS, "optional_columns": OPTIONAL_COLUMNS,
        "kinds": kind_choices(),
        "qualities": [(value, label, prices.get(value)) for value, label in Quality.choices],
    })


@require_GET
def batch_sample(request):
    response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="myba-batch-sample.csv"'
    return response


def _detail_context(request, batch: Batch) -> dict:
    progress = selectors.batch_progress(batch)
    context = {"batch": batch, "progress": progress, "rows": selectors.batch_rows(batch),
               "can_change": _can_change(request, batch),
               "export_formats": EXPORT_FORMATS.values()}
    if batch.status == BatchStatus.DRAFT:
        cost = selectors.batch_cost_or_none(batch)
        available = batch.token_account.available
        context.update(cost=cost, available=available, affordable=(
            cost is not None and progress.valid > 0 and available >= cost))
    return context


@login_required
@require_GET
def batch_detail(request, public_id: str):
    batch = _batch_or_404(request, public_id)
    context = _detail_context(request, batch)
    if request.htmx and batch.status != BatchStatus.DRAFT:
        response = render(request, "tickets/batches/partials/batch_progress.html", context)
        if not context["progress"].active:
            # Settled: the header badge shows what the batch finally cost.
            trigger_client_event(response, "tokens-changed")
        return response
    return render(request, "tickets/batches/detail.html", context)


@login_required
@require_POST
def batch_confirm(request, public_id: str):
    batch = _batch_or_404(request, public_id)
    if not _can_change(request, batch):
        raise PermissionDenied(_("Only the person who uploaded this batch can start it."))
    try:
        services.confirm_batch(batch=batch)
    except InsufficientTokens as error:
        messages.error(request, _("Not enough tokens: this batch needs %(needed)s and "
                                  "%(available)s are available. Nothing was charged.")
                       % {"needed": error.needed, "available": error.available})
    except (services.BatchNotRunnable, PermissionDenied) as error:
        messages.error(request, str(error))
    except AccountClosed:
        messages.error(request, _("The paying account is closed."))
    except UnknownPrice:
        messages.error(request, _("A quality in this batch is not available right now."))
    else:
        messages.success(request, _("Batch started: rows are generating. You can leave this "
                                    "page; each ticket lands in your library."))
    return redirect("batches:detail", public_id=batch.public_id)


@login_required
@require_POST
def batch_cancel(request, public_id: str):
    batch = _batch_or_404(request, public_id)
    if not _can_change(request, batch):
        raise PermissionDenied(_("Only the person who uploaded this batch can cancel it."))
    batch = services.cancel_batch(batch=batch)
    messages.info(request, _("Batch cancelled. Rows already generating will finish; the "
                             "others will not run and cost nothing."))
    return redirect("batches:detail", public_id=batch.public_id)


@login_required
@require_GET
def batch_results(request, public_id: str, fmt: str):
    """`csv`: one line per row; any ticket export key: a ZIP of the tickets plus that CSV."""
    batch = _batch_or_404(request, public_id)
    if fmt != "csv" and fmt not in EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    return results_response(batch, selectors.batch_rows(batch), fmt=fmt)
