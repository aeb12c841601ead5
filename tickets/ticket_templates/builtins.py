"""The built-in templates: everyone may use them, nobody may edit them (copy one to change it).

Defined here in code, not seeded by a data migration: they are versioned with the rules that
read them, exist in every database (test databases flushed between tests included), and their
ids are slugs that can never collide with a saved template's random public id. A ticket made
with one keeps its snapshot, so changing a built-in here never rewrites an old ticket's check.
"""

from tickets.quality.readiness import ReadyItem
from tickets.ticket_templates.spec import TemplateSpec

BUILTINS: dict[str, TemplateSpec] = {
    spec.id: spec
    for spec in (
        TemplateSpec(
            id="scrum-story",
            name="Scrum story",
            ticket_type="story",
            sections=("user_story", "labels", "story_points", "technical_notes"),
            priority_scheme="moscow",
            criteria_style="gwt",
            ready=(
                ReadyItem(check="user_story"),
                ReadyItem(check="estimate"),
                ReadyItem(check="min_criteria", n=3),
                ReadyItem(check="no_open_questions"),
                ReadyItem(text="The product owner has agreed the acceptance criteria"),
                ReadyItem(text="Designs are linked where the story changes a screen"),
            ),
            house_rules=(
                "Write titles in the imperative and name the change the user sees "
                "(\"Let shoppers save their cart\"). Write the user story from the point of "
                "view of the person who benefits. The story must fit in one sprint: if it does "
                "not, say in the technical notes how to split it."
            ),
            builtin=True,
        ),
        TemplateSpec(
            id="bug-report",
            name="Bug report",
            ticket_type="bug",
            # Bugs are ordered by priority, not estimated.
            sections=("labels", "technical_notes"),
            labels=("frontend", "backend", "api", "mobile", "payments", "auth", "data",
                    "performance", "security", "email", "regression"),
            priority_scheme="p_levels",
            criteria_style="checklist",
            ready=(
                ReadyItem(check="reproduction"),
                ReadyItem(check="area_label"),
                ReadyItem(check="min_criteria", n=2),
                ReadyItem(text="Reproduced on the latest release"),
                ReadyItem(text="Severity agreed with support"),
            ),
            house_rules=(
                "The title names the broken behaviour and where it happens, never the fix. "
                "Name the environment (browser, device, app version) in the steps. Quote error "
                "messages exactly. Each checklist item is something a tester can see once it "
                "is fixed."
            ),
            builtin=True,
        ),
        TemplateSpec(
            id="tech-task",
            name="Tech task",
            ticket_type="task",
            sections=("labels", "story_points", "technical_notes"),
            priority_scheme="standard",
            criteria_style="checklist",
            ready=(
                ReadyItem(check="estimate"),
                ReadyItem(check="min_criteria", n=2),
                ReadyItem(check="no_open_questions"),
                ReadyItem(text="A rollback plan is agreed"),
            ),
            house_rules=(
                "Say in the summary why the work is needed now. List the concrete steps and "
                "the risks in the technical notes. Every checklist item is a check anyone on "
                "the team can run."
            ),
            builtin=True,
        ),
        TemplateSpec(
            id="spike",
            name="Spike",
            ticket_type="task",
            # A spike is time-boxed, not estimated; its open questions are the point.
            sections=("labels", "technical_notes"),
            priority_scheme="standard",
            criteria_style="checklist",
            ready=(
                ReadyItem(check="min_criteria", n=2),
                ReadyItem(text="The time box is agreed (two days at most)"),
                ReadyItem(text="Someone will act on the findings"),
            ),
            house_rules=(
                "Start the title with \"Spike:\" and name the question to answer. The summary "
                "states the question and the time box. The checklist lists the findings to "
                "deliver (a recommendation, a prototype, a written comparison), never "
                "production code."
            ),
            builtin=True,
        ),
    )
}
