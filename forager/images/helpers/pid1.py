"""PID 1 of Forager's containers: reaps orphans and survives `kill -9 -1` from inside.

The kernel never delivers a signal to a namespace's init unless it installed a handler, so
this process outlives any command an agent runs; it only reaps exited children.
"""

import os
import time

while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
    except InterruptedError:
        pass
