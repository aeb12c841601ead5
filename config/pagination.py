"""A paginator whose page query also counts."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window

TOTAL = "paginator_total"
BIGINT_LIMIT = 2**63


class WindowCountPaginator(Paginator):
    """Django's Paginator for a queryset (without orphans), one query per page instead of
    two: the page's rows carry the total (`COUNT(*) OVER ()`, which PostgreSQL computes
    before the LIMIT). A page number that is not a number, below 1 or past the end is left to
    Django (it counts first, then gives the first or the last page), as is an empty list."""

    def get_page(self, number) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        bottom = (wanted - 1) * self.per_page
        # Past PostgreSQL's bigint an OFFSET is an error, and surely past the end.
        if wanted >= 1 and not self.orphans and bottom + self.per_page < BIGINT_LIMIT:
            rows = list(self.object_list.annotate(**{TOTAL: Window(Count("pk"))})
                        [bottom:bottom + self.per_page])
            if rows:
                self.count = getattr(rows[0], TOTAL)  # Paginator.count is a cached property
                return self._get_page(rows, wanted, self)
        return super().get_page(number)
