from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from referrals import selectors, services

SHARE_TEXT = gettext_lazy("I write my tickets with MyBA: a short description becomes a full "
                          "story with acceptance criteria. Try it:")


@require_GET
def follow_link(request, code: str):
    """A referral link: remember its code for the sign-up (and count the opening once per
    browser session); an unknown or retired code simply leads to the sign-up page."""
    if request.user.is_authenticated:
        return redirect("home")
    profile = selectors.get_profile_by_code(code)
    if profile is not None and request.session.get(services.SESSION_KEY) != code:
        services.record_open(code=code)
        request.session[services.SESSION_KEY] = code
    return redirect("account_signup")


@login_required
@require_GET
def referrals(request):
    profile = services.get_profile(user=request.user)
    link = f"{settings.SITE_URL}{reverse('referrals:follow', args=[profile.code])}"
    now = timezone.now()
    return render(request, "referrals/referrals.html", {
        "profile": profile, "link": link,
        "twitter": "https://twitter.com/intent/tweet?" + urlencode(
            {"text": str(SHARE_TEXT), "url": link}),
        "linkedin": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode(
            {"url": link}),
        "made": selectors.referrals_made(request.user)[:100],
        "earned": selectors.tokens_earned(request.user),
        "leaders": selectors.leaderboard(since=now.replace(day=1, hour=0, minute=0, second=0,
                                                           microsecond=0)),
        "rewards": {"referee": settings.REFERRAL_REFEREE_BONUS,
                    "referrer": settings.REFERRAL_REFERRER_REWARD,
                    "tickets": settings.REFERRAL_QUALIFY_TICKETS,
                    "tiers": settings.REFERRAL_TIERS},
    })


@login_required
@require_POST
def regenerate(request):
    services.regenerate_code(user=request.user)
    messages.success(request, _("Your referral link is new; the old one no longer works."))
    return redirect("referrals:referrals")


@login_required
@require_POST
def leaderboard(request):
    name = request.POST.get("display_name", "").strip()
    if len(name) > 40:
        messages.error(request, _("A display name is at most 40 characters."))
        return redirect("referrals:referrals")
    on = request.POST.get("on_leaderboard") == "on"
    services.set_leaderboard(user=request.user, on=on, display_name=name)
    messages.success(request, _("You are on the leaderboard.") if on
                     else _("You are not on the leaderboard."))
    return redirect("referrals:referrals")
