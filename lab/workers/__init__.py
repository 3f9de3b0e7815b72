"""Backends in worker processes: one per library, started on demand, reused for every case and
order of one command (or of one Python session), told what to compute and answering with arrays.
A limit is enforced by ending the worker, a crash becomes a row, and the command's own process
never imports torch, JAX or TensorFlow.

  protocol  what goes to a worker (`Task`, with a `recipe` that rebuilds the case there) and what
            comes back (`Answer`)
  worker    the worker process's loop
  zygote    the pre-imported process workers are forked from
  pool      the command's side: scheduling, limits, memory, restarts
"""

from lab.workers.pool import Limits, Pool
from lab.workers.protocol import Answer, Task

__all__ = ["Answer", "Limits", "Pool", "Task"]
