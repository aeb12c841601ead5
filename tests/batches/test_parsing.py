"""Reading a CSV: the file's problems refuse it, each row's problems stay with the row."""

import pytest

from tickets.batches.parsing import SAMPLE_CSV, BatchInvalid, parse_batch_csv

from .conftest import HEADER, csv_of, describe


def test_the_sample_is_valid():
    rows = parse_batch_csv(SAMPLE_CSV.encode())
    assert [row.errors for row in rows] == [[], [], []]
    assert rows[0].labels == ["billing", "export"]
    assert rows[0].product_area == "Billing" and rows[0].tech_stack == "Django"


def test_excel_bom_aliases_and_case_are_read():
    data = ("\ufeffDescription,Type,Quality,Context\n"
            f'"{describe(1)}",Bug,STANDARD,React\n').encode()
    [row] = parse_batch_csv(data)
    assert (row.ticket_type, row.quality, row.tech_stack, row.errors) == (
        "bug", "standard", "React", [])


def test_row_errors_use_the_generator_form_rules():
    data = (HEADER + 'Too short,story,standard,,,\n'
            f'"{describe(2)}",saga,standard,,,\n'
            f'"{describe(3)}",story,premium,,,\n'
            f'"{describe(4)}",story,standard,{"x" * 101},,\n'
            ',,,,,\n'  # blank: skipped, not numbered
            f'"{describe(5)}",story,standard,,,{";".join(f"l{i}" for i in range(11))}\n').encode()
    rows = parse_batch_csv(data)
    assert [row.number for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].errors == ["description: Add a little more detail: at least 20 characters "
                              "(you wrote 9)."]
    assert rows[1].errors[0].startswith("type: Choose ")
    assert rows[2].errors == ["quality: Choose Standard or Advanced."]
    assert rows[3].errors[0].startswith("product_area: ")
    assert rows[4].errors == ["labels: at most 10 labels (this row has 11)."]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty"),
    (b"   \n", "The file is empty"),
    (HEADER.encode(), "no rows"),
    (b"title,kind\nfoo,bar\n", "needs the columns description, type, quality"),
    (b"description,type\nfoo,bar\n", "needs the column quality"),
    ("description,type,quality\nCaf\xe9,story,standard\n".encode("latin-1"), "not a UTF-8"),
    (b"%PDF-1.4\x00\x01\x02", "binary data"),
    (b"x" * (1024 * 1024 + 1), "the limit is 1 MB"),
])
def test_file_errors(data, message):
    with pytest.raises(BatchInvalid) as raised:
        parse_batch_csv(data)
    assert message in raised.value.message


def test_too_many_rows(settings):
    settings.BATCH_MAX_ROWS = 500
    assert len(parse_batch_csv(csv_of(500))) == 500
    with pytest.raises(BatchInvalid, match="501 rows; a batch takes at most 500"):
        parse_batch_csv(csv_of(501))


def test_an_epic_row_is_refused_with_where_to_make_it():
    [row] = parse_batch_csv((HEADER + f'"{describe(5)}",epic,standard,,,\n').encode())
    assert row.errors and "An epic splits into stories, so it is made on its own" in (
        " ".join(row.errors))
