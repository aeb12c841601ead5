"""Ticket generators: OpenRouter models with fallbacks, and the offline rules generator."""

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
    "GenerationFailed",
    "GenerationRequest",
    "GenerationResult",
    "TicketSchemaError",
    "generate",
    "is_offline_mode",
    "validate_ticket",
]
