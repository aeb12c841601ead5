import pytest

from config.celery import app


@app.task(name="tests.ping")
def ping(value):
    return value


@pytest.mark.django_db
def test_database_is_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"
