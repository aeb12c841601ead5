"""Growth: the referral funnel and the held-referrals queue, what growth cost in tokens, and
how many people come back for the daily bonus and send gifts."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from admin_dashboard.access import staff_only
from admin_dashboard.periods import period_from_request
from bonuses.selectors import RETAINED_STREAK, daily_bonus_stats
from gifts.selectors import gift_stats
from referrals import selectors as referral_selectors
from referrals.models import Referral
from referrals.services import decide_held_referral
from tokens.models import EntryKind
from tokens.selectors import credited_by_kind

GROWTH_KINDS = {EntryKind.REFERRAL: gettext_lazy("Referral rewards and bonuses"),
                EntryKind.DAILY_BONUS: gettext_lazy("Daily bonuses"),
                EntryKind.WELCOME: gettext_lazy("Sign-up bonuses")}


@staff_only
@require_GET
def growth(request):
    period, range_form = period_from_request(request)
    start, end = period.start, period.end
    granted = credited_by_kind(start=start, end=end, kinds=list(GROWTH_KINDS))
    return render(request, "admin_dashboard/growth.html", {
        "period": period, "range_form": range_form, "active_tab": "growth",
        "funnel": referral_selectors.funnel(start=start, end=end),
        "top": referral_selectors.top_referrers(start=start, end=end),
        "held": referral_selectors.held_referrals()[:50],
        "granted": [(label, granted[kind]) for kind, label in GROWTH_KINDS.items()],
        "granted_total": sum(granted.values()),
        "bonus": daily_bonus_stats(start=start, end=end), "retained_streak": RETAINED_STREAK,
        "gifts": gift_stats(start=start, end=end),
    })


@staff_only
@require_POST
def decide_referral(request, pk: int):
    """Approve or reject a held referral; a reason is required (it goes in the audit log)."""
    referral = Referral.objects.filter(pk=pk).select_related("referee", "referrer").first()
    if referral is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Give a reason: it goes in the audit log."))
        return redirect("admin_dashboard:growth")
    if referral.status != Referral.Status.HELD:
        messages.error(request, _("That referral was already decided."))
        return redirect("admin_dashboard:growth")
    decide_held_referral(actor=request.user, referral=referral, approve=approve, reason=reason)
    if approve:
        message = _("Referral of %(email)s approved.")
    else:
        message = _("Referral of %(email)s rejected.")
    messages.success(request, message % {"email": referral.referee.email})
    return redirect("admin_dashboard:growth")
