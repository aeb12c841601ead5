"""The prompt of "Improve": the ticket as it is, the checks it fails, the fields to rewrite.

The model gets the generation's system prompt (what a good ticket is, the JSON shape) and
replies with the whole ticket; the caller keeps only the named fields from the reply
(tickets/services/improving.py), so a model that rewrites more changes nothing else.
"""

import json

from tickets.kinds import get_kind

from .prompts import SYSTEM_PROMPT, GenerationRequest, language_instructions
from .schema import json_shape
from .template_prompt import template_instructions

IMPROVE_PROMPT = """This ticket was written from the description below and fails these checks:
{failures}

Rewrite only these fields so that every check passes: {fields}. Keep every other field exactly
as it is (they were checked, and some were written by the user). Reply with the whole ticket as
ONE JSON object, following every rule above.

The ticket now:
{ticket}

{kind}
Description (between the markers):
<<<
{description}
>>>"""


def build_improve_messages(
    request: GenerationRequest, content: dict, failures: list[str], fields: list[str]
) -> list[dict[str, str]]:
    """The chat messages asking a model to rewrite `fields` of `content` so that the checks
    in `failures` (one "Label: message" each) pass."""
    user = IMPROVE_PROMPT.format(
        failures="\n".join(f"- {failure}" for failure in failures),
        fields=", ".join(fields),
        ticket=json.dumps(content, ensure_ascii=False, indent=2),
        kind=get_kind(request.ticket_type).instruction,
        description=request.description,
    )
    if request.template is not None:
        user = "\n".join([user, *template_instructions(request.template)])
    if extra := language_instructions(request.language):
        user = "\n".join([user, *extra])
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(shape=json_shape())},
        {"role": "user", "content": user},
    ]
