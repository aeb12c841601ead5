"""Ticket pages: the generator, the status fragment, the library, a ticket (its downloads are
tickets/views/downloads.py).

Every view that names a ticket looks it up in `visible_tickets(request)`, so someone
else's ticket is a 404 on every route. Views validate, call one service, and render; one
view serves both the full page and the htmx fragment.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url, trigger_client_event

from accounts import ratelimit
from accounts.network import get_client_ip
from accounts.selectors import get_header_balance, welcome_tokens
from accounts.services import give_visitor_id
from accounts.teams.roles import Role
from accounts.teams.selectors import get_workspace, list_memberships
from config.pagination import WindowCountPaginator
from tickets import clarifying, exports, selectors, services
from tickets.exports import EXPORT_FORMATS
from tickets.forms import GenerateForm, LibraryFilterForm, RateForm, SplitForm, TicketEditForm
from tickets.kinds import get_kind, split_kinds
from tickets.models import Status, Ticket, is_public_id
from tickets.models.splits import MAX_CHILDREN, Split
from tickets.providers import is_offline_mode
from tickets.quotes import GenerationQuote, quote_generation, split_prices
from tickets.ticket_templates.selectors import find_template, request_scope
from tickets.views import similar

PAGE_SIZE = 20
# What the generator shows for each step a submit can end in (STARTED shows the ticket).
STEP_PARTS = {
    services.SubmitStep.CONFIRM: "ticket_confirm",
    services.SubmitStep.NOT_ENOUGH: "ticket_not_enough",
    services.SubmitStep.UNAVAILABLE: "ticket_form",
    services.SubmitStep.ACCOUNT_CLOSED: "ticket_form",
    services.SubmitStep.LIMIT_REACHED: "ticket_form",
    services.SubmitStep.NOT_ALLOWED: "ticket_form",
    services.SubmitStep.CONFLICT: "ticket_form",
}
STEP_ERRORS = {
    services.SubmitStep.UNAVAILABLE: (
        "quality", gettext_lazy("This quality is not available right now.")
    ),
    services.SubmitStep.ACCOUNT_CLOSED: (
        None, gettext_lazy("Your token account is closed, so it cannot pay for tickets.")
    ),
}


def _pricing_url() -> str:
    try:
        return reverse("billing:pricing")
    except NoReverseMatch:
        return "/pricing/"


def _is_visitor(request) -> bool:
    return not request.user.is_authenticated


def _generator_context(request, form, quote: GenerationQuote | None = None, **extra) -> dict:
    quote = quote or quote_generation(request)
    return {
        "form": form,
        "prices": quote.prices,
        "balance": quote.balance,
        "cost": quote.cost,
        "pays_for_nothing": quote.pays_for_nothing,
        # Where the browser stands decides how the generator offers more tokens.
        "standing": get_header_balance(request),
        "welcome_tokens": welcome_tokens(),
        "is_visitor": _is_visitor(request),
        "offline": is_offline_mode(),
        "pricing_url": _pricing_url(),
        "workspace": get_workspace(request),
        "epic_prices": split_prices(MAX_CHILDREN),
        "max_children": quote.max_children,
        **extra,
    }


def _render_generator(request, template_part: str, context: dict, status: int = 200):
    """The generator page, or only the swapped part for htmx."""
    if request.htmx:
        return render(request, f"tickets/partials/{template_part}.html", context, status=status)
    return render(request, "tickets/new.html", {**context, "part": template_part},
                  status=status)


def _source_ticket(request) -> Ticket | None:
    source_id = request.GET.get("from") or request.POST.get("regenerated_from")
    if not source_id:
        return None
    return _visible_ticket(request, source_id)


def _visible_ticket(request, public_id: str, **filters) -> Ticket:
    """The request's ticket with this public id, or 404 (someone else's looks the same as
    none: its id tells nothing)."""
    if not is_public_id(public_id):
        raise Http404("No such ticket.")
    return get_object_or_404(selectors.visible_tickets(request).filter(**filters),
                             public_id=public_id)


def _changeable_ticket(request, public_id: str, **filters) -> Ticket:
    """As `_visible_ticket`, and 403 when the request's team role may not change it (a
    viewer, or a member and another member's ticket)."""
    ticket = _visible_ticket(request, public_id, **filters)
    if not selectors.can_change_ticket(request, ticket):
        raise PermissionDenied(_("Only the team's owners and admins, or the member who made it, "
                                 "can change this ticket."))
    return ticket


