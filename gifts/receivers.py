"""A gift waits for its address to be verified: then it is delivered."""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver

from billing.signals import purchase_refunded
from gifts.services import deliver_waiting_gifts, recover_gifted_refund


@receiver(email_confirmed, dispatch_uid="gifts.deliver_on_confirmation")
def deliver_on_confirmation(sender, request, email_address, **kwargs):
    deliver_waiting_gifts(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="gifts.deliver_on_verified_sign_up")
def deliver_on_verified_sign_up(sender, request, user, **kwargs):
    """A sign-up whose address is verified already (a provider vouched for it)."""
    for address in EmailAddress.objects.filter(user=user, verified=True):
        deliver_waiting_gifts(user=user, email=address.email)


@receiver(purchase_refunded, dispatch_uid="gifts.recover_gifted_refund")
def recover_on_refund(sender, purchase, **kwargs):
    recover_gifted_refund(purchase=purchase)
