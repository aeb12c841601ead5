"""Ticket templates: saved choices of how a ticket is written (which optional sections appear,
the label vocabulary, the priority scheme, the acceptance-criteria style, a Definition of
Ready and house rules), personal or a team's, plus the built-ins everyone may use.

`spec.py` is the settings as plain data (`TemplateSpec`, snapshotted onto every ticket made
with a template, so a later edit never changes what a ticket was checked against);
`builtins.py` the built-ins; `selectors.py` / `services.py` the reads and writes of saved
templates (`tickets.models.TicketTemplate`); `forms.py` / `views.py` the pages.
"""
