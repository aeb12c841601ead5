from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.usage.views import usage_context
from admin_dashboard.access import staff_only
from admin_dashboard.exports import csv_response, wants_csv
from admin_dashboard.forms import AdjustTokensForm, DeactivateUserForm, UserSearchForm
from billing import selectors as billing_selectors
from tickets import selectors as tickets_selectors
from tokens import selectors as tokens_selectors
from tokens.exceptions import InsufficientTokens, LedgerError
from tokens.models import EntryKind

PAGE_SIZE = 50


def _user_or_404(pk: int):
    user = accounts_selectors.get_user_for_staff(pk)
    if user is None:
        raise Http404
    return user


@staff_only
@require_GET
def user_list(request):
    form = UserSearchForm(request.GET)
    form.is_valid()
    search, sort = form.cleaned_data.get("q", ""), form.cleaned_data.get("sort", "newest")
    users = accounts_selectors.list_users_for_staff(search=search, sort=sort)
    if wants_csv(request):
        return csv_response(
            "users",
            ["id", "email", "active", "staff", "joined", "balance", "held", "spend",
             "last_activity"],
            ((u.pk, u.email, u.is_active, u.is_staff, u.date_joined, u.balance, u.held,
              u.spend, u.last_activity) for u in users.iterator(chunk_size=2000)),
        )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "admin_dashboard/users.html", {
        "form": form, "page": page, "query": query.urlencode(), "active_tab": "users",
    })


def _detail_context(request, user, *, adjust_form=None, deactivate_form=None):
    account = user.token_account
    # "kind" is the usage history's filter on the same page.
    kind = request.GET.get("ledger_kind", "")
    kinds = [kind] if kind in EntryKind.values else None
    entries = lots = holds = []
    if account is not None:
        entries = tokens_selectors.list_entries(account, kinds=kinds).select_related("actor")
        lots = tokens_selectors.list_lots(account)[:100]
        holds = tokens_selectors.list_holds(account, status="pending")[:50]
    return {
        "subject": user,
        "account": account,
        "entries": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "kind": kinds[0] if kinds else "",
        "ledger_query": f"ledger_kind={kinds[0]}" if kinds else "",
        "kinds": EntryKind.choices,
        "lots": lots,
        "holds": holds,
        "tickets": tickets_selectors.list_user_tickets_for_staff(user)[:25],
        "purchases": billing_selectors.list_user_purchases_for_staff(user)[:25],
        "sessions": accounts_selectors.list_user_sessions(user)[:25],
        "actions": accounts_selectors.list_staff_actions(target=user)[:25],
        "adjust_form": adjust_form or AdjustTokensForm(),
        "deactivate_form": deactivate_form or DeactivateUserForm(),
        "active_tab": "users",
    }


@staff_only
@require_GET
def user_detail(request, pk: int):
    user = _user_or_404(pk)
    usage = usage_context(request, user.token_account,
                          history_url=reverse("admin_dashboard:user_detail", args=[pk]))
    if isinstance(usage, HttpResponse):  # htmx: the next page of the usage history
        return usage
    context = _detail_context(request, user) | {"usage": usage}
    if wants_csv(request):
        entries = context["entries"].paginator.object_list
        return csv_response(
            f"user-{user.pk}-ledger",
            ["id", "created_at", "kind", "amount", "balance_after", "reference", "memo",
             "actor", "idempotency_key"],
            ((e.pk, e.created_at, e.kind, e.amount, e.balance_after, e.reference, e.memo,
              e.actor.email if e.actor else "", e.idempotency_key) for e in entries),
        )
    return render(request, "admin_dashboard/user_detail.html", context)


@staff_only
@require_POST
def adjust_tokens(request, pk: int):
    user = _user_or_404(pk)
    form = AdjustTokensForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            entry = accounts_services.adjust_user_tokens(
                actor=request.user,
                user=user,
                amount=amount,
                reason=form.cleaned_data["reason"],
                idempotency_key=f"staff:adjust:{form.cleaned_data['nonce']}",
            )
        except InsufficientTokens as error:
            form.add_error(
                "amount",
                ngettext(
                    "Only %(available)s token is available (held tokens cannot be taken); "
                    "a debit of %(needed)s is too large.",
                    "Only %(available)s tokens are available (held tokens cannot be taken); "
                    "a debit of %(needed)s is too large.",
                    error.available,
                ) % {"available": error.available, "needed": error.needed},
            )
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Adjusted %(amount)s tokens; balance is now %(balance)s.")
                % {"amount": f"{amount:+d}", "balance": entry.balance_after},
            )
            return redirect("admin_dashboard:user_detail", pk=user.pk)
    user.refresh_from_db()
    context = _detail_context(request, user, adjust_form=form)
    return render(request, "admin_dashboard/user_detail.html", context, status=400)


@staff_only
@require_POST
def deactivate_user(request, pk: int):
    user = _user_or_404(pk)
    form = DeactivateUserForm(request.POST)
    if form.is_valid():
        try:
            changed = accounts_services.deactivate_user(
                actor=request.user, user=user, reason=form.cleaned_data["reason"]
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            if changed:
                messages.success(
                    request, _("%(email)s is deactivated and signed out.") % {"email": user.email})
            else:
                messages.info(request, _("%(email)s was already inactive.") % {"email": user.email})
            return redirect("admin_dashboard:user_detail", pk=user.pk)
    context = _detail_context(request, user, deactivate_form=form)
    return render(request, "admin_dashboard/user_detail.html", context, status=400)


@staff_only
@require_GET
def audit_log(request):
    actions = accounts_selectors.list_staff_actions()
    if wants_csv(request):
        return csv_response(
            "staff-actions",
            ["created_at", "actor", "action", "target", "reason", "details"],
            ((a.created_at, a.actor.email if a.actor else "", a.action,
              a.target.email if a.target else "", a.reason, a.details)
             for a in actions.iterator(chunk_size=2000)),
        )
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "admin_dashboard/audit.html", {"page": page, "active_tab": "audit"})
