"""The scorecard is stored in English and shown in the reader's language: every label and
message the rules write for a range of flawed tickets has a translation in each interface
language (a message built from parts — numbers, quoted words, the part of the ticket it
names — included)."""

import pytest
from django.utils import translation

from tickets.quality import check_ticket
from tickets.quality.messages import translate

from .fake_openrouter import ticket_json

DESCRIPTION = ("Customers need PDF copies of invoices for their accountants, on iOS Safari, "
               "within 2 seconds, for 500 invoices.")
VAGUE = [{"given": "an invoice", "when": "I click Download", "then": f"it works properly {n}"}
         for n in range(9)]
FLAWS = [
    {}, {"title": ""}, {"title": "x" * 130}, {"title": DESCRIPTION[:60]},
    {"title": "Stuff", "summary": DESCRIPTION}, {"user_story": ""},
    {"user_story": "I want things"},
    {"user_story": "As a user, I want PDF so that so that I can"},
    {"user_story": "As a thing, I want PDF so that I get PDF"},
    {"acceptance_criteria": []}, {"acceptance_criteria": VAGUE[:1]},
    {"acceptance_criteria": [{"given": "a", "when": "", "then": "it works"}] * 2},
    {"acceptance_criteria": [{"given": "a", "when": "I click and I save", "then": "good"}] * 2},
    {"acceptance_criteria": VAGUE}, {"story_points": 1, "acceptance_criteria": VAGUE[:8]},
    {"technical_notes": DESCRIPTION}, {"summary": "Let customers export invoices as PDF"},
    {"technical_notes": "Customers need PDF copies of invoices for their accountants"},
    {"labels": []}, {"story_points": 0}, {"story_points": 4},
]
BUG_FLAWS = [{}, {"steps_to_reproduce": []}, {"steps_to_reproduce": ["Invoices", "PDF"]},
             {"expected_behaviour": ""}, {"actual_behaviour": ""},
             {"expected_behaviour": "A PDF", "actual_behaviour": "A PDF"},
             {"steps_to_reproduce": ["Open it"]}]


def scorecard_texts() -> set[str]:
    texts = set()
    for kind, flaws in (("story", FLAWS), ("task", FLAWS), ("bug", BUG_FLAWS)):
        for flaw in flaws:
            card = check_ticket({**ticket_json(kind), **flaw}, description=DESCRIPTION,
                                ticket_type=kind)
            for rule in card.to_dict()["rules"]:
                texts.update(text for text in (rule["label"], rule.get("message")) if text)
    return texts


@pytest.mark.parametrize("language", ["es", "fr", "de", "ar"])
def test_every_scorecard_text_the_rules_write_is_translated(language):
    texts = scorecard_texts()
    assert len(texts) > 40  # the flaws above reach most rules
    with translation.override(language):
        untranslated = [text for text in texts if translate(text) == text]
    assert untranslated == []


def test_a_message_naming_parts_of_the_ticket_reads_naturally():
    with translation.override("es"):
        assert translate("The summary repeats the title; say more than the title does.") == (
            "El resumen: repite el título; di más de lo que dice el título.")
        assert translate("The description is pasted into the technical notes and step 2; "
                         "quote it once at most and write the rest in your own words.") == (
            "La descripción está pegada en las notas técnicas y en el paso 2; cítala como "
            "mucho una vez y escribe el resto con tus propias palabras.")
        assert translate("Criteria 1, 2 and 3 have no When; say what the user or the system "
                         "does.").startswith("Los criterios 1, 2 y 3 no tienen Cuando")
