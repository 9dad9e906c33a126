package io.trainwatch.trainer.queue;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * What one host tells the job-takers group when it joins: its free slots and the job-topic partitions whose job it
 * is training (their offsets are committed only when the job ends). Shared by {@link JobTaker} and its
 * {@link JobAssignor}, which Kafka creates itself.
 */
final class TakerState {

    /** The consumer-config key under which the assignor receives this object. */
    static final String CONFIG_KEY = "trainwatch.job-taker.state";

    private final String topic;
    private final IntSupplier freeSlots;
    private final Set<Integer> running = new HashSet<>();
    /** The free slots this host told the group when it last joined (-1: not joined yet). */
    private volatile int announcedFreeSlots = -1;

    TakerState(String topic, IntSupplier freeSlots) {
        this.topic = topic;
        this.freeSlots = freeSlots;
    }

    String topic() {
        return topic;
    }

    int freeSlots() {
        return Math.max(0, freeSlots.getAsInt());
    }

    synchronized void running(int partition) {
        running.add(partition);
    }

    synchronized void done(int partition) {
        running.remove(partition);
    }

    synchronized boolean isRunning(int partition) {
        return running.contains(partition);
    }

    synchronized Set<Integer> running() {
        return Set.copyOf(running);
    }

    /** The free slots announced in the last join: what the group's current assignment was based on. */
    int announcedFreeSlots() {
        return announcedFreeSlots;
    }

    ByteBuffer encode() {
        Set<Integer> r = running();
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * r.size());
        int free = freeSlots();
        announcedFreeSlots = free;
        b.putInt(free).putInt(r.size());
        r.forEach(b::putInt);
        return b.flip();
    }

    /** A member's announcement as the group leader reads it. */
    record Announced(int freeSlots, Set<Integer> running) {
        static Announced decode(ByteBuffer userData) {
            if (userData == null || userData.remaining() < 8) {
                return new Announced(0, Set.of());
            }
            ByteBuffer b = userData.duplicate();
            int free = b.getInt();
            int n = b.getInt();
            Set<Integer> r = new HashSet<>();
            for (int i = 0; i < n && b.remaining() >= 4; i++) {
                r.add(b.getInt());
            }
            return new Announced(free, r);
        }
    }
}
