"""The providers, by the name a model setting uses, and the (provider, model) pairs per quality.

A model setting (`OPENROUTER_MODEL_<QUALITY>`, `OPENROUTER_FALLBACKS_<QUALITY>`) lists models
in the order they are tried. An entry `<provider>:<model>` names a provider registered here
(`offline:offline-rules-v2`); any other entry is an OpenRouter model id (those look like
`vendor/model` or `vendor/model:variant`). A provider that is not OpenAI-compatible is one
new module with a `from_settings()` and its line in `PROVIDERS`.
"""

from collections.abc import Callable

from django.conf import settings

from . import offline, openrouter
from .base import Provider

# name -> factory returning the configured provider, or None when it is not configured.
PROVIDERS: dict[str, Callable[[], Provider | None]] = {
    openrouter.NAME: openrouter.from_settings,
    offline.NAME: offline.from_settings,
}
DEFAULT_PROVIDER = openrouter.NAME


def parse_model(spec: str) -> tuple[str, str]:
    """`"offline:offline-rules-v2"` -> ("offline", "offline-rules-v2");
    `"openai/gpt-oss-20b"` -> ("openrouter", "openai/gpt-oss-20b")."""
    name, separator, model = spec.partition(":")
    if separator and name in PROVIDERS:
        return name, model
    return DEFAULT_PROVIDER, spec


def model_steps(quality: str) -> list[tuple[Provider, str]]:
    """The (provider, model) pairs tried for `quality`, in order, from settings.

    Models of providers that are not configured (OpenRouter without a key) are left out; with
    none left, the offline generator writes every ticket. With TICKETS_OFFLINE_FALLBACK, the
    offline generator follows the models for Standard (Advanced promises a stronger model).
    """
    primary = getattr(settings, f"OPENROUTER_MODEL_{quality.upper()}")
    fallbacks = getattr(settings, f"OPENROUTER_FALLBACKS_{quality.upper()}")
    providers: dict[str, Provider | None] = {}
    steps = []
    for spec in dict.fromkeys([primary, *fallbacks]):
        name, model = parse_model(spec)
        if name not in providers:
            providers[name] = PROVIDERS[name]()
        if providers[name] is not None:
            steps.append((providers[name], model))
    offline_step = (offline.OfflineProvider(), offline.MODEL_NAME)
    if not steps:
        return [offline_step]
    if settings.TICKETS_OFFLINE_FALLBACK and quality == "standard":
        steps.append(offline_step)
    return steps
