"""allauth signal receivers: thin, they only call accounts.services."""

from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib import messages
from django.dispatch import receiver

from accounts import services

# The welcome message waits in the session until the first sign-in after sign-up: with
# mandatory email verification that is when the user confirms their address.
WELCOME_MESSAGE_SESSION_KEY = "accounts.welcome_message"


@receiver(user_signed_up, dispatch_uid="accounts.welcome_new_user")
def welcome_new_user(sender, request, user, **kwargs):
    bonus = services.on_user_signed_up(user=user, request=request)
    request.session[WELCOME_MESSAGE_SESSION_KEY] = bonus.message


@receiver(user_logged_in, dispatch_uid="accounts.carry_over_on_sign_in")
def carry_over_on_sign_in(sender, request, user, **kwargs):
    welcome = request.session.pop(WELCOME_MESSAGE_SESSION_KEY, None)
    if welcome:
        messages.success(request, welcome)
        return
    carried = services.on_user_signed_in(user=user, request=request)
    if carried:
        messages.success(request, f"{carried} tokens carried over from your free trial.")
