"""django-allauth adapters: where allauth lets a project change its decisions."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404

from accounts.wording import sentence_case


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        # allauth's subjects are Title Case ("Please Confirm Your Email Address"); the
        # prefix is "[<site name>] " from the sites record, i.e. SITE_NAME.
        return super().format_email_subject(sentence_case(subject))


class ProviderNotConfigured(Http404, SocialApp.DoesNotExist):
    """No OAuth app for a provider: Django answers 404, and allauth code that expects
    `SocialApp.DoesNotExist` (OpenID Connect, headless) still catches it."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        # Every installed provider has login, callback (and Google a token) URL, configured
        # or not; allauth's lookup raises SocialApp.DoesNotExist there, which was a 500.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotConfigured(f"No OAuth app is configured for {provider}.") from None