@require_http_methods(["GET", "POST"])
def new_ticket(request):
    source = _source_ticket(request)
    if request.method == "GET":
        initial = {"nonce": uuid.uuid4()}
        if source is not None:
            initial |= {
                "description": source.description,
                "ticket_type": source.ticket_type,
                "quality": source.quality,
                "product_area": source.product_area,
                "tech_stack": source.tech_stack,
                "template": (source.template_snapshot or {}).get("id", ""),
            }
            if source.clarifications:
                # Regenerating asks nothing again: the first answers still apply.
                initial |= {"clarified": True,
                            "clarifications": clarifying.sign(source.clarifications)}
        chosen = find_template(request.GET.get("template", ""), **request_scope(request))
        if chosen is not None:  # "Use on the generator" from a template's page
            initial |= {"template": chosen.id, "ticket_type": chosen.spec.ticket_type}
        form = GenerateForm(initial=initial, template_scope=request_scope(request))
        give_visitor_id(request=request)  # before the form can be sent twice at once
        return render(request, "tickets/new.html",
                      _generator_context(request, form, source=source, part="ticket_form"))

    if request.POST.get("back"):
        # From the confirmation or not-enough step: the form again, as the user left it.
        form = GenerateForm(initial=request.POST.dict(), template_scope=request_scope(request))
        return _render_generator(request, "ticket_form",
                                 _generator_context(request, form, source=source))
    form = GenerateForm(request.POST, template_scope=request_scope(request))
    if not form.is_valid():
        return _render_generator(request, "ticket_form",
                                 _generator_context(request, form, source=source))
    data = dict(form.cleaned_data)
    clarified, clarifications = data.pop("clarified"), data.pop("clarifications")
    asked = _asked_questions(request)
    if asked is not None and not request.POST.get("skip"):
        sheet = clarifying.read_answers(asked, request.POST)
        if sheet.errors:
            return _render_questions(request, form, source, sheet)
        clarifications = sheet.clarifications
    elif not (clarified or request.POST.get("skip") or asked is not None):
        if source is None and not request.POST.get("duplicate_ok"):
            # Before anything else, whether the library already has it (nothing written).
            duplicates = similar.find_duplicates(request, data["description"],
                                                 nonce=data["nonce"])
            if duplicates:
                return _render_generator(request, "ticket_duplicates", _generator_context(
                    request, form, source=source, duplicates=duplicates))
        # Clarify first: free questions before anything is reserved (nothing is written).
        questions = clarifying.questions_for(data["description"], data["ticket_type"])
        if questions:
            return _render_questions(request, form, source,
                                     clarifying.read_answers(questions, {}))
    if _over_generate_rate(request):
        form.add_error(None, _("You are making tickets very fast: try again in "
                               "%(seconds)s seconds.")
                       % {"seconds": request.rate_limit.retry_after})
        return _render_generator(request, "ticket_form", _generator_context(
            request, form, source=source, clarified_signed=clarifying.sign(clarifications)),
            status=200 if request.htmx else 429)
    submission = services.submit_ticket_request(
        request=request, regenerated_from=source, clarifications=clarifications, **data
    )
    if submission.ticket is not None:
        return _generation_started(request, submission.ticket)
    if submission.step in STEP_ERRORS:
        form.add_error(*STEP_ERRORS[submission.step])
    if submission.message:
        form.add_error(None, submission.message)
    return _render_generator(request, STEP_PARTS[submission.step], _generator_context(
        request, form, submission.quote, source=source,
        clarified_signed=clarifying.sign(clarifications)))


