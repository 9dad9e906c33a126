package io.trainwatch.stack;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The local stack as a process, for {@code ./run}: starts Kafka and PostgreSQL, writes their endpoints to
 * {@code <data-dir>/stack.env} once both answer, and stops them on SIGTERM or SIGINT.
 */
public final class LocalStackMain {

    /** Written only when the stack is ready; ./run waits for it, sources it and hands it to the apps. */
    public static final String ENV_FILE = "stack.env";
    /** In {@link #ENV_FILE} when PostgreSQL is embedded: where its password is kept, for people (psql). */
    static final String PASSWORD_FILE_VARIABLE = "TRAINWATCH_STACK_DB_PASSWORD_FILE";

    /** How often the embedded PostgreSQL's process is checked (and restarted if it died). */
    static final java.time.Duration SUPERVISE_EVERY = java.time.Duration.ofSeconds(2);

    static final String USAGE = """
            Usage: java -jar trainwatch-local-stack-runner.jar [options]
            Starts a Kafka broker (KRaft) and PostgreSQL on 127.0.0.1 with every Trainwatch topic and the
            trainwatch database, writes the endpoints to <data-dir>/stack.env when ready, runs until SIGTERM/SIGINT.
            PostgreSQL asks every connection for a password (scram-sha-256): generated on the data dir's first
            start, kept in <data-dir>/postgres-password (role trainwatch) and postgres-superuser-password, mode 0600.

              --kafka-port N      Kafka PLAINTEXT port (default 9092; 0 = any free port)
              --postgres-port N   PostgreSQL port (default 5433; 0 = any free port)
              --data-dir DIR      Kafka log dir and PostgreSQL data, kept between runs (default .trainwatch/data)
              --fresh             wipe the data dir first (only a directory this tool made)
              --partitions N      partitions of each topic it creates (default 12)
              --init-only         create the topics (and database), write stack.env, exit; for external servers
              --help              this text

            External servers instead of embedded ones (environment variables or -D system properties):
              KAFKA_BOOTSTRAP_SERVERS   use this Kafka (topics are still created there)
              TRAINWATCH_DB_URL         use this PostgreSQL (a jdbc:postgresql:// url), with
              TRAINWATCH_DB_USER, TRAINWATCH_DB_PASSWORD
            """;

    static {
        // slf4j-simple (target/lib only) reads these once, when the first logger is made: set them before that.
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        defaultProperty("org.slf4j.simpleLogger.showDateTime", "true");
        defaultProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        defaultProperty("org.slf4j.simpleLogger.log.kafka", "warn");
        defaultProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
        defaultProperty("org.slf4j.simpleLogger.log.state.change.logger", "warn");
        defaultProperty("org.slf4j.simpleLogger.log.io.zonky", "warn");
    }

    private LocalStackMain() {
    }

