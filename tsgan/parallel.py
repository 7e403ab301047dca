"""Work fanned out as Ray tasks (``pip install "tsgan[ray]"``): the backtest's training
windows and LEAR's days, on local workers or on a Ray cluster.

One function, :func:`ray_map`: each job a task with an equal share of the CPUs (and as many
threads for TensorFlow and BLAS), the large
shared arguments (the daily panel) put in Ray's object store once, each result handed back
as soon as its task ends, so the caller can save it (a backtest interrupted keeps what is
done).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from typing import Any


def ray_map(
    fn: Callable[..., Any],
    jobs: Iterable[tuple[Hashable, tuple, dict]],
    done: Callable[[Hashable, Any], None],
    *,
    shared: dict[str, Any] | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> None:
    """Run ``fn(*args, **kwargs, **shared)`` for each job ``(key, args, kwargs)`` as a Ray
    task and call ``done(key, result)`` in this process as each one finishes (in the order
    they finish).

    Args:
        shared: keyword arguments common to every job, sent to the workers once.
        workers: local workers (Ray is started with this many CPUs, one task on each);
            ``None``: one per core.
        address: a running Ray cluster's address instead of local workers; each task then
            takes ``CPUs // workers`` of it (one CPU when ``workers`` is None).

    Raises:
        ImportError: Ray is not installed.

    Example:
        >>> got = {}
        >>> ray_map(pow, [(k, (k, 2), {}) for k in range(3)], got.__setitem__, workers=1)  # doctest: +SKIP
        >>> got  # doctest: +SKIP
        {0: 0, 1: 1, 2: 4}
    """
    try:
        import ray
    except ImportError:
        raise ImportError('workers need Ray: pip install "tsgan[ray]"') from None
    if not ray.is_initialized():
        local = {} if address else {"num_cpus": workers or os.cpu_count()}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    share = max(1, cpus // max(workers or cpus, 1))
    # each task's numeric libraries get its share of the cores, not all of them: TensorFlow
    # and BLAS otherwise start a thread per core in every worker and the workers fight
    threads = {name: str(share) for name in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS")}
    threads["TF_NUM_INTEROP_THREADS"] = "1"
    task = ray.remote(num_cpus=share, runtime_env={"env_vars": threads})(fn)
    common = {name: ray.put(value) for name, value in (shared or {}).items()}
    running = {task.remote(*args, **kwargs, **common): key for key, args, kwargs in jobs}
    while running:
        ready, _ = ray.wait(list(running), num_returns=1)
        key = running.pop(ready[0])
        done(key, ray.get(ready[0]))
