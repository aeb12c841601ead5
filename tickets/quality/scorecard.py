"""What the quality check returns: a score and a result per rule (stored as JSON)."""

from dataclasses import dataclass

# Bumped when a rule changes what it accepts: a stored scorecard names the version that made it.
CHECK_VERSION = "1"


@dataclass(frozen=True)
class RuleResult:
    key: str  # stable id, e.g. "criteria_observable" (filters, exports, the benchmark)
    label: str  # short name shown on the scorecard, e.g. "Observable outcomes"
    passed: bool
    message: str  # empty when passed; one plain sentence saying what is wrong when failed
    fields: tuple[str, ...]  # the content fields the rule reads (what "Improve" rewrites)

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "passed": self.passed,
                "message": self.message, "fields": list(self.fields)}

    @classmethod
    def from_dict(cls, data: dict) -> "RuleResult":
        return cls(key=data["key"], label=data["label"], passed=bool(data["passed"]),
                   message=data.get("message", ""), fields=tuple(data.get("fields", ())))


@dataclass(frozen=True)
class Scorecard:
    score: int  # 0–100
    results: tuple[RuleResult, ...]  # the rules that applied, in RULES order
    version: str = CHECK_VERSION
    # A template's free-text Definition of Ready items: shown for the team to confirm, never
    # scored (no rule can judge "designs attached").
    to_confirm: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Every applicable rule passed."""
        return all(result.passed for result in self.results)

    @property
    def failing(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    @property
    def failing_fields(self) -> tuple[str, ...]:
        """The content fields some failing rule reads, in first-seen order."""
        fields: dict[str, None] = {}
        for result in self.failing:
            fields.update(dict.fromkeys(result.fields))
        return tuple(fields)

    def to_dict(self) -> dict:
        data = {"score": self.score, "version": self.version,
                "rules": [result.to_dict() for result in self.results]}
        if self.to_confirm:
            data["to_confirm"] = list(self.to_confirm)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Scorecard":
        return cls(score=int(data["score"]), version=str(data.get("version", "")),
                   results=tuple(RuleResult.from_dict(rule) for rule in data.get("rules", ())),
                   to_confirm=tuple(str(item) for item in data.get("to_confirm", ())))


# Rules a model's reply must pass or get one repair round (tickets/providers/chain.py), as
# invalid JSON does: without them the ticket is not usable at all.
HARD_RULES = frozenset({"title_length", "criteria_count", "story_form", "bug_steps",
                        "bug_expected_actual"})