    /** Parsed command line. */
    record Options(int kafkaPort, int postgresPort, Path dataDir, boolean fresh, int partitions, boolean initOnly,
                   boolean help) {

        static Options parse(String... args) {
            int kafkaPort = 9092;
            int postgresPort = 5433;
            Path dataDir = Path.of(".trainwatch", "data");
            boolean fresh = false;
            int partitions = 12;
            boolean initOnly = false;
            boolean help = false;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--kafka-port" -> kafkaPort = intValue(arg, args, ++i);
                    case "--postgres-port" -> postgresPort = intValue(arg, args, ++i);
                    case "--data-dir" -> dataDir = Path.of(value(arg, args, ++i));
                    case "--partitions" -> partitions = intValue(arg, args, ++i);
                    case "--fresh" -> fresh = true;
                    case "--init-only" -> initOnly = true;
                    case "--help", "-h" -> help = true;
                    default -> throw new IllegalArgumentException(arg + ": unknown option; see --help");
                }
            }
            return new Options(kafkaPort, postgresPort, dataDir, fresh, partitions, initOnly, help);
        }

        private static String value(String option, String[] args, int index) {
            if (index >= args.length || args[index].startsWith("--")) {
                throw new IllegalArgumentException(option + ": needs a value");
            }
            return args[index];
        }

        private static int intValue(String option, String[] args, int index) {
            String value = value(option, args, index);
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": must be a whole number, was " + value, e);
            }
        }
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(USAGE);
            return;
        }
        int status = run(options, System.out);
        // After a signal the JVM is already shutting down (the hook ran): exit would block, so just return.
        if (status != 0 || options.initOnly()) {
            System.exit(status);
        }
    }

    /** Starts the stack and blocks until the JVM is told to stop; returns the exit status when start-up fails. */
    static int run(Options options, PrintStream out) {
        Path dataDir = options.dataDir().toAbsolutePath().normalize();
        Path envFile = dataDir.resolve(ENV_FILE);
        LocalStack stack;
        FileChannel lockChannel;
        try {
            lockChannel = lockDataDir(dataDir);
            LocalStack.Builder builder = LocalStack.builder()
                    .optKafkaPort(options.kafkaPort())
                    .optPostgresPort(options.postgresPort())
                    .optDataDir(dataDir)
                    .optFresh(options.fresh())
                    .optPartitions(options.partitions());
            Files.createDirectories(dataDir);
            Files.deleteIfExists(envFile);
            stack = builder.build();
        } catch (IOException | RuntimeException e) {
            System.err.println("Local stack: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println("Local stack: stopping");
            try {
                Files.deleteIfExists(envFile);
                stack.close();
                out.println("Local stack: stopped");
            } catch (IOException | RuntimeException e) {
                System.err.println("Local stack: stop failed: " + e);
            } finally {
                stopped.countDown();
                closeQuietly(lockChannel);
            }
        }, "trainwatch-local-stack-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long begin = System.nanoTime();
        try {
            stack.start();
            Map<String, String> environment = new LinkedHashMap<>(stack.environment());
            stack.passwordFile().ifPresent(file -> environment.put(PASSWORD_FILE_VARIABLE, file.toString()));
            writeEnvFile(envFile, environment);
        } catch (IOException | RuntimeException e) {
            System.err.println("Local stack: start-up failed: " + e.getMessage());
            return 1;
        }
        long millis = (System.nanoTime() - begin) / 1_000_000;
        out.printf("""
                Local stack ready in %d ms
                  Kafka bootstrap  %s%s
                  PostgreSQL JDBC  %s%s
                  reactive url     %s  (user %s)
                  password file    %s
                  data dir         %s
                  endpoints file   %s
                """, millis, stack.kafkaBootstrapServers(), stack.kafkaEmbedded() ? "" : "  (external)",
                stack.jdbcUrl(), stack.postgresEmbedded() ? "" : "  (external)", stack.reactiveUrl(),
                stack.username(), stack.passwordFile().map(Path::toString).orElse("(external: as given)"), dataDir,
                envFile);
        out.flush();
        if (options.initOnly()) {
            // External servers: nothing of ours runs; keep stack.env for ./run, which reads it next.
            Runtime.getRuntime().removeShutdownHook(hook);
            stack.close();
            closeQuietly(lockChannel);
            return 0;
        }
        try {
            // Supervise PostgreSQL: ./run's apps cannot work without it, and it does not restart itself.
            while (!stopped.await(SUPERVISE_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                try {
                    stack.restartPostgresIfDead();
                } catch (RuntimeException e) {
                    System.err.println("Local stack: PostgreSQL is down and could not be restarted (trying again in "
                            + SUPERVISE_EVERY.toSeconds() + " s): " + e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * One LocalStackMain per data dir: two would fight over the broker's and PostgreSQL's files, and --fresh
     * would wipe the other's. The lock file sits beside the data dir so that --fresh does not delete it.
     */
    private static FileChannel lockDataDir(Path dataDir) throws IOException {
        Path parent = dataDir.getParent() != null ? dataDir.getParent() : dataDir;
        Files.createDirectories(parent);
        Path lockFile = parent.resolve(dataDir.getFileName() + ".lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("data-dir: " + dataDir + " is in use by another local stack (lock "
                    + lockFile + "); stop it first or choose another --data-dir");
        }
        return channel;
    }

    /**
     * KEY='value' lines, so that a shell can source it; written to a temporary file and moved into place. Mode 0600
     * from the start: it holds the database password.
     */
    static void writeEnvFile(Path envFile, Map<String, String> environment) throws IOException {
        StringBuilder text = new StringBuilder("# Written by LocalStackMain when the stack was ready; deleted when it stops.\n");
        environment.forEach((key, value) -> text.append(key).append("='").append(value.replace("'", "'\\''"))
                .append("'\n"));
        text.append("TRAINWATCH_STACK_PID='").append(ProcessHandle.current().pid()).append("'\n");
        Path temporary = envFile.resolveSibling(envFile.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temporary, text);
        Files.move(temporary, envFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Released by the operating system when the process ends anyway.
        }
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }
}
