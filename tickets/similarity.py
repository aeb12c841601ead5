"""Likely duplicates: the finished tickets of a library that ask for what a new description
asks for (issue 16). A read: nothing is written, nothing reserved.

The score of a ticket against a new description is the mean of two figures, both 0..1:
- how much of the ticket's title shows up in the description (pg_trgm's
  `word_similarity(title, description)`): a title names the change, so "Bulk delete products"
  tells a paraphrase of it from "change the price of several products";
- how many words they share (Jaccard over PostgreSQL's English lexemes of the ticket's title
  and description and of the new description: stemmed, stop words left out).
That mix was chosen on the "tune" half of tests/tickets/data/duplicate_pairs.json among
trigram similarity, full-text rank, lexeme overlap and their mixes (bench/duplicates.py
prints the figures); DUPLICATE_THRESHOLD says where the line is.

On PostgreSQL the candidates come through GIN indexes (migration 0014): titles sharing at
least two words with the new description (full-text search), or descriptions whose trigram
word similarity holds the new description's first words (the `%>` operator under
`pg_trgm.word_similarity_threshold`); only the CANDIDATES best of those by title match are
scored. The zero-setup SQLite run has neither, so there the latest FALLBACK_TICKETS tickets
are scored in Python with the same mix, approximated.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations

from django.db import connection, transaction
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from tickets.forms import DESCRIPTION_MIN, count_characters
from tickets.models import Status, Ticket

# Chosen by bench/duplicates.py on the tune half of the labelled pairs (34): the threshold
# with the best recall whose precision is at least 0.9 (tune: precision 1.00, recall 0.59),
# set midway to the next lower score seen (0.399). On the held-out half (16 duplicates, 16
# not) it gives precision 1.00 and recall 0.50. Lexical overlap cannot tell "delete several
# products" from "change the price of several products" when the rest is worded alike: the
# threshold keeps precision (a wrong warning costs trust) and lets some paraphrases through
# unwarned.
DUPLICATE_THRESHOLD = 0.40
# The trigram route (see `_CANDIDATE`): a retype of a description, not a paraphrase (the
# title route finds those).
RETYPE_WORDS = 12
RETYPE_SIMILARITY = 0.8
CANDIDATES = 20
SHOWN = 3
FALLBACK_TICKETS = 300


@dataclass(frozen=True)
class SimilarTicket:
    public_id: str
    title: str
    score: float  # 0..1

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def find_similar_tickets(
    tickets: QuerySet[Ticket],
    description: str,
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    limit: int = SHOWN,
) -> list[SimilarTicket]:
    """The finished tickets among `tickets` (the library the person may see: pass
    `workspace_tickets(request)`) that look like duplicates of `description`, best first:
    at most `limit`, each scoring at least `threshold`. A description shorter than the
    generator's minimum answers nothing. Reads only."""
    text = description.strip()
    if count_characters(text) < DESCRIPTION_MIN:
        return []
    tickets = tickets.filter(status=Status.SUCCEEDED)
    if connection.vendor == "postgresql":
        scored = _score_in_postgresql(tickets, text)
    else:
        scored = _score_in_python(tickets, text)
    found = sorted((ticket for ticket in scored if ticket.score >= threshold),
                   key=lambda ticket: -ticket.score)
    return found[:limit]


# --- PostgreSQL ----------------------------------------------------------------------------

# Written as migration 0014 indexes them (an expression index serves only the same
# expression, its literals written out rather than passed as parameters). Columns are left
# unqualified: they name the scanned ticket, whatever alias the queryset gives its table.
_TITLE_VECTOR = "to_tsvector('english'::regconfig, title)"
# Two routes to a candidate, each through its GIN index (a BitmapOr):
# - its title shares at least two words with the new description (full-text search): a
#   title sharing fewer cannot match it well enough to pass DUPLICATE_THRESHOLD (the
#   labelled duplicates it leaves out all score under it);
# - its description holds the start of the new one nearly word for word (a retype, or a
#   paste): the new description's first RETYPE_WORDS words, stop words left out, found in
#   it with a trigram word similarity of at least RETYPE_SIMILARITY (`%>`). Few words and a
#   high threshold keep the index scan short; common words would make it read every row.
_CANDIDATE = f"({_TITLE_VECTOR} @@ %s::tsquery OR description %%> %s)"
_WORDS = "tsvector_to_array(to_tsvector('english'::regconfig, title || ' ' || description))"
_NEW_WORDS = "tsvector_to_array(to_tsvector('english'::regconfig, %s))"
# |A ∩ B| / |A ∪ B|; tsvector_to_array gives each lexeme once.
_SHARED_WORDS = f"""(
  SELECT CASE WHEN w.shared = 0 THEN 0.0
              ELSE w.shared::float / (w.mine + w.theirs - w.shared) END
  FROM (SELECT cardinality(a.mine) AS mine, cardinality(a.theirs) AS theirs,
               (SELECT count(*) FROM unnest(a.mine) AS m WHERE m = ANY(a.theirs)) AS shared
        FROM (SELECT {_WORDS} AS mine, {_NEW_WORDS} AS theirs) AS a) AS w
)"""  # noqa: S608 (constants; the new description is a parameter)
# The title route looks at the new description's first words (its gist, usually): the
# pairs of 24 lexemes make a query of 276 alternatives; all of a long text's would be slow.
QUERY_WORDS = 24


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def two_of(lexemes: list[str]) -> str:
    """A tsquery matching a text that holds at least two of `lexemes` (one when there is only
    one; none when there are none)."""
    if len(lexemes) < 2:
        return " | ".join(_quote(lexeme) for lexeme in lexemes) or "''"
    return " | ".join(f"({_quote(a)} & {_quote(b)})" for a, b in combinations(lexemes, 2))


