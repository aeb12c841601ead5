"""The messages MyBA posts in Slack, as Block Kit.

Ephemeral messages (only the person who asked sees them) answer a command or a click; the
finished ticket and a push's outcome go to the channel (`in_channel`). Every message carries
`text` too: the notification and screen-reader fallback. User text is escaped for mrkdwn
(`&`, `<`, `>`) so a ticket cannot ping a channel or forge a link.
"""

from django.conf import settings
from django.urls import reverse

from integrations.models import Kind

HEADER_MAX = 150  # Slack's limit for a header block
SECTION_MAX = 3000  # and for a section's text
CRITERIA_SHOWN = 8


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(markdown: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(markdown, SECTION_MAX)}}


def site_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def ephemeral(text: str) -> dict:
    """A plain message only the asker sees."""
    return {"response_type": "ephemeral", "text": text, "blocks": [_section(text)]}


def usage() -> dict:
    return ephemeral("Describe the work after the command, e.g. `/myba Let shoppers save their "
                     "cart and come back to it later`. You can also use the message shortcut "
                     "*Turn into ticket* on any message.")


def writing() -> dict:
    return ephemeral(":hourglass_flowing_sand: Writing your ticket… it appears here in a few "
                     "seconds.")


def link_prompt(url: str) -> dict:
    text = (f"First, link your MyBA account (once): <{url}|link this Slack account>. The link "
            "works for 15 minutes; then run the command again.")
    return {"response_type": "ephemeral", "text": text, "blocks": [
        _section(text),
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "open_link", "style": "primary", "url": url,
             "text": {"type": "plain_text", "text": "Link my MyBA account"}}]},
    ]}


def not_enough(*, cost: int, available: int, pool: str) -> dict:
    url = site_url("billing:pricing")
    text = (f"Not enough tokens: this ticket costs {cost} token{'s' if cost != 1 else ''} and "
            f"{pool} has {available} available. Nothing was charged. <{url}|Buy tokens>, then "
            "run the command again.")
    return ephemeral(text)


def ticket_result(ticket, *, push_kinds: list[str]) -> dict:
    """The finished ticket for the channel: title, user story, criteria, priority, estimate,
    a link to it in MyBA and a push button per tracker the workspace can send to."""
    view_url = site_url("tickets:detail", ticket.public_id)
    blocks: list[dict] = [{"type": "header", "text": {
        "type": "plain_text", "text": _clip(ticket.title or "Untitled ticket", HEADER_MAX)}}]
    story = ticket.user_story or ticket.summary
    if story:
        blocks.append(_section(f"*User story*\n{escape(story)}"))
    if ticket.acceptance_criteria:
        lines = [_criterion(c) for c in ticket.acceptance_criteria[:CRITERIA_SHOWN]]
        more = len(ticket.acceptance_criteria) - CRITERIA_SHOWN
        if more > 0:
            lines.append(f"_…and {more} more in MyBA_")
        blocks.append(_section("*Acceptance criteria*\n" + "\n".join(lines)))
    estimate = (f"{ticket.story_points} point{'s' if ticket.story_points != 1 else ''}"
                if ticket.story_points is not None else "—")
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*Priority*\n{ticket.get_priority_display() or '—'}"},
        {"type": "mrkdwn", "text": f"*Estimate*\n{estimate}"},
    ]})
    buttons = [{"type": "button", "action_id": "view_ticket", "url": view_url,
                "text": {"type": "plain_text", "text": "View in MyBA"}}]
    labels = dict(Kind.choices)
    for kind in push_kinds:
        name = labels[kind].removesuffix(" Cloud")
        buttons.append({"type": "button", "action_id": f"push_{kind}", "value": ticket.public_id,
                        "text": {"type": "plain_text", "text": f"Push to {name}"}})
    blocks.append({"type": "actions", "block_id": f"ticket_{ticket.public_id}",
                   "elements": buttons})
    return {"response_type": "in_channel", "text": f"Ticket: {ticket.title}", "blocks": blocks}


def _criterion(criterion: dict) -> str:
    if not criterion.get("given") and not criterion.get("when"):
        return f"• {escape(criterion.get('then', ''))}"
    return (f"• *Given* {escape(criterion.get('given', ''))} *when* "
            f"{escape(criterion.get('when', ''))} *then* {escape(criterion.get('then', ''))}")


def ticket_failed(ticket) -> dict:
    text = (f"The ticket could not be written: {ticket.error_message or 'something went wrong'} "
            "Nothing was charged.")
    return ephemeral(text)


def pushing(connection) -> dict:
    return ephemeral(f"Pushing to {connection.get_kind_display()} ({escape(connection.label)})…")


def push_result(push) -> dict:
    ticket = push.ticket
    if push.state == push.State.DONE:
        text = (f":white_check_mark: Created <{push.remote_url}|{escape(push.remote_key)}> in "
                f"{push.connection.get_kind_display()} from “{escape(ticket.title)}”.")
        return {"response_type": "in_channel", "text": f"Created {push.remote_key}",
                "blocks": [_section(text)]}
    url = site_url("tickets:detail", ticket.public_id)
    return ephemeral(f"Could not push “{escape(ticket.title)}” to "
                     f"{push.connection.get_kind_display()}: {escape(push.error)} "
                     f"<{url}|Open it in MyBA> to try again.")
