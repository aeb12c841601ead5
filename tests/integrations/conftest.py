"""Fixtures of the integrations tests: each tracker's fake server and its connections."""

from tests.integrations.fixtures_github import *  # noqa: F403
from tests.integrations.fixtures_gitlab import *  # noqa: F403
from tests.integrations.fixtures_jira import *  # noqa: F403
from tests.integrations.fixtures_slack import *  # noqa: F403
