"""Ticket generators: (provider, model) pairs with fallbacks, and the offline rules generator."""

from .base import Completion, Provider, ProviderError
from .chain import (
    AttemptRecord,
    ChainConfig,
    GenerationFailed,
    GenerationResult,
    generate,
    is_offline_mode,
)
from .prompts import GenerationRequest
from .schema import PRIORITIES, STORY_POINTS, TicketSchemaError, validate_ticket

__all__ = [
    "PRIORITIES",
    "STORY_POINTS",
    "AttemptRecord",
    "ChainConfig",
    "Completion",
    "GenerationFailed",
    "GenerationRequest",
    "GenerationResult",
    "Provider",
    "ProviderError",
    "TicketSchemaError",
    "generate",
    "is_offline_mode",
    "validate_ticket",
]
