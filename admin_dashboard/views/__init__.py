"""Staff dashboard views (every page behind `staff_only`) and the public /health/ endpoint."""

from admin_dashboard.views.health import health

__all__ = ["health"]
