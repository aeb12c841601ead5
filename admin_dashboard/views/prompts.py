from django.shortcuts import render
from django.views.decorators.http import require_GET

from admin_dashboard.access import staff_only
from admin_dashboard.periods import period_from_request
from tickets import prompt_stats


@staff_only
@require_GET
def prompts(request):
    period, range_form = period_from_request(request)
    return render(request, "admin_dashboard/prompts.html", {
        "types": prompt_stats.compare_prompts(start=period.start, end=period.end),
        "min_tickets": prompt_stats.MIN_TICKETS, "period": period, "range_form": range_form,
        "active_tab": "prompts",
    })
