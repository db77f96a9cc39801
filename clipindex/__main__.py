"""``python -m clipindex``: the same as the ``clipindex`` command."""

from clipindex.cli import entry_point

entry_point()
