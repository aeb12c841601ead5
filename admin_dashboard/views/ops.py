from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from admin_dashboard.access import staff_only
from admin_dashboard.exports import csv_response, wants_csv
from admin_dashboard.forms import RETRY_REASON, RetryWebhookForm
from admin_dashboard.health import run_health_checks
from admin_dashboard.periods import period_from_request
from billing import selectors as billing_selectors
from billing import services as billing_services
from billing.selectors import WEBHOOK_STATUSES
from tickets import selectors as tickets_selectors
from tokens import selectors as tokens_selectors

RECENT = 100


@staff_only
@require_GET
def webhooks(request):
    period, range_form = period_from_request(request)
    status = request.GET.get("status", "")
    status = status if status in WEBHOOK_STATUSES else ""
    triggers = list(billing_selectors.list_webhook_triggers(status=status)[:RECENT])
    for trigger in triggers:
        trigger.status = billing_selectors.webhook_status(trigger)
        trigger.event_type = billing_selectors.webhook_event_type(trigger)
    if wants_csv(request):
        return csv_response(
            "webhooks",
            ["id", "received_at", "type", "status", "error"],
            ((t.pk, t.created, t.event_type, t.status, t.exception) for t in triggers),
        )
    counts = billing_selectors.count_webhook_failures(start=period.start, end=period.end)
    return render(request, "admin_dashboard/webhooks.html", {
        "triggers": triggers, "status": status, "statuses": WEBHOOK_STATUSES, "counts": counts,
        "period": period, "range_form": range_form, "active_tab": "webhooks",
    })


@staff_only
@require_POST
def retry_webhook(request, pk: int):
    form = RetryWebhookForm(request.POST)
    reason = (form.cleaned_data["reason"] if form.is_valid() else "") or RETRY_REASON
    if billing_services.queue_webhook_retry(trigger_id=pk, actor=request.user, reason=reason):
        messages.success(request, _("Retry of delivery #%(id)s queued.") % {"id": pk})
    else:
        messages.error(
            request, _("Only a valid delivery that failed processing can be retried."))
    return redirect("admin_dashboard:webhooks")


@staff_only
@require_GET
def generations(request):
    period, range_form = period_from_request(request)
    failures = list(tickets_selectors.list_recent_failed_attempts()[:RECENT])
    if wants_csv(request):
        return csv_response(
            "generation-failures",
            ["id", "created_at", "ticket", "provider", "model", "quality", "outcome",
             "error_code", "http_status", "latency_ms"],
            ((a.pk, a.created_at, a.ticket_public_id, a.provider, a.model_name, a.quality,
              a.outcome, a.error_code, a.http_status, a.latency_ms) for a in failures),
        )
    rates = tickets_selectors.get_attempt_stats(start=period.start, end=period.end)
    return render(request, "admin_dashboard/generations.html", {
        "failures": failures, "rates": rates, "period": period, "range_form": range_form,
        "active_tab": "generations",
    })


def celery_status() -> dict:
    """Queue depth (Redis LLEN of the default queue) and workers answering a ping."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"eager": True, "queue_depth": 0, "workers": []}
    status = {"eager": False, "queue_depth": None, "workers": [], "error": ""}
    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        status["queue_depth"] = client.llen("celery")
    except Exception as error:  # the page reports it; health must not 500
        status["error"] = f"{type(error).__name__}: {error}"[:200]
    try:
        from config.celery import app

        replies = app.control.ping(timeout=0.5) or []
        status["workers"] = sorted(name for reply in replies for name in reply)
    except Exception as error:
        status["error"] = f"{type(error).__name__}: {error}"[:200]
    return status


@staff_only
@require_GET
def health_page(request):
    checks = run_health_checks()
    celery = celery_status()
    holds = tokens_selectors.count_holds(now=timezone.now())
    audit = tokens_selectors.get_last_audit_run()
    if wants_csv(request):
        rows = [(name, check["ok"], check["detail"]) for name, check in checks["checks"].items()]
        rows += [("celery queue depth", True, celery["queue_depth"]),
                 ("celery workers", bool(celery["workers"]) or celery["eager"],
                  " ".join(celery["workers"])),
                 ("holds pending", True, holds["pending"]),
                 ("holds overdue", holds["overdue"] == 0, holds["overdue"]),
                 ("holds expired", True, holds["expired"]),
                 ("last ledger audit", bool(audit and audit.ok),
                  audit.started_at if audit else "never")]
        return csv_response("health", ["check", "ok", "detail"], rows)
    return render(request, "admin_dashboard/health.html", {
        "checks": checks, "celery": celery, "holds": holds, "audit": audit,
        "active_tab": "health",
    })
