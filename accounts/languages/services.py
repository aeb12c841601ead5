from accounts.models import User


def set_languages(*, user: User, language: str, ticket_language: str) -> None:
    """Write the user's interface language and ticket language (codes the caller validated;
    "" for "automatic" / "the interface language")."""
    User.objects.filter(pk=user.pk).update(language=language, ticket_language=ticket_language)
    user.language, user.ticket_language = language, ticket_language


def set_interface_language(*, user: User, language: str) -> None:
    """Write the user's interface language alone (the footer's switcher)."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
