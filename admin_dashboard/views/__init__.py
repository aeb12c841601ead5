"""Staff dashboard views (every page behind `staff_only`), the public /health/ endpoint and
/metrics for Prometheus."""

from admin_dashboard.views.health import health, metrics

__all__ = ["health", "metrics"]
