"""Email preferences, the unsubscribe link and dismissing a banner."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import EmailKind
from accounts.notifications import services
from accounts.notifications.selectors import email_preferences


@login_required
@require_POST
def update_email_preferences(request):
    enabled = {kind for kind in request.POST.getlist("kinds") if kind in EmailKind.values}
    services.set_email_preferences(user=request.user, enabled=enabled)
    messages.success(request, _("Your email preferences are saved."))
    return redirect("accounts:settings")


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The link in every alert email: no sign-in needed; GET asks, POST turns the kind off
    (mail scanners that follow links change nothing)."""
    try:
        user, kind = services.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    label = EmailKind(kind).label
    if request.method == "POST":
        enabled = {k for k, _, on in email_preferences(user) if on} - {kind}
        services.set_email_preferences(user=user, enabled=enabled)
        return render(request, "accounts/unsubscribe.html", {"done": True, "label": label})
    return render(request, "accounts/unsubscribe.html", {"label": label, "email": user.email})


@login_required
@require_POST
def dismiss_alert(request, alert_id: int):
    services.dismiss_alert(user=request.user, alert_id=alert_id)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "/"
    if request.htmx:
        return HttpResponse("")
    return redirect(back)
