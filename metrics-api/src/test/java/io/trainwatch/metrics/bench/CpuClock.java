package io.trainwatch.metrics.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time used by the system under test: this JVM (the app, the broker and the load generator share it) and the
 * PostgreSQL server (its postmaster and backends, found through the postmaster.pid of the stack's data directory).
 * CPU seconds per event move far less than wall-clock rates when other work shares the machine, so they tell whether
 * a change made the ingest cheaper even on a busy box.
 */
final class CpuClock {

    private static final double TICK_NANOS = 1e9 / 100; // USER_HZ is 100 on Linux

    private final long postmasterPid;

    CpuClock(Path postgresDataDir) {
        long pid = -1;
        try {
            pid = Long.parseLong(Files.readAllLines(postgresDataDir.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            // No PostgreSQL of ours to read (external database): report the JVM only.
        }
        this.postmasterPid = pid;
    }

    /** CPU nanoseconds used by this JVM so far. */
    static long jvmNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU nanoseconds used so far by the postmaster and its live children (backends keep their connection). */
    long postgresNanos() {
        if (postmasterPid < 0) {
            return 0;
        }
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    // Fields after the command name, which is in parentheses and may hold spaces.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long pid = Long.parseLong(name);
                    long ppid = Long.parseLong(f[1]);
                    if (pid == postmasterPid || ppid == postmasterPid) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException | RuntimeException gone) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return (long) (ticks * TICK_NANOS);
    }
}
