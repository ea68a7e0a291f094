"""A pod log socket holds at most LOG_QUEUE_LINES lines for a browser that is behind."""

from __future__ import annotations

import asyncio

from workloads.consumers import LOG_QUEUE_LINES, PodLogConsumer


def test_lines_past_the_queue_are_counted_not_held_and_the_end_always_goes_in():
    consumer = PodLogConsumer()
    consumer.queue, consumer.skipped = asyncio.Queue(), 0
    for n in range(LOG_QUEUE_LINES + 7):
        consumer._enqueue(f"line {n}")
    consumer._enqueue(None)
    assert consumer.queue.qsize() == LOG_QUEUE_LINES + 1 and consumer.skipped == 7
