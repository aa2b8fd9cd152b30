"""Pages of long tables without counting the whole table: a count stops a little past the page
asked for (at least CAP rows), so page 1 of 100,000 rows counts 10,001 of them, not all. The
pager then says "of 201+" pages; every page can still be reached with Next."""

from functools import cached_property

from django.core.paginator import Paginator

CAP = 10_000
LAST_ASKED = 10_000_000  # a larger ?page= is read as this one (past the end: the last page)


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page: int, asked):
        super().__init__(object_list, per_page)
        self.asked = min(int(asked), LAST_ASKED) if str(asked).isdigit() and int(asked) > 0 else 1

    @cached_property
    def _limit(self) -> int:
        return max(CAP, self.asked * self.per_page) + 1  # at least one row past the asked page

    @cached_property
    def count(self) -> int:
        """The rows, or `_limit` when there are at least as many (then `more`). Counted unordered:
        which rows make up the first `_limit` does not change how many there are, and the database
        may then stop at the limit without sorting."""
        return self.object_list.order_by()[: self._limit].count()

    @property
    def more(self) -> bool:
        """Rows past those counted may exist."""
        return self.count == self._limit

    @property
    def pages_shown(self) -> str:
        return f"{self.num_pages}+" if self.more else str(self.num_pages)

    @property
    def count_shown(self) -> str:
        return f"over {self.count - 1:,}" if self.more else str(self.count)


def page_of(rows, per_page: int, request):
    """The page of `rows` that the request's ?page= asks for (the last one when past the end)."""
    paginator = CappedPaginator(rows, per_page, request.GET.get("page"))
    return paginator.get_page(paginator.asked)
