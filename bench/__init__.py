"""fenji's benchmarks (``make bench``, ``python -m bench.run``).

``fenji`` is imported before anything imports Polars, as the ``fenji`` command does, so the
benchmarks run under the allocator setting the command line gets (decision 20); the floor and
the Parquet read, run in the same processes, get it too.
"""

import fenji  # noqa: F401