def _over_generate_rate(request) -> bool:
    """Count this submit against GENERATE_RATE_LIMIT a minute per person (or, signed out, per
    address: a visitor can drop its cookie); the headers go on the answer either way."""
    who = (f"user:{request.user.pk}" if request.user.is_authenticated
           else f"ip:{get_client_ip(request)}")
    request.rate_limit = ratelimit.hit(f"generate:{who}", limit=settings.GENERATE_RATE_LIMIT)
    return not request.rate_limit.allowed


def _asked_questions(request) -> list | None:
    """The questions a posted questions step carried (signed), or None when this submit did
    not come from one (or its field was tampered with: then the questions are asked again)."""
    signed = request.POST.get("questions")
    if not signed:
        return None
    try:
        return clarifying.unsign_questions(signed)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def _render_questions(request, form, source, sheet):
    return _render_generator(request, "ticket_questions", _generator_context(
        request, form, source=source, sheet=sheet,
        signed_questions=clarifying.sign_questions(sheet.questions), other=clarifying.OTHER))


def _generation_started(request, ticket: Ticket):
    if not request.htmx:
        return redirect("tickets:detail", public_id=ticket.public_id)
    response = render(request, "tickets/partials/ticket_status.html",
                      _status_context(ticket, standalone=True, arrived=True))
    # The ticket has its own URL in the browser's history: Back returns to the generator,
    # Forward (or a reload) shows the ticket's page.
    push_url(response, reverse("tickets:detail", args=[ticket.public_id]))
    _show_on_arrival(response, ticket, "innerHTML")
    return trigger_client_event(response, "tokens-changed")


def _show_on_arrival(response, ticket: Ticket, swap: str) -> None:
    """Scroll what replaced the form or the progress card into view from its top, so that a
    phone, scrolled down to the Generate button, shows the ticket's title and not its middle
    (the card's title also takes the focus: see `arrived` in ticket_card.html)."""
    card = ticket.status == Status.SUCCEEDED
    anchor = f"#ticket-{ticket.public_id}" if card else "#ticket-status"
    response["HX-Reswap"] = f"{swap} show:{anchor}:top"


def _status_context(ticket: Ticket, *, standalone: bool, arrived: bool = False) -> dict:
    started = ticket.started_at or ticket.created_at
    elapsed = int((timezone.now() - started).total_seconds()) if ticket.is_active else 0
    return {"ticket": ticket, "kind": get_kind(ticket.ticket_type), "elapsed": max(0, elapsed),
            "standalone": standalone, "arrived": arrived}


@require_GET
def ticket_status(request, public_id: str):
    """The status fragment the progress card polls; the finished card once done."""
    ticket = _visible_ticket(request, public_id)
    standalone = request.GET.get("standalone") == "1"
    response = render(request, "tickets/partials/ticket_status.html",
                      _status_context(ticket, standalone=standalone, arrived=standalone))
    if not ticket.is_active:
        # Captured or released: the header badge shows the settled balance.
        trigger_client_event(response, "tokens-changed")
        if request.htmx and standalone:
            _show_on_arrival(response, ticket, "outerHTML")
        elif request.htmx:
            # On the ticket page the actions (edit, export, rate) come with a full render.
            response["HX-Refresh"] = "true"
    return response


@require_GET
def ticket_detail(request, public_id: str):
    ticket = _visible_ticket(request, public_id)
    return render(request, "tickets/detail.html", {
        **_status_context(ticket, standalone=False),
        "markdown": exports.ticket_markdown(ticket) if ticket.status == Status.SUCCEEDED else "",
        "can_change": selectors.can_change_ticket(request, ticket),
        "move_to": (list_memberships(request.user).exclude(role=Role.VIEWER)
                    if ticket.organization_id is None and request.user.is_authenticated
                    else []),
        "rate_form": RateForm(initial={"comment": ticket.rating_comment}),
        "export_formats": EXPORT_FORMATS.values(),
        **_split_offer(ticket),
    })


