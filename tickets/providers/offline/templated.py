"""The offline generator's ticket as the chosen template shapes it, where rules can: labels
picked only from the vocabulary, criteria written as a checklist (one outcome each), and a
note that the free-text house rules are the AI model's to apply. Hidden sections and the
priority scheme are applied by the schema (`TemplateSpec.shape`), as for a model's reply."""

from tickets.providers.prompts import GenerationRequest
from tickets.ticket_templates.spec import TemplateSpec

from . import english

HOUSE_RULES_NOTE = (
    "The template's house rules are free text: the AI model applies them, the offline "
    "generator does not, so check this ticket against them."
)


def apply_template(data: dict, request: GenerationRequest, described: str) -> dict:
    """`data` (the offline ticket before validation) shaped by `request.template`."""
    template: TemplateSpec | None = request.template
    if template is None:
        return data
    data = {**data}
    if template.labels:
        data["labels"] = vocabulary_labels(template.labels, data.get("labels") or [],
                                           f"{described} {request.product_area}")
    if template.checklist:
        data["acceptance_criteria"] = [checklist_item(criterion)
                                       for criterion in data["acceptance_criteria"]]
    if template.house_rules.strip():
        section = "summary" if template.hides("technical_notes") else "technical_notes"
        data[section] = f"{data.get(section, '')} {HOUSE_RULES_NOTE}".strip()
    return data


def vocabulary_labels(vocabulary: tuple[str, ...], found: list[str], text: str) -> list[str]:
    """The vocabulary's labels the ticket is about, in the vocabulary's order: those the
    generator found itself, and those (or each word of a hyphenated one) the text names."""
    words = set(english.words(text.lower()))
    found_set = {label.lower() for label in found}
    return [label for label in vocabulary
            if label in found_set or label in words
            or all(part in words for part in label.split("-") if part)]


def checklist_item(criterion: dict) -> dict:
    """A Given/When/Then criterion as one checklist outcome, keeping every word a tester
    needs: "A user on Safari: when they tap Pay now, the order is placed"."""
    given, when, then = (criterion.get(part, "").strip() for part in ("given", "when", "then"))
    outcome = f"when {when}, {then}" if when else then
    if given:
        outcome = f"{given[0].upper()}{given[1:]}: {outcome}"
    else:
        outcome = f"{outcome[0].upper()}{outcome[1:]}"
    item = {"given": "", "when": "", "then": outcome}
    if "origin" in criterion:
        item["origin"] = criterion["origin"]
    return item
