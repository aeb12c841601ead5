from django.apps import AppConfig


class AdminDashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "admin_dashboard"

    def ready(self):
        from django.contrib import admin

        from admin_dashboard.admin_site import guard_admin_site

        guard_admin_site(admin.site)
