"""The bounded on-disk spool: events the server could not take yet, in the order they were logged.

JSON lines (`<kind> <event json>`) in numbered segment files of about 1 MiB, so that delivering the head and dropping
old step samples rewrite at most one small file. Only the sender thread touches it.
"""
import logging
import os

log = logging.getLogger("trainwatch")


class Item:
    """One encoded event: its kind (start, epoch, step, finish) and its JSON bytes."""
    __slots__ = ("kind", "data")

    def __init__(self, kind, data):
        self.kind = kind
        self.data = data


class _Segment:
    __slots__ = ("path", "size", "count", "steps")

    def __init__(self, path):
        self.path = path
        self.size = 0
        self.count = 0
        self.steps = 0


def _line(item):
    return item.kind.encode("ascii") + b" " + item.data + b"\n"


def _parse(line):
    kind, _, data = line.partition(b" ")
    return Item(kind.decode("ascii"), data)


class Spool:
    def __init__(self, directory, max_bytes=64 * 1024 * 1024, segment_bytes=1024 * 1024):
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.dropped_steps = 0
        self._segments = []
        self._size = 0
        self._count = 0
        self._next_number = 0
        self._head_items = None  # parsed items of the head segment, while it is being delivered
        self._head_offset = 0  # of them already delivered
        self._warned_full = False
        self._warned_epochs = False

    def __len__(self):
        return self._count

    @property
    def size(self):
        return self._size

    def append(self, items):
        """Appends in order. When the bound is reached the oldest step samples make room; a step that finds none
        older to drop is itself dropped; other events are never dropped (they may exceed the bound)."""
        for item in items:
            line = _line(item)
            if self._size + len(line) > self.max_bytes:
                self._warn_full()
                if self._make_room(len(line)):
                    self._write(item, line)
                    continue
                if item.kind == "step":
                    self.dropped_steps += 1
                    continue
                if not self._warned_epochs:
                    self._warned_epochs = True
                    log.warning("trainwatch: spool %s holds more than its %d bytes of events other than step samples;"
                                " keeping them anyway (epochs are never dropped)", self.directory, self.max_bytes)
            self._write(item, line)

    def peek(self, max_events, max_bytes):
        """The next window: consecutive events from the head within the limits, start and finish alone. A single
        event larger than max_bytes travels alone."""
        if not self._count:
            return []
        if self._head_items is None:
            with open(self._segments[0].path, "rb") as f:
                self._head_items = [_parse(line) for line in f.read().splitlines() if line]
            self._head_offset = 0
        items = self._head_items
        first = items[self._head_offset]
        batch = [first]
        if first.kind in ("start", "finish"):
            return batch
        size = len(first.data) + 2
        for item in items[self._head_offset + 1:]:
            if item.kind in ("start", "finish") or len(batch) >= max_events or size + len(item.data) + 1 > max_bytes:
                break
            batch.append(item)
            size += len(item.data) + 1
        return batch

    def consume(self, n):
        """Removes the first n events (delivered, or refused for good) of the head segment."""
        if n <= 0:
            return
        head = self._segments[0]
        for item in self._head_items[self._head_offset:self._head_offset + n]:
            line_size = len(item.data) + len(item.kind) + 2
            self._size -= line_size
            head.size -= line_size
            self._count -= 1
            head.count -= 1
            if item.kind == "step":
                head.steps -= 1
        self._head_offset += n
        if self._head_offset >= len(self._head_items):
            self._segments.pop(0)
            self._head_items = None
            self._remove(head.path)

    def remove_if_empty(self):
        if not self._count:
            for segment in self._segments:
                self._remove(segment.path)
            self._segments = []
            try:
                os.rmdir(self.directory)
            except OSError:
                pass

    def _write(self, item, line):
        tail = self._segments[-1] if self._segments else None
        if tail is None or tail.size >= self.segment_bytes:
            os.makedirs(self.directory, exist_ok=True)
            tail = _Segment(os.path.join(self.directory, "%08d.jsonl" % self._next_number))
            self._next_number += 1
            self._segments.append(tail)
        with open(tail.path, "ab") as f:
            f.write(line)
        tail.size += len(line)
        tail.count += 1
        if item.kind == "step":
            tail.steps += 1
        self._size += len(line)
        self._count += 1
        if self._head_items is not None and tail is self._segments[0]:
            self._head_items.append(item)

    def _make_room(self, needed):
        """Drops the oldest step samples until `needed` bytes fit; False if there are not enough steps."""
        index = 0
        while index < len(self._segments):
            if self._size + needed <= self.max_bytes:
                return True
            segment = self._segments[index]
            if not segment.steps:
                index += 1
                continue
            if index == 0 and self._head_items is not None:
                items = self._head_items[self._head_offset:]
            else:
                with open(segment.path, "rb") as f:
                    items = [_parse(line) for line in f.read().splitlines() if line]
            kept = []
            for item in items:
                if item.kind == "step" and self._size + needed > self.max_bytes:
                    self._size -= len(item.data) + len(item.kind) + 2
                    self._count -= 1
                    self.dropped_steps += 1
                else:
                    kept.append(item)
            if self._rewrite(index, segment, kept):
                index += 1
        return self._size + needed <= self.max_bytes

    def _rewrite(self, index, segment, items):
        """Replaces a segment's content; False when it became empty and was removed."""
        data = b"".join(_line(item) for item in items)
        temporary = segment.path + ".tmp"
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, segment.path)
        segment.size = len(data)
        segment.count = len(items)
        segment.steps = sum(1 for item in items if item.kind == "step")
        if index == 0:
            self._head_items = None  # re-read from the rewritten file, which no longer holds delivered events
        if not items:
            self._segments.pop(index)
            self._remove(segment.path)
            return False
        return True

    def _warn_full(self):
        if not self._warned_full:
            self._warned_full = True
            log.warning("trainwatch: spool %s is full (%d bytes): dropping the oldest step samples; epochs are kept",
                        self.directory, self.max_bytes)

    @staticmethod
    def _remove(path):
        try:
            os.remove(path)
        except OSError:
            pass
