"""A solver work function held at a gate, for tests that need a solve to be running in its solver process
while they do something else. It runs in the child: it writes its process id to ``started``, keeps its
CPU busy (as a solver holding the interpreter lock would) until the file ``gate`` exists, then does the
real work."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def gated(call: tuple[Callable[[Any], Any], Any, str, str]) -> Any:
    function, argument, started, gate = call
    Path(started).write_text(str(os.getpid()))
    while not Path(gate).exists():
        pass
    return function(argument)
