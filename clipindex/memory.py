"""Memory given back to the system as soon as it is free, so a long video costs no more than a
short one.

glibc's malloc maps each large block of its own (and unmaps it when freed) only until a large
block is freed: then it raises that threshold, up to 32 MB, and serves blocks below it from its
heaps. After the music analysis has freed its buffers, the few arrays that grow frame by frame
would be moved through the heap as they grow, leaving holes the size of their past selves, and
what the analysis freed would stay with the process. Both calls here are for glibc; elsewhere
they do nothing.
"""

from __future__ import annotations

import ctypes

LARGE_BYTES = 256 << 10
"""Blocks from this size up are mapped on their own, and unmapped when freed."""

_M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number for the threshold (``malloc.h``)."""


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):  # no C library to load by that name here
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def map_large_blocks() -> None:
    """Map every block of ``LARGE_BYTES`` or more on its own from now on (a fixed threshold:
    glibc no longer raises it), so it goes back to the system when freed and grows in place."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BYTES)


def give_back_freed_memory() -> None:
    """Return what is free in malloc's heaps to the system. glibc keeps what a thread frees in
    that thread's own heap for it to reuse, even when the thread will allocate nothing more."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
