"""The ledger's hand-written statements agree with the models they write.

The hot path (tokens/services/_core.py) inserts rows with plain SQL for speed; a column
added to a model and forgotten there would silently be left at its database default.
"""

import pytest

from tokens.models import Hold, LedgerEntry, Lot, LotConsumption, LotSource
from tokens.services import _core


def concrete_columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields if not field.primary_key}


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        (LedgerEntry, _core.ENTRY_COLUMNS),
        (Lot, _core.LOT_COLUMNS),
        (Hold, _core.HOLD_COLUMNS),
        (LotConsumption, _core.CONSUMPTION_COLUMNS),
    ],
    ids=["entry", "lot", "hold", "consumption"],
)
def test_insert_statements_name_every_column_of_their_model(model, columns):
    assert len(columns) == len(set(columns))
    assert set(columns) == concrete_columns(model)


def test_the_spend_order_ranks_every_lot_source_once():
    assert sorted(_core.SOURCE_SPEND_ORDER) == sorted(LotSource)
    for rank, source in enumerate(_core.SOURCE_SPEND_ORDER):
        assert f"WHEN '{source.value}' THEN {rank}" in _core.SPEND_ORDER_SQL
    assert _core.SPEND_ORDER_SQL in _core._TAKE_FIRST_LOT_SQL
    assert _core.SPEND_ORDER_SQL in _core._OPEN_LOTS_SQL
