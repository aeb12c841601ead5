from django.contrib.auth.hashers import make_password
from django.db import migrations, models
from django.utils.crypto import salted_hmac

# As in accounts.services and accounts.models, frozen here: a migration never imports app code.
DELETED_EMAIL_DOMAIN = "deleted.invalid"


def _email_hash(email: str) -> str:
    # The same keyed hash as ClosedAccountEmail.hash.
    normalized = email.strip().lower()
    return salted_hmac("accounts.closed-account-email", normalized, algorithm="sha256").hexdigest()


def anonymize_accounts_deleted_before(apps, schema_editor):
    """Accounts their owners deleted before deleting anonymized them are inactive with their
    address and sign-in details intact: the address could not sign up again and signing in
    said "inactive". Give them what accounts.services.close_user_account does now. They are
    found by the entry that closed their tokens (`user:<id>:close`), which staff deactivation
    never writes."""
    User = apps.get_model("accounts", "User")
    ClosedAccountEmail = apps.get_model("accounts", "ClosedAccountEmail")
    LedgerEntry = apps.get_model("tokens", "LedgerEntry")
    EmailAddress = apps.get_model("account", "EmailAddress")
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    Authenticator = apps.get_model("mfa", "Authenticator")
    UserSession = apps.get_model("usersessions", "UserSession")
    Session = apps.get_model("sessions", "Session")

    keys = LedgerEntry.objects.filter(idempotency_key__regex=r"^user:[0-9]+:close$")
    closed_ids = [int(key.split(":")[1]) for key in keys.values_list("idempotency_key", flat=True)]
    deleted = User.objects.filter(pk__in=closed_ids, is_active=False).exclude(
        email__endswith=f"@{DELETED_EMAIL_DOMAIN}"
    )
    for user in deleted:
        verified = EmailAddress.objects.filter(user_id=user.pk, verified=True)
        addresses = {user.email, *verified.values_list("email", flat=True)}
        ClosedAccountEmail.objects.bulk_create(
            [ClosedAccountEmail(email_hash=_email_hash(address)) for address in addresses],
            ignore_conflicts=True,
        )
        EmailAddress.objects.filter(user_id=user.pk).delete()
        SocialAccount.objects.filter(user_id=user.pk).delete()
        Authenticator.objects.filter(user_id=user.pk).delete()
        sessions = UserSession.objects.filter(user_id=user.pk)
        Session.objects.filter(session_key__in=sessions.values("session_key")).delete()
        sessions.delete()
        user.email = f"deleted-{user.pk}@{DELETED_EMAIL_DOMAIN}"
        user.first_name = user.last_name = ""
        user.is_staff = user.is_superuser = False
        user.password = make_password(None)  # unusable
        user.save()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_welcomed_at"),
        ("tokens", "0005_ledger_feature_and_spender"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("usersessions", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClosedAccountEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email_hash", models.CharField(max_length=64, unique=True)),
                ("closed_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RunPython(anonymize_accounts_deleted_before, migrations.RunPython.noop),
    ]
