"""Promotion codes: make one, retire one, and see how often each was redeemed."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from admin_dashboard.access import staff_only
from admin_dashboard.forms import PromotionCodeForm
from billing import promotion_selectors
from billing import services as billing_services


def _page(request, form: PromotionCodeForm, *, status: int = 200):
    return render(request, "admin_dashboard/promotions.html", {
        "form": form, "codes": promotion_selectors.list_promotion_codes(),
        "active_tab": "promotions",
    }, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def promotions(request):
    """The codes and the form for a new one; bad input or a Stripe failure re-renders the
    form with the reason and creates nothing."""
    if request.method == "GET":
        return _page(request, PromotionCodeForm())
    form = PromotionCodeForm(request.POST)
    if form.is_valid():
        try:
            promotion = billing_services.create_promotion_code(
                actor=request.user, **form.service_arguments())
        except billing_services.PromotionUnavailable as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Promotion code %(code)s created.") % {"code": promotion.code})
            return redirect("admin_dashboard:promotions")
    messages.error(request, _("The promotion code was not created: see the form below."))
    return _page(request, form, status=400)


@staff_only
@require_POST
def deactivate_promotion(request, pk: int):
    promotion = promotion_selectors.get_promotion_code(pk)
    if promotion is None:
        raise Http404
    try:
        billing_services.deactivate_promotion_code(promotion=promotion)
    except billing_services.PromotionUnavailable as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Promotion code %(code)s deactivated.") % {"code": promotion.code})
    return redirect("admin_dashboard:promotions")
