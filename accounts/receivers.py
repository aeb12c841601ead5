"""Signal receivers (allauth's, and post_migrate): thin, they only call accounts.services."""

from allauth.account.signals import user_logged_in, user_signed_up
from django.apps import apps as global_apps
from django.contrib import messages
from django.db import DEFAULT_DB_ALIAS
from django.dispatch import receiver
from django.utils.translation import ngettext

from accounts import services
from accounts.notifications import services as notifications
from accounts.notifications import sign_ins
from tokens.signals import available_fell_below_threshold

# The welcome message waits in the session until the first sign-in after sign-up: with
# mandatory email verification that is when the user confirms their address.
WELCOME_MESSAGE_SESSION_KEY = "accounts.welcome_message"


@receiver(user_signed_up, dispatch_uid="accounts.welcome_new_user")
def welcome_new_user(sender, request, user, **kwargs):
    bonus = services.on_user_signed_up(user=user, request=request)
    request.session[WELCOME_MESSAGE_SESSION_KEY] = bonus.message


@receiver(user_logged_in, dispatch_uid="accounts.record_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    sign_ins.record_sign_in(user=user, request=request)


@receiver(user_logged_in, dispatch_uid="accounts.carry_over_on_sign_in")
def carry_over_on_sign_in(sender, request, user, **kwargs):
    welcome = request.session.pop(WELCOME_MESSAGE_SESSION_KEY, None)
    if welcome:
        messages.success(request, welcome)
        return
    carried = services.on_user_signed_in(user=user, request=request)
    if carried:
        messages.success(request, ngettext(
            "%(count)s token carried over from your free trial.",
            "%(count)s tokens carried over from your free trial.", carried) % {"count": carried})


def sync_site_on_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """After every `migrate` (connected for this app in AccountsConfig.ready), and after a
    `flush`, which sends post_migrate too: the sites record names the configured site, in
    `make run`, `make stack`, tests and production alike."""
    try:
        apps.get_model("sites", "Site")
    except LookupError:  # migrated only part of the way: no sites table yet
        return
    services.sync_site(using=using)


@receiver(available_fell_below_threshold, dispatch_uid="accounts.alert_low_balance")
def alert_low_balance(sender, account_id, available, threshold, **kwargs):
    notifications.alert_low_balance(account_id=account_id, available=available,
                                    threshold=threshold)