def first_words(text: str) -> str:
    """The first RETYPE_WORDS words of `text`, lower case, stop words left out."""
    words = [word for word in _WORD.findall(text.lower()) if word not in _STOP_WORDS]
    return " ".join(words[:RETYPE_WORDS])


def scoring_query(tickets: QuerySet[Ticket], text: str, *, title_query: str) -> QuerySet:
    """The PostgreSQL query: (public id, title, title match, shared words) of the CANDIDATES
    best candidates (`title_query`: `two_of` the new description's first lexemes). Run it
    in `_check_transaction` (`_score_in_postgresql`);
    EXPLAIN it through `.query.sql_with_params()`."""
    # RawSQL (S611): constant SQL, the description always a parameter.
    return (
        tickets.filter(RawSQL(_CANDIDATE, [title_query, first_words(text)],  # noqa: S611
                              output_field=BooleanField()))
        .annotate(
            title_match=RawSQL("word_similarity(title, %s)", [text],  # noqa: S611
                               output_field=FloatField()),
            # PostgreSQL computes this costly one after the sort, for the CANDIDATES kept.
            shared=RawSQL(_SHARED_WORDS, [text], output_field=FloatField()),  # noqa: S611
        )
        .order_by("-title_match", "-id")
        .values_list("public_id", "title", "title_match", "shared")[:CANDIDATES]
    )


# One statement: the check's settings for this transaction, and the new description's first
# QUERY_WORDS lexemes in the order written.
_SETTINGS_AND_LEXEMES = """
SELECT set_config('pg_trgm.word_similarity_threshold', %s, true),
       set_config('enable_indexscan', 'off', true),
       set_config('cpu_operator_cost', '0.01', true),
       array(SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, %s))
             ORDER BY positions[1] LIMIT %s)
"""


@contextmanager
def _check_transaction(text: str):
    """A read-only transaction set for the check, giving the title query (`two_of` the new
    description's first lexemes). LOCAL settings, ending with it: `%>` compares with
    RETYPE_SIMILARITY, and candidates are read through the GIN indexes' bitmaps.

    Left to itself, PostgreSQL walks a library of a few thousand tickets by its owner index
    and tests every row, because it prices the trigram and full-text tests at one operator
    each (they parse the text: about 75 us a row here): 290 ms for 3,000 tickets, against
    15-21 ms through the bitmaps. Operators priced at four times the default, and no plain
    index scans, make it read the candidates through the indexes whatever the library's size
    (tests/tickets/test_duplicates.py checks the plan)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SETTINGS_AND_LEXEMES, [str(RETYPE_SIMILARITY), text, QUERY_WORDS])
        yield cursor, two_of(cursor.fetchone()[3])


def _score_in_postgresql(tickets: QuerySet[Ticket], text: str) -> list[SimilarTicket]:
    with _check_transaction(text) as (_, title_query):
        query = scoring_query(tickets, text, title_query=title_query)
        return [SimilarTicket(public_id, title, (title_match + shared) / 2)
                for public_id, title, title_match, shared in query]


def explain(tickets: QuerySet[Ticket], description: str, *, analyze: bool = True) -> list[str]:
    """PostgreSQL's plan of the check of `description` against the finished `tickets`, as
    `find_similar_tickets` runs it (for tests and bench/duplicates.py)."""
    text = description.strip()
    with _check_transaction(text) as (cursor, title_query):
        query = scoring_query(tickets.filter(status=Status.SUCCEEDED), text,
                              title_query=title_query)
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {'(ANALYZE, BUFFERS) ' if analyze else ''}{sql}", params)
        return [line for (line,) in cursor.fetchall()]


# --- The zero-setup run (SQLite): the same mix, approximated in Python ---------------------

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "has", "have", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of",
    "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "to", "too", "up", "us", "was", "we", "when", "which", "while", "who", "will",
    "with", "would", "you", "your"))
_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def lexemes(text: str) -> set[str]:
    """Roughly what PostgreSQL's English configuration keeps: words, stemmed, no stop words."""
    return {_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP_WORDS}


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word lower-cased, padded with two spaces before, one after."""
    grams = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def fallback_score(*, title: str, description: str, text: str) -> float:
    """The PostgreSQL score without pg_trgm: the share of the title's trigrams found in the
    new description, and the Jaccard overlap of `lexemes`."""
    title_grams = trigrams(title)
    title_match = len(title_grams & trigrams(text)) / len(title_grams) if title_grams else 0.0
    mine, theirs = lexemes(f"{title} {description}"), lexemes(text)
    union = mine | theirs
    shared = len(mine & theirs) / len(union) if union else 0.0
    return (title_match + shared) / 2


def _score_in_python(tickets: QuerySet[Ticket], text: str) -> list[SimilarTicket]:
    rows = tickets.order_by("-created_at", "-id").values_list(
        "public_id", "title", "description")[:FALLBACK_TICKETS]
    return [SimilarTicket(public_id, title,
                          fallback_score(title=title, description=description, text=text))
            for public_id, title, description in rows]
