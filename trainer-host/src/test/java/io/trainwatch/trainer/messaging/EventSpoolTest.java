package io.trainwatch.trainer.messaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventSpoolTest {

    @TempDir
    Path dir;

    static SpooledEvent event(int i) {
        return new SpooledEvent(Map.of("ce_id", "id-" + i, "ce_type", "io.trainwatch.epoch.completed"), "run-1",
                ("{\"epoch\":" + i + "}").getBytes(StandardCharsets.UTF_8));
    }

    static List<String> ids(List<EventSpool.Entry> entries) {
        return entries.stream().map(e -> e.event().ceId()).toList();
    }

    @Test
    void readsInOrderAcrossSegmentsAndResumesFromTheCommittedCursorAfterReopen() throws IOException {
        try (EventSpool spool = new EventSpool(dir, 1 << 20, 200)) {
            for (int i = 0; i < 20; i++) {
                assertTrue(spool.append(event(i)));
            }
            List<EventSpool.Entry> all = spool.read(spool.committed(), 100);
            assertEquals(20, all.size());
            assertEquals("id-0", all.get(0).event().ceId());
            assertEquals("id-19", all.get(19).event().ceId());
            assertEquals("run-1", all.get(5).event().key());
            assertArrayEquals("{\"epoch\":5}".getBytes(StandardCharsets.UTF_8), all.get(5).event().data());
            spool.commit(all.get(11).next(), 12);
            assertEquals(8, spool.pendingEvents());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.filter(p -> p.toString().endsWith(".spool")).count() < 8, "acknowledged segments are deleted");
        }
        try (EventSpool reopened = new EventSpool(dir, 1 << 20, 200)) {
            assertEquals(8, reopened.pendingEvents());
            List<EventSpool.Entry> rest = reopened.read(reopened.committed(), 100);
            assertEquals(List.of("id-12", "id-13", "id-14", "id-15", "id-16", "id-17", "id-18", "id-19"), ids(rest));
            assertTrue(reopened.append(event(20)));
            assertEquals("id-20", reopened.read(rest.get(7).next(), 10).get(0).event().ceId());
        }
    }

    @Test
    void aTornRecordAtTheEndIsCutOffOnReopen() throws IOException {
        try (EventSpool spool = new EventSpool(dir, 1 << 20, 1 << 20)) {
            spool.append(event(0));
            spool.append(event(1));
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        }
        // a crash in the middle of writing a third record
        Files.write(segment, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
        try (EventSpool reopened = new EventSpool(dir, 1 << 20, 1 << 20)) {
            assertEquals(2, reopened.pendingEvents());
            assertTrue(reopened.append(event(2)));
            assertEquals(List.of("id-0", "id-1", "id-2"), ids(reopened.read(reopened.committed(), 10)));
        }
    }

    @Test
    void aFullSpoolRefusesWithoutBlockingAndAcceptsAgainOnceAcknowledged() {
        try (EventSpool spool = new EventSpool(dir, 200, 1 << 20)) {
            int accepted = 0;
            while (spool.append(event(accepted))) {
                accepted++;
            }
            assertTrue(accepted > 0 && accepted < 10, "accepted " + accepted);
            assertTrue(spool.pendingBytes() <= 200);
            assertFalse(spool.append(event(99)));
            List<EventSpool.Entry> entries = spool.read(spool.committed(), 100);
            assertEquals(accepted, entries.size());
            spool.commit(entries.get(0).next(), 1);
            assertTrue(spool.append(event(100)));
        }
    }
}
