"""Referrals follow the referee: sign-up starts one; verifying, buying or generating may
qualify it; a refunded qualifying purchase takes the reward back."""

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver

from billing.models import Purchase
from billing.signals import purchase_paid, purchase_refunded
from referrals import services
from tickets.signals import ticket_succeeded


@receiver(user_signed_up, dispatch_uid="referrals.start_on_sign_up")
def start_on_sign_up(sender, request, user, **kwargs):
    code = request.session.pop(services.SESSION_KEY, "") if request is not None else ""
    if code:
        services.start_referral(referee=user, code=code, request=request)


@receiver(email_confirmed, dispatch_uid="referrals.qualify_on_confirmation")
def qualify_on_confirmation(sender, request, email_address, **kwargs):
    services.check_qualification(referee=email_address.user)


@receiver(purchase_paid, dispatch_uid="referrals.qualify_on_purchase")
def qualify_on_purchase(sender, purchase, **kwargs):
    services.check_qualification(referee=purchase.user)


@receiver(ticket_succeeded, dispatch_uid="referrals.qualify_on_ticket")
def qualify_on_ticket(sender, ticket, **kwargs):
    if ticket.owner_id is not None:
        # The id: most owners were not referred, and loading the user would be a query.
        services.check_qualification(referee=ticket.owner_id)


@receiver(purchase_refunded, dispatch_uid="referrals.claw_back_on_refund")
def claw_back_on_refund(sender, purchase, **kwargs):
    services.claw_back_referral(purchase_id=purchase.pk,
                                fully_refunded=purchase.status == Purchase.Status.REFUNDED)
