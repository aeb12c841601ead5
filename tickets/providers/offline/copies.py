"""Say each thing once: no field pastes the description, and no two fields repeat each other.

A run of COPY_RUN words shared with the description is a paste (the quality check's
definition): one field may quote the description that long (a story written from a
description that already is one), a second may not. A run shared by two fields is the same
thing said twice, except between a bug's expected and actual behaviour and the criteria that
check them. Run last, `say_once` keeps the words where they are first said (story, then
behaviours, criteria, steps, summary) and shortens a later field at a phrase boundary so it
names the thing in fewer words, or drops a summary sentence or a criterion that only repeats.
"""

import re

from tickets.quality.scope_rules import COPY_RUN_WORDS as COPY_RUN

from .english import word_set

_WORD_RE = re.compile(r"[^\W_]+(?:(?<=\d)[.,:](?=\d)[^\W_]+)*")
_BOUNDARY = word_set("""
when while because so and but with for from on in after before by via to as of at if which that
who where than or
""")
_DANGLING = _BOUNDARY | word_set("the a an my our their its is are was were has have be")
# Parts that may share words: what a bug does and the criteria that check it.
_MAY_SHARE = ({"expected_behaviour", "actual_behaviour"}, {"criterion"},
              {"criterion", "expected_behaviour"}, {"criterion", "actual_behaviour"})


def _words(text: str) -> list[str]:
    return [match.group(0).casefold() for match in _WORD_RE.finditer(text)]


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + COPY_RUN]) for i in range(len(words) - COPY_RUN + 1)}


def _kind(name: str) -> str:
    return name.split(":")[0]


def _may_share(first: str, second: str) -> bool:
    pair = {_kind(first), _kind(second)}
    return pair in _MAY_SHARE or (len(pair) == 1 and _kind(first) == "criterion")


def shorten(text: str, runs: set[tuple[str, ...]]) -> str:
    """`text` cut before the first of `runs` is complete, at a phrase boundary; "" when too
    little would be left to say anything."""
    matches = list(_WORD_RE.finditer(text))
    words = [match.group(0).casefold() for match in matches]
    start = next((i for i in range(len(words) - COPY_RUN + 1)
                  if tuple(words[i:i + COPY_RUN]) in runs), None)
    if start is None:
        return text
    keep = start + COPY_RUN - 2
    while keep > 0 and words[keep - 1] not in _BOUNDARY and keep > start:
        keep -= 1
    while keep > 0 and words[keep - 1] in _DANGLING:
        keep -= 1
    if keep < 3:
        return ""
    return text[: matches[keep - 1].end()].rstrip(" ,;:(")


def _parts(data: dict) -> list[tuple[str, str]]:
    """(name, text) of the free-text parts, in the order their words are kept."""
    parts = [("user_story", data.get("user_story", "")),
             ("actual_behaviour", data.get("actual_behaviour", "")),
             ("expected_behaviour", data.get("expected_behaviour", ""))]
    parts += [(f"criterion:{index}:{part}", item[part])
              for index, item in enumerate(data["acceptance_criteria"])
              for part in ("given", "when", "then")]
    parts += [(f"step:{index}", step) for index, step in enumerate(data.get(
        "steps_to_reproduce", []))]
    parts += [(f"summary:{index}", sentence) for index, sentence in enumerate(
        re.split(r"(?<=[.!?])\s+", data.get("summary", "")))]
    return [(name, text) for name, text in parts if text]


def _set(data: dict, name: str, text: str) -> None:
    kind, *where = name.split(":")
    if kind == "criterion":
        data["acceptance_criteria"][int(where[0])][where[1]] = text
    elif kind == "step":
        data["steps_to_reproduce"][int(where[0])] = text
    elif kind == "summary":
        sentences = re.split(r"(?<=[.!?])\s+", data["summary"])
        sentences[int(where[0])] = f"{text}." if text and not text.endswith((".", "!", "?")) \
            else text
        data["summary"] = " ".join(sentence for sentence in sentences if sentence)
    else:
        data[kind] = text


def _whole(data: dict, name: str) -> str:
    """The text the check reads for a part: a criterion is its three clauses together."""
    if name.startswith("criterion:"):
        item = data["acceptance_criteria"][int(name.split(":")[1])]
        return f"{item['given']} {item['when']} {item['then']}"
    return dict(_parts(data)).get(name, "")


def say_once(data: dict, description: str) -> dict:
    """`data` with every paste beyond the first and every repeat between fields shortened."""
    described = _runs(_words(description))
    for _ in range(3):
        pasted_in: set[str] = set()
        seen: dict[tuple[str, ...], str] = {}
        changed = False
        for name, text in _parts(data):
            owner = name.rsplit(":", 1)[0] if name.startswith("criterion:") else name
            own = _runs(_words(_whole(data, name) if name.startswith("criterion:") else text))
            clause_runs = _runs(_words(text))
            pasted = own & described
            repeated = {run for run in own if run in seen and seen[run] != owner
                        and not _may_share(seen[run], owner)}
            if pasted and pasted_in - {owner}:
                bad = (pasted | repeated) & clause_runs or pasted | repeated
            elif repeated:
                bad = repeated & clause_runs or repeated
            else:
                bad = set()
            if bad:
                shorter = shorten(text, bad)
                if not shorter and name.startswith("criterion:") and len(
                        data["acceptance_criteria"]) > 2:
                    del data["acceptance_criteria"][int(name.split(":")[1])]
                    changed = True
                    break
                _set(data, name, shorter or (text if name.startswith("criterion:") else ""))
                changed = True
                continue
            if pasted:
                pasted_in.add(owner)
            for run in own:
                seen.setdefault(run, owner)
        if not changed:
            break
    data["steps_to_reproduce"] = [step for step in data.get("steps_to_reproduce", []) if step]
    return data
