"""The price table is read from the shared cache, and a change is served from the moment it
commits — never a table read before it, even one written back to the cache late."""

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.builders import set_price
from tests.helpers import in_thread
from tokens.exceptions import UnknownPrice
from tokens.models import Price
from tokens.selectors import PRICE_TABLE, active_prices, get_price


@pytest.mark.django_db(transaction=True)
def test_prices_are_read_once_then_served_from_the_cache(prices, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert get_price("ticket.standard").tokens == 1
    with django_assert_num_queries(0):
        assert get_price("ticket.advanced").tokens == 3
        assert active_prices()["ticket.standard"].label


@pytest.mark.django_db
def test_a_saved_change_is_served_at_once(prices):
    assert get_price("ticket.advanced").tokens == 3
    set_price("ticket.advanced", tokens=4)
    assert get_price("ticket.advanced").tokens == 4
    set_price("ticket.advanced", active=False)
    with pytest.raises(UnknownPrice):
        get_price("ticket.advanced")
    Price.objects.create(feature_key="export.pdf", tokens=2, label="PDF export")
    assert get_price("export.pdf").tokens == 2
    Price.objects.filter(feature_key="export.pdf").get().delete()
    with pytest.raises(UnknownPrice):
        get_price("export.pdf")


@pytest.mark.django_db(transaction=True)
def test_a_table_read_before_a_change_is_never_served_after_it(prices):
    """Another process read the old table, the change commits, then that process writes the
    old table back to the cache: the next read still sees the change."""
    get_price("ticket.standard")
    version_before, stale = cache.get(PRICE_TABLE.version_key), cache.get(PRICE_TABLE.table_key)

    thread, finished = in_thread(lambda: set_price("ticket.standard", tokens=2))
    thread.join()
    assert finished == [None]  # the change committed on another connection
    cache.set(PRICE_TABLE.table_key, stale)  # the late write of the slow reader

    assert cache.get(PRICE_TABLE.version_key) != version_before
    assert get_price("ticket.standard").tokens == 2


def assert_standard_price_everywhere(tokens: int) -> None:
    """Served to this process, and to another one (which keeps nothing in memory yet)."""
    assert get_price("ticket.standard").tokens == tokens
    PRICE_TABLE._seen = None
    assert get_price("ticket.standard").tokens == tokens


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rolled_back", ["transaction", "savepoint"])
def test_a_change_that_rolls_back_is_never_served(prices, rolled_back):
    """The transaction that changed a price sees its change; once it rolls back, neither this
    process nor another one (which keeps nothing in memory) is served the price it saw."""
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            set_price("ticket.standard", tokens=7)
            assert get_price("ticket.standard").tokens == 7
            raise RuntimeError("the admin's form failed after the save")
        if rolled_back == "savepoint":
            assert get_price("ticket.standard").tokens == 1
    assert_standard_price_everywhere(1)


@pytest.mark.django_db(transaction=True)
def test_a_change_outside_a_rolled_back_savepoint_is_still_uncommitted(prices):
    with pytest.raises(RuntimeError), transaction.atomic():
        set_price("ticket.standard", tokens=5)
        with pytest.raises(RuntimeError), transaction.atomic():
            set_price("ticket.standard", tokens=7)
            raise RuntimeError("the inner step failed")
        assert get_price("ticket.standard").tokens == 5
        raise RuntimeError("then the whole change failed")
    assert_standard_price_everywhere(1)


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_read_inside_its_transaction_is_served_after_it(prices):
    with transaction.atomic():
        set_price("ticket.standard", tokens=7)
        assert get_price("ticket.standard").tokens == 7
    assert_standard_price_everywhere(7)


@pytest.mark.django_db(transaction=True)
def test_a_lost_cache_reads_the_database_again(prices):
    assert get_price("ticket.standard").tokens == 1
    Price.objects.filter(feature_key="ticket.standard").update(tokens=5)  # no signal
    cache.clear()  # Redis restarted or the key evicted
    assert get_price("ticket.standard").tokens == 5


@pytest.fixture
def in_request():
    """What Django's request_started/request_finished do for the shared tables (sending the
    signals here would also close the test's database connection)."""
    from config import shared_tables

    shared_tables.start_request()
    yield shared_tables
    shared_tables.finish_request()


@pytest.mark.django_db
def test_a_change_made_during_a_request_is_served_to_that_request(prices, in_request):
    assert get_price("ticket.standard").tokens == 1
    set_price("ticket.standard", tokens=2)
    assert get_price("ticket.standard").tokens == 2


@pytest.mark.django_db(transaction=True)
def test_the_next_request_sees_a_change_another_process_committed(prices, in_request):
    """This process keeps the table it has seen; the version read at the next request's
    start says it changed, even when the slow reader wrote the old table back late."""
    assert get_price("ticket.standard").tokens == 1
    stale = cache.get(PRICE_TABLE.table_key)
    thread, finished = in_thread(lambda: set_price("ticket.standard", tokens=2))
    thread.join()
    assert finished == [None]
    cache.set(PRICE_TABLE.table_key, stale)

    in_request.finish_request()
    in_request.start_request()
    assert get_price("ticket.standard").tokens == 2


@pytest.mark.django_db(transaction=True)
def test_a_lost_cache_is_noticed_by_the_next_request(prices, in_request):
    assert get_price("ticket.standard").tokens == 1
    Price.objects.filter(feature_key="ticket.standard").update(tokens=5)  # no signal
    cache.clear()

    in_request.finish_request()
    in_request.start_request()
    assert get_price("ticket.standard").tokens == 5
