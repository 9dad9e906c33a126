package io.trainwatch.trainer.messaging;

import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A bounded, append-only, on-disk queue of events that survives restarts.
 *
 * <p>Layout: segment files {@code 00000000000000000001.spool}, … each a sequence of records
 * {@code [int length][int crc32][payload]}, and a {@code cursor} file holding the position (segment, offset) of the
 * first event Kafka has not acknowledged. On open, the segments after the cursor are scanned; a torn record at the
 * end (a crash mid-write) is cut off. Fully acknowledged segments are deleted.
 *
 * <p>Threads: one writer calls {@link #append}; one reader calls {@link #read} and {@link #commit}. The bound
 * counts the bytes not yet acknowledged: when an append would exceed it, the append is refused (the caller decides
 * what that means; the publisher counts and reports it) — never blocks.
 */
public final class EventSpool implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EventSpool.class);
    private static final String SUFFIX = ".spool";
    private static final int HEADER = 8;
    private static final int MAX_RECORD = 16 * 1024 * 1024;

    /** A place in the spool: a segment number and a byte offset in it. */
    public record Position(long segment, long offset) implements Comparable<Position> {
        @Override
        public int compareTo(Position o) {
            return segment != o.segment ? Long.compare(segment, o.segment) : Long.compare(offset, o.offset);
        }
    }

    /** An event read back, with the position just after it (what to commit once Kafka has it). */
    public record Entry(SpooledEvent event, Position next) {
    }

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    /** Segment number → its size in bytes (for the last one: the bytes fully written). */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private final Map<Long, FileChannel> readChannels = new LinkedHashMap<>();
    private FileChannel writeChannel;
    private long writeSegment;
    private Position cursor;
    private static final long CURSOR_PERIOD_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private long cursorWrittenAt = System.nanoTime() - CURSOR_PERIOD_NANOS;
    private long pendingBytes;
    private long pendingEvents;
    private boolean dirty;

    public EventSpool(Path dir, long maxBytes, long segmentBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        try {
            Files.createDirectories(dir);
            open();
        } catch (IOException e) {
            throw new UncheckedIOException("trainwatch.spool.dir: cannot open spool in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void open() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).forEach(p -> {
                String n = p.getFileName().toString();
                try {
                    segments.put(Long.parseLong(n.substring(0, n.length() - SUFFIX.length())), 0L);
                } catch (NumberFormatException e) {
                    LOG.warnf("spool: ignoring foreign file %s", p);
                }
            });
        }
        cursor = readCursor();
        // Segments wholly before the cursor were acknowledged already.
        for (Long s : new ArrayList<>(segments.headMap(cursor.segment()).keySet())) {
            Files.deleteIfExists(segmentPath(s));
            segments.remove(s);
        }
        if (segments.isEmpty()) {
            segments.put(Math.max(1, cursor.segment()), 0L);
        }
        if (cursor.segment() < segments.firstKey()) {
            cursor = new Position(segments.firstKey(), 0);
        }
        for (Map.Entry<Long, Long> seg : segments.entrySet()) {
            long valid = scan(seg.getKey(), seg.getKey() == cursor.segment() ? cursor.offset() : 0);
            seg.setValue(valid);
        }
        if (cursor.offset() > segments.get(cursor.segment())) {
            // The cursor points past the data (the segment was truncated or removed by hand): nothing left to send there.
            LOG.warnf("spool %s: cursor %s is past the end of its segment (%d bytes); continuing from there",
                    dir, cursor, segments.get(cursor.segment()));
            cursor = new Position(cursor.segment(), segments.get(cursor.segment()));
        }
        writeSegment = segments.lastKey();
        writeChannel = FileChannel.open(segmentPath(writeSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long size = segments.get(writeSegment);
        if (writeChannel.size() > size) {
            LOG.warnf("spool: cutting a torn record off the end of %s (%d bytes kept of %d)", segmentPath(writeSegment), size, writeChannel.size());
            writeChannel.truncate(size);
        }
        writeChannel.position(size);
        if (pendingEvents > 0) {
            LOG.infof("spool %s: %d events (%d bytes) from before the restart wait to be sent", dir, pendingEvents, pendingBytes);
        }
    }

    /** Counts the valid records from {@code from}; returns the end of the last valid one. */
    private long scan(long segment, long from) throws IOException {
        Path p = segmentPath(segment);
        if (!Files.exists(p)) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long pos = 0;
            long size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            while (pos + HEADER <= size) {
                header.clear();
                ch.read(header, pos);
                header.flip();
                int len = header.getInt();
                int crc = header.getInt();
                if (len <= 0 || len > MAX_RECORD || pos + HEADER + len > size) {
                    break;
                }
                ByteBuffer payload = ByteBuffer.allocate(len);
                ch.read(payload, pos + HEADER);
                if (crc(payload.array()) != crc) {
                    LOG.warnf("spool: bad checksum in %s at %d; later records in this segment are dropped", p, pos);
                    break;
                }
                pos += HEADER + len;
                if (pos > from) {
                    pendingEvents++;
                    pendingBytes += HEADER + len;
                }
            }
            return pos;
        }
    }

    /**
     * Appends one event. Data reaches the OS at once (a JVM crash keeps it); {@link #sync()} forces it to the
     * device.
     *
     * @return false if the spool is full (the event was not stored)
     */
    public synchronized boolean append(SpooledEvent event) {
        byte[] payload = encode(event);
        long size = HEADER + payload.length;
        if (pendingBytes + size > maxBytes) {
            return false;
        }
        try {
            if (segments.get(writeSegment) >= segmentBytes) {
                roll();
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            buf.putInt(payload.length).putInt(crc(payload)).put(payload).flip();
            while (buf.hasRemaining()) {
                writeChannel.write(buf);
            }
            segments.put(writeSegment, segments.get(writeSegment) + size);
            pendingBytes += size;
            pendingEvents++;
            dirty = true;
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("spool: cannot write to " + segmentPath(writeSegment) + ": " + e.getMessage(), e);
        }
    }

    private void roll() throws IOException {
        writeChannel.force(false);
        writeChannel.close();
        writeSegment++;
        segments.put(writeSegment, 0L);
        writeChannel = FileChannel.open(segmentPath(writeSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Forces appended data to the storage device (called periodically by the publisher's writer). */
    public synchronized void sync() {
        if (dirty) {
            try {
                writeChannel.force(false);
                dirty = false;
            } catch (IOException e) {
                LOG.errorf("spool: fsync of %s failed: %s", segmentPath(writeSegment), e.getMessage());
            }
        }
    }

    /** The first unacknowledged position: where reading starts after a restart or a failed send. */
    public synchronized Position committed() {
        return cursor;
    }

    /** Reads up to {@code max} events from {@code from}, in order; empty when nothing new has been appended. */
    public List<Entry> read(Position from, int max) {
        List<Entry> out = new ArrayList<>();
        Position pos = from;
        while (out.size() < max) {
            long end;
            Long next;
            synchronized (this) {
                Long size = segments.get(pos.segment());
                if (size == null) {
                    Long higher = segments.higherKey(pos.segment());
                    if (higher == null) {
                        break;
                    }
                    pos = new Position(higher, 0);
                    continue;
                }
                end = size;
                next = segments.higherKey(pos.segment());
            }
            if (pos.offset() >= end) {
                if (next == null) {
                    break;
                }
                pos = new Position(next, 0);
                continue;
            }
            try {
                FileChannel ch = readChannel(pos.segment());
                ByteBuffer header = ByteBuffer.allocate(HEADER);
                ch.read(header, pos.offset());
                header.flip();
                int len = header.getInt();
                header.getInt();
                ByteBuffer payload = ByteBuffer.allocate(len);
                while (payload.hasRemaining()) {
                    if (ch.read(payload, pos.offset() + HEADER + payload.position()) < 0) {
                        throw new IOException("unexpected end of segment");
                    }
                }
                Position after = new Position(pos.segment(), pos.offset() + HEADER + len);
                out.add(new Entry(decode(payload.array()), after));
                pos = after;
            } catch (IOException e) {
                throw new UncheckedIOException("spool: cannot read " + segmentPath(pos.segment()) + " at " + pos.offset() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private FileChannel readChannel(long segment) throws IOException {
        FileChannel ch = readChannels.get(segment);
        if (ch == null) {
            ch = FileChannel.open(segmentPath(segment), StandardOpenOption.READ);
            readChannels.put(segment, ch);
        }
        return ch;
    }

    /** Marks everything before {@code upTo} as acknowledged: persists the cursor, deletes finished segments. */
    public void commit(Position upTo, long events) {
        List<Long> finished;
        synchronized (this) {
            if (upTo.compareTo(cursor) <= 0) {
                return;
            }
            long bytes = bytesBetween(cursor, upTo);
            cursor = upTo;
            pendingBytes -= bytes;
            pendingEvents -= events;
            finished = new ArrayList<>(segments.headMap(upTo.segment()).keySet());
            for (Long s : finished) {
                segments.remove(s);
            }
        }
        // The cursor on disk may lag the acknowledged position by up to a second (a file write and rename per send
        // cycle is CPU taken from training): after a crash the events since are sent again, with the same ce_id.
        // It is written at once when segments are deleted (it must never point into a deleted one) and at close.
        long now = System.nanoTime();
        if (!finished.isEmpty() || now - cursorWrittenAt >= CURSOR_PERIOD_NANOS) {
            writeCursor(upTo);
            cursorWrittenAt = now;
        }
        for (Long s : finished) {
            try {
                FileChannel ch = readChannels.remove(s);
                if (ch != null) {
                    ch.close();
                }
                Files.deleteIfExists(segmentPath(s));
            } catch (IOException e) {
                LOG.warnf("spool: cannot delete acknowledged segment %s: %s", segmentPath(s), e.getMessage());
            }
        }
    }

    private long bytesBetween(Position a, Position b) {
        if (a.segment() == b.segment()) {
            return b.offset() - a.offset();
        }
        long total = segments.getOrDefault(a.segment(), 0L) - a.offset();
        for (Map.Entry<Long, Long> e : segments.subMap(a.segment(), false, b.segment(), false).entrySet()) {
            total += e.getValue();
        }
        return total + b.offset();
    }

    public synchronized long pendingBytes() {
        return pendingBytes;
    }

    public synchronized long pendingEvents() {
        return pendingEvents;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public synchronized void close() {
        writeCursor(cursor);
        try {
            sync();
            writeChannel.close();
            for (FileChannel ch : readChannels.values()) {
                ch.close();
            }
            readChannels.clear();
        } catch (IOException e) {
            LOG.warnf("spool: close failed: %s", e.getMessage());
        }
    }

    private Path segmentPath(long segment) {
        return dir.resolve(String.format("%020d%s", segment, SUFFIX));
    }

    private Position readCursor() throws IOException {
        Path p = dir.resolve("cursor");
        if (!Files.exists(p)) {
            return new Position(segments.isEmpty() ? 1 : segments.firstKey(), 0);
        }
        String[] parts = Files.readString(p, StandardCharsets.US_ASCII).trim().split("\\s+");
        return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    private void writeCursor(Position p) {
        Path tmp = dir.resolve("cursor.tmp");
        Path target = dir.resolve("cursor");
        try {
            Files.writeString(tmp, p.segment() + " " + p.offset() + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // Not fatal: after a restart the events since the last good cursor are sent again (same ce_id).
            LOG.warnf("spool: cannot persist cursor in %s: %s", dir, e.getMessage());
        }
    }

    private static int crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return (int) c.getValue();
    }

    static byte[] encode(SpooledEvent e) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(e.data().length + 256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeShort(e.headers().size());
            for (Map.Entry<String, String> h : new TreeMap<>(e.headers()).entrySet()) {
                out.writeUTF(h.getKey());
                out.writeUTF(h.getValue());
            }
            out.writeUTF(e.key());
            out.writeInt(e.data().length);
            out.write(e.data());
            return bytes.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static SpooledEvent decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        int n = in.readUnsignedShort();
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            headers.put(in.readUTF(), in.readUTF());
        }
        String key = in.readUTF();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new SpooledEvent(headers, key, data);
    }
}
