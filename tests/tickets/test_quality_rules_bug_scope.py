"""The quality rules on bug reports (steps, expected and actual, environment) and on the
whole ticket (estimate, copies) (issue 13)."""

import pytest

from tests.tickets.test_quality_rules import (
    GOOD_TICKETS,
    numbered_criteria,
    results,
    with_criterion,
)

# --- bug reports ----------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [
    ["Sign in on an iPhone in iOS Safari", "Open Profile > Edit picture"],
    ["1. Log in as any user", "2) Double-click Apply", "Then look at the total"],
    ["On iOS Safari, open the profile page", "Tap Edit picture", "Pick a 3MB photo"],
])
def test_bug_steps_that_are_actions(steps):
    assert results("bug", steps_to_reproduce=steps)["bug_steps"].passed


@pytest.mark.parametrize(("steps", "why"), [
    ([], "no steps"),
    (["Open Profile > Edit picture"], "one step"),
    ([GOOD_TICKETS["bug"][0], "Open Profile > Edit picture"], "Step 1 repeats the description"),
    (["Upload is broken on iOS", "Nothing is shown"], "Only 0 of the 2 steps"),
    (["Search is broken for large pictures", "Open Profile > Edit picture"], "Only 1 of the 2"),
])
def test_bug_steps_that_are_not(steps, why):
    result = results("bug", steps_to_reproduce=steps)["bug_steps"]
    assert not result.passed and why in result.message


def test_bug_steps_copied_from_a_sentence_of_the_description():
    description = ("Discount codes are applied twice if the customer clicks Apply quickly two "
                   "times. We lost about 400€ last weekend.")
    steps = ["Add a product to the cart", "we lost about 400€ last weekend"]
    assert not results("bug", description=description,
                       steps_to_reproduce=steps)["bug_steps"].passed


@pytest.mark.parametrize(("expected", "actual", "passes"), [
    ("The picture is saved.", "The spinner never stops.", True),
    ("Prices read 12,50 €.", "Prices read 12.50 €.", True),  # one character is a difference
    ("The picture is saved.", "the picture is saved", False),
    ("", "The spinner never stops.", False),
    ("The picture is saved.", "", False),
])
def test_bug_expected_differs_from_actual(expected, actual, passes):
    result = results("bug", expected_behaviour=expected, actual_behaviour=actual)
    assert result["bug_expected_actual"].passed is passes


def test_bug_environment_is_named_when_the_description_gives_one():
    description = ("Since release 5.4 Android users are signed out when they switch apps, on "
                   "Android 14 with a Pixel 7.")
    named = ["Install release 5.4 on a Pixel 7 with Android 14", "Sign in", "Switch apps"]
    assert results("bug", description=description,
                   steps_to_reproduce=named)["bug_environment"].passed
    unnamed = ["Install the app", "Sign in", "Switch apps"]
    result = results("bug", description=description, steps_to_reproduce=unnamed,
                     summary="Users are signed out when they switch apps.",
                     acceptance_criteria=numbered_criteria(2))["bug_environment"]
    assert not result.passed
    assert "“Pixel”" in result.message and "“7”" in result.message and "“5.4”" in result.message


def test_bug_environment_found_in_the_criteria_alone():
    description = "The Kanban board drag and drop does not work on Firefox 128."
    criteria = with_criterion("bug", 0, given="a user on Firefox 128 with the Kanban board open")
    result = results("bug", description=description, summary="Cards snap back.",
                     steps_to_reproduce=["Open the board", "Drag a card"],
                     acceptance_criteria=criteria)
    assert result["bug_environment"].passed


def test_bug_environment_does_not_apply_without_one():
    assert "bug_environment" not in results("bug", description="login broken")


def test_bug_rules_do_not_apply_to_other_kinds():
    checked = results("task")
    assert not {"bug_steps", "bug_expected_actual", "bug_environment"} & set(checked)


# --- estimate and copies --------------------------------------------------------------------


@pytest.mark.parametrize(("points", "criteria", "description", "passes"), [
    (3, 3, None, True),
    (None, 3, None, False),
    (4, 3, None, False),  # not on the scale
    (1, 4, None, True),
    (1, 5, None, False),
    (2, 6, None, True),
    (2, 7, None, False),
    (13, 2, "dark mode for the app", False),
    (8, 2, "dark mode for the app", False),
    (8, 3, "dark mode for the app", True),
    (13, 2, " ".join(["word"] * 21), True),
    ("3", 3, None, True),  # a number in a string
])
def test_estimate_fits_the_scope(points, criteria, description, passes):
    result = results(story_points=points, acceptance_criteria=numbered_criteria(criteria),
                     description=description)
    assert result["estimate"].passed is passes, result["estimate"].message


def test_no_copy_of_the_description():
    description = GOOD_TICKETS["bug"][0]
    for field in ("summary", "actual_behaviour", "technical_notes"):
        result = results("bug", **{field: description + "."})["no_copy"]
        assert not result.passed and "the description word for word" in result.message


def test_a_long_quote_of_the_description_is_allowed_once():
    sentence = ("Users on iOS Safari can't upload profile pictures larger than 2MB, the spinner "
                "never stops")  # 16 words of the description
    once = results("bug", actual_behaviour=f"{sentence}; nothing else happens.")
    assert once["no_copy"].passed
    twice = results("bug", actual_behaviour=f"{sentence}; nothing else happens.",
                    technical_notes=f"Reported as: {sentence}.")
    assert not twice["no_copy"].passed
    assert "pasted into the technical notes and the actual behaviour" in twice["no_copy"].message


def test_twelve_words_of_the_description_are_a_short_quote():
    twelve = "Safari can't upload profile pictures larger than 2MB, the spinner never"
    assert results("bug", actual_behaviour=twelve, technical_notes=twelve + " stops.",
                   )["no_copy"].passed


def test_no_field_repeats_another():
    summary = GOOD_TICKETS["feature"][1]["summary"]
    result = results(technical_notes=summary)["no_copy"]
    assert not result.passed and "The technical notes repeats the summary" in result.message
    title = GOOD_TICKETS["feature"][1]["title"]
    assert not results(summary=title)["no_copy"].passed
    steps = ["Open Profile > Edit picture", "Choose a photo larger than 2MB",
             "Open Profile > Edit picture"]
    assert not results("bug", steps_to_reproduce=steps)["no_copy"].passed


def test_pairs_other_rules_judge_are_not_copies():
    same = "The picture is saved and the spinner stops."
    checked = results("bug", expected_behaviour=same, actual_behaviour=same)
    assert checked["no_copy"].passed and not checked["bug_expected_actual"].passed
    criteria = with_criterion("bug", 0, then="the picture is refused with a message naming the "
                                             "2MB limit, and the spinner stops")
    assert results("bug", acceptance_criteria=criteria)["no_copy"].passed
