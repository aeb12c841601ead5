"""Scale-out (issue #22): two web servers and two Celery workers on one PostgreSQL and Redis,
as two machines run them. Submits go through both servers at once; every ticket runs once,
every hold is captured once, a form sent to both servers at once makes one ticket, and the
ledger audit passes. The full-size run is `bench/web.py --scale-out`."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.recovery.stack import METRICS_TOKEN, Stack, submit_as_visitor
from tests.recovery.test_recovery import assert_money_exact, wait_final

pytestmark = [pytest.mark.xdist_group("recovery"), pytest.mark.django_db]


def finished_tasks(stack: Stack, name: str) -> int:
    """Generations the worker `name` has finished, from its log (Celery's INFO lines)."""
    log = stack.workdir / f"{name}.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return sum("tickets.generate_ticket[" in line and " succeeded in " in line for line in lines)


def same_form_to_both(stack: Stack, ports: list[int]) -> list[str]:
    """One visitor's form, sent to both servers at the same moment (a retry through the load
    balancer); returns where each answer points."""
    session = requests.Session()
    page = session.get(stack.url("/tickets/new/", ports[0]), timeout=10)
    data = {
        "description": "Customers need to download their invoices as PDF so that their "
                       "accountant can file them without asking support for copies.",
        "ticket_type": "story", "quality": "standard",
        "nonce": re.search(r'name="nonce" value="([^"]+)"', page.text).group(1),
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }

    def post(port: int) -> str:
        response = session.post(stack.url("/tickets/new/", port), data=data, timeout=10,
                                headers={"Referer": stack.url("/tickets/new/", port)},
                                allow_redirects=False)
        assert response.status_code == 302, response.text[-1000:]
        return response.headers["Location"]

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(post, ports))


def test_two_web_servers_and_two_workers_run_each_ticket_once(live_stack):
    second = live_stack.start_web("web2")
    live_stack.start_worker("worker2")
    try:
        before = {name: finished_tasks(live_stack, name) for name in ("worker", "worker2")}
        ports = [live_stack.web_port, second]
        started = time.monotonic()
        with ThreadPoolExecutor(6) as pool:
            ids = list(pool.map(lambda n: submit_as_visitor(live_stack, ports[n % 2]), range(12)))
        locations = same_form_to_both(live_stack, ports)
        assert locations[0] == locations[1]
        public_id = re.search(r"/tickets/(\w+)/", locations[0]).group(1)
        ids += [row[0] for row in live_stack.rows(
            "SELECT id FROM tickets_ticket WHERE public_id = %s", [public_id])]

        wait_final(live_stack, ids, since=started)
        assert assert_money_exact(live_stack, ids) == {"succeeded": 13, "failed": 0}
        assert live_stack.rows(
            "SELECT max(runs), count(*) FROM tickets_ticket WHERE id = ANY(%s)", [ids]
        ) == [(1, 13)]
        after = {name: finished_tasks(live_stack, name) for name in ("worker", "worker2")}
        assert all(after[name] > before[name] for name in after), (before, after)
    finally:
        live_stack.kill("web2")
        live_stack.kill("worker2")


def test_one_scrape_adds_up_every_web_process(live_stack):
    """With PROMETHEUS_MULTIPROC_DIR (as production runs several gunicorn workers), /metrics
    answered by one worker counts the requests every worker served."""
    def scrape() -> int:
        body = requests.get(live_stack.url("/metrics"), timeout=10,
                            headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        for line in body.splitlines():
            if line.startswith("myba_http_request_duration_seconds_count{") and all(
                label in line for label in ('route="/health/"', 'method="GET"', 'status="2xx"')
            ):
                return int(float(line.rsplit(" ", 1)[1]))
        return 0

    before = scrape()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(live_stack.url("/health/"), timeout=10),
                                range(40)))
    assert all(answer.status_code == 200 for answer in answers)
    assert scrape() == before + 40
    assert len(list(live_stack.metrics_dir.glob("histogram_*.db"))) >= 2  # both workers
