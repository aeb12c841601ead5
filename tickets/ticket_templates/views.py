"""Template pages at /tickets/templates/: the workspace's templates and the built-ins; create,
edit, copy and delete. Personal: the person edits their own. A team: owners and admins edit
the team's templates, members use them, viewers read them. Every lookup goes through the
current workspace, so another person's or team's template is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.teams.selectors import get_workspace
from tickets.ticket_templates import services
from tickets.ticket_templates.builtins import BUILTINS
from tickets.ticket_templates.forms import TemplateForm
from tickets.ticket_templates.selectors import (
    TemplateChoice,
    find_template,
    request_scope,
    templates_of_workspace,
)
from tickets.ticket_templates.spec import SECTIONS

NOT_ALLOWED = gettext_lazy("Only the team’s owners and admins can change its templates.")


def _can_edit(request) -> bool:
    workspace = get_workspace(request)
    return not workspace.is_team or workspace.can_manage


def _require_edit(request) -> None:
    if not _can_edit(request):
        raise PermissionDenied(NOT_ALLOWED)


def _owner(request) -> dict:
    workspace = get_workspace(request)
    if workspace.is_team:
        return {"organization": workspace.organization}
    return {"owner": request.user}


def _choice(request, template_id: str) -> TemplateChoice:
    choice = find_template(template_id, **request_scope(request))
    if choice is None:
        raise Http404("No such template.")
    return choice


def _saved(request, template_id: str) -> TemplateChoice:
    """The workspace's saved template (a built-in cannot be edited or deleted: 404)."""
    choice = _choice(request, template_id)
    if choice.builtin:
        raise Http404("Built-in templates cannot be changed: copy one instead.")
    return choice


@login_required
@require_GET
def template_list(request):
    saved = templates_of_workspace(**request_scope(request))
    return render(request, "tickets/templates/list.html", {
        "builtins": [TemplateChoice(spec) for spec in BUILTINS.values()],
        "saved": [TemplateChoice(template.spec(), template) for template in saved],
        "can_edit": _can_edit(request),
        "workspace": get_workspace(request),
    })


@login_required
@require_GET
def template_detail(request, template_id: str):
    choice = _choice(request, template_id)
    return render(request, "tickets/templates/detail.html", {
        "choice": choice, "spec": choice.spec, "can_edit": _can_edit(request),
        "workspace": get_workspace(request),
    })


def _render_form(request, form, choice: TemplateChoice | None, status: int = 200):
    return render(request, "tickets/templates/edit.html", {
        "form": form, "choice": choice, "workspace": get_workspace(request),
    }, status=status)


def _save(request, form, choice: TemplateChoice | None):
    """Save a valid form; the page again with the message when the name is taken."""
    try:
        template = services.save_template(
            settings=form.settings(), actor=request.user,
            template=choice.template if choice else None, **_owner(request))
    except services.TemplateNameTaken:
        form.add_error("name", _("This workspace already has a template with this name."))
        return _render_form(request, form, choice, status=400)
    messages.success(request, _("Saved the “%(name)s” template.") % {"name": template.name})
    return redirect("tickets:template_detail", template_id=template.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    _require_edit(request)
    if request.method == "GET":
        return _render_form(request, TemplateForm(initial={"sections": list(SECTIONS)}), None)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, None, status=400)
    return _save(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: str):
    _require_edit(request)
    choice = _saved(request, template_id)
    if request.method == "GET":
        return _render_form(request, TemplateForm(initial=TemplateForm.initial_from(choice.spec)),
                            choice)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, choice, status=400)
    return _save(request, form, choice)


@login_required
@require_POST
def template_copy(request, template_id: str):
    _require_edit(request)
    choice = _choice(request, template_id)
    try:
        copy = services.copy_template(source=choice.spec, actor=request.user, **_owner(request))
    except services.TemplateNameTaken:
        messages.error(request, _("Could not name the copy: rename one of the copies and try "
                                  "again."))
        return redirect("tickets:templates")
    messages.success(request, _("Copied “%(name)s”: change it as you need.")
                     % {"name": choice.spec.name})
    return redirect("tickets:template_edit", template_id=copy.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def template_delete(request, template_id: str):
    _require_edit(request)
    choice = _saved(request, template_id)
    if request.method == "POST":
        services.delete_template(template=choice.template)
        messages.success(request, _("Deleted the “%(name)s” template. Tickets made with it "
                                    "keep the settings they were made with.")
                         % {"name": choice.spec.name})
        return redirect("tickets:templates")
    return render(request, "tickets/templates/delete.html", {"choice": choice})
