"""Execute notebooks with nbclient, without its stall after widget cells.

nbclient waits for a cell's ``execute_reply`` with one long blocking read of the shell channel.
After a cell that opens ipywidgets comms, that read sometimes misses a reply that has already
arrived and sleeps until the cell's whole timeout (jupyter/nbclient#312, open upstream; we saw it
in 3 of 7 runs of chapter 03). :class:`PatientClient` reads the shell channel in short slices
instead, so a reply that was missed is picked up half a second later. When a cell's time limit
is reached it does what nbclient does: interrupt the kernel once if ``interrupt_on_timeout``
(the cell then ends with a KeyboardInterrupt error and execution goes on), else raise
CellTimeoutError.

Used by the grader (tools/grade.py), the exercise and determinism tests, and the benchmarks.
"""

from __future__ import annotations

import asyncio
from queue import Empty
from time import monotonic

from nbclient import NotebookClient
from nbclient.client import timestamp
from nbclient.exceptions import CellTimeoutError
from nbclient.util import ensure_async


class PatientClient(NotebookClient):
    """A NotebookClient that polls for each cell's reply in ``poll_slice``-second slices."""

    poll_slice = 0.5

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        deadline = None if timeout is None else monotonic() + timeout
        interrupted = False
        while True:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.poll_slice))
            except Empty:
                if deadline is None or monotonic() < deadline:
                    continue
                # Out of time, as nbclient would be: interrupt once (then wait for the interrupted
                # cell's error reply, as long again), or raise.
                await self._async_check_alive()
                if not self.interrupt_on_timeout or interrupted:
                    task_poll_kernel_alive.cancel()
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Cell execution timed out", timeout, cell
                    ) from None
                self.log.error("Timeout waiting for execute reply (%is): interrupting the kernel", timeout)
                await ensure_async(self.km.interrupt_kernel())
                interrupted, deadline = True, monotonic() + timeout
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if self.record_timing:
                cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)
            try:
                await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
            except (asyncio.TimeoutError, Empty):
                if self.raise_on_iopub_timeout:
                    task_poll_kernel_alive.cancel()
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Timeout waiting for IOPub output", self.iopub_timeout, cell
                    ) from None
                self.log.warning("Timeout waiting for IOPub output")
            task_poll_kernel_alive.cancel()
            return msg


def execute(nb, *, timeout=300, cwd=None, allow_errors=False, **kwargs):
    """Execute ``nb`` (an nbformat NotebookNode) in place in a fresh python3 kernel; returns it."""
    client = PatientClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}} if cwd else {},
        **kwargs,
    )
    client.execute()
    return nb