def _split_offer(ticket: Ticket) -> dict:
    """The "Split into sub-tasks" form, for a finished story not split yet whose price is on."""
    if (ticket.status != Status.SUCCEEDED or ticket.ticket_type not in split_kinds()
            or Split.objects.filter(parent=ticket).exists()):
        return {}
    price = split_prices(MAX_CHILDREN).get(ticket.quality)
    return {"split_form": SplitForm(), "split_each": price.each} if price else {}


@require_http_methods(["GET", "POST"])
def ticket_edit(request, public_id: str):
    ticket = _changeable_ticket(request, public_id, status=Status.SUCCEEDED)
    form = TicketEditForm(request.POST or None, ticket=ticket)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_ticket_content(ticket=ticket, content=form.content)
        except services.ImprovementInProgress:
            form.add_error(None, _("This ticket is being improved right now; save your changes "
                                   "again in a few seconds, once that is done."))
        else:
            messages.success(request, _("Ticket saved."))
            return redirect("tickets:detail", public_id=ticket.public_id)
    return render(request, "tickets/edit.html", {"ticket": ticket, "form": form})


@require_http_methods(["GET", "POST"])
def ticket_delete(request, public_id: str):
    ticket = _changeable_ticket(request, public_id)
    if request.method == "POST":
        if services.delete_ticket(ticket=ticket):
            messages.success(request, _("Deleted “%(ticket)s”.") % {"ticket": ticket})
            return redirect("tickets:list")
        messages.warning(request, _("This ticket is still being generated; delete it once done."))
        return redirect("tickets:detail", public_id=ticket.public_id)
    return render(request, "tickets/delete.html", {"ticket": ticket})


@require_POST
def ticket_move(request, public_id: str):
    """Move a personal ticket into one of the person's teams."""
    if not request.user.is_authenticated:
        raise Http404("Only a signed-in person's tickets can move into a team.")
    ticket = _visible_ticket(request, public_id, organization__isnull=True)
    membership = list_memberships(request.user).filter(
        organization__slug=request.POST.get("team", "")).first()
    if membership is None:
        messages.error(request, _("Choose one of your teams."))
    elif services.move_ticket_to_team(ticket=ticket, user=request.user,
                                      organization=membership.organization):
        messages.success(request, _("Moved “%(ticket)s” into %(team)s.") % {
            "ticket": ticket, "team": membership.organization.name})
    return redirect("tickets:detail", public_id=ticket.public_id)


@require_POST
def ticket_rate(request, public_id: str):
    # One rating per ticket: on a team's ticket, whoever may change it gives it.
    ticket = _changeable_ticket(request, public_id, status=Status.SUCCEEDED)
    form = RateForm(request.POST)
    if form.is_valid():
        services.rate_ticket(ticket=ticket, helpful=form.cleaned_data["helpful"],
                             comment=form.cleaned_data["comment"])
        if not request.htmx:
            messages.success(request, _("Thanks for the feedback."))
    if request.htmx:
        return render(request, "tickets/partials/ticket_rating.html",
                      {"ticket": ticket, "rate_form": form, "thanks": form.is_valid()})
    if not form.is_valid():
        messages.error(request, _(
            "Choose helpful or not helpful (comments up to 1,000 characters)."))
    return redirect("tickets:detail", public_id=ticket.public_id)


@require_GET
def ticket_list(request):
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tickets = selectors.list_tickets(
        request,
        query=(filters.get("q") or "").strip(),
        ticket_type=filters.get("type") or "",
        created_from=filters.get("created_from"),
        created_to=filters.get("created_to"),
        quality=filters.get("quality") or "",
    )
    page = WindowCountPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filtered = any(filters.get(key)
                   for key in ("q", "type", "created_from", "created_to", "quality"))
    return render(request, "tickets/list.html", {
        "form": form,
        "page": page,
        "filtered": filtered,
        "quality_filter": filters.get("quality") or "",
        "query_string": query.urlencode(),
        "has_any": filtered or page.paginator.count > 0,
        "is_visitor": _is_visitor(request),
        "welcome_tokens": welcome_tokens(),
        "export_formats": EXPORT_FORMATS.values(),
        "workspace": get_workspace(request),
    })


