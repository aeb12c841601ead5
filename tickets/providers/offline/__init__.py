"""The offline generator: a ticket from the description by fixed rules, with no network.

Used when no AI provider is configured (and as a fallback where allowed), so the whole product
and its token flow work on a laptop. The same input always gives the same ticket, and the
ticket says where it came from (`OFFLINE_NOTE` in its technical notes, generator "offline").
What differs per kind is the kind's `OfflineRules` in tickets/kinds.py.

The modules, in the order a ticket is made: `reading` reads the description (with `roles`
for who asks, `phrases` for splitting it into actions and requirements, `facts` for its
sizes, platforms and names) and `bug_reading` a bug report (with `conditions` for turning its
"when …" into steps); `outcomes` knows what actions visibly do and why people want them, and
`feature_topics` what to check for features known by name; `feature_criteria`,
`bug_criteria` and `task_criteria` write the acceptance criteria, `criteria` holding what they
share (and carrying the description's facts into them); `titles` writes the title, `prose`
the story and summary, `bug_report` a bug's steps and behaviours, `sizing` priority, labels
and points; `copies` makes sure each thing is said once; `english` is the word-level grammar
they all use; `generator` puts a ticket together and is the `Provider`.
"""

from .generator import (
    MODEL_NAME,
    NAME,
    OFFLINE_NOTE,
    OfflineProvider,
    from_settings,
    generate_offline,
)

__all__ = ["MODEL_NAME", "NAME", "OFFLINE_NOTE", "OfflineProvider", "from_settings",
           "generate_offline"]
