"""Names for libvirt objects a test creates, each removed from the host when the test ends."""

from collections.abc import Callable, Iterator


def name_factory(conn, *, new: Callable[[], str], remove: Callable) -> Iterator[Callable[[], str]]:
    """For a fixture to `yield from`: make() -> a fresh name; at the end, remove(conn, name) for each."""
    names: list[str] = []

    def make() -> str:
        names.append(new())
        return names[-1]

    yield make
    for name in names:
        remove(conn, name)
