package io.trainwatch.stack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Password authentication for the embedded PostgreSQL: two random passwords, the application role's and the
 * superuser {@value #SUPERUSER}'s, each in a file of the stack's data dir that only its owner may read (0600), and a
 * pg_hba.conf that asks every connection, over the Unix socket or loopback TCP, for a SCRAM-SHA-256 password.
 * Two passwords so that the apps, which get the role's, never hold the superuser's.
 */
final class PostgresCredentials {

    /** The application role's password (the apps get it through {@link LocalStack#password()}). */
    static final String PASSWORD_FILE = "postgres-password";
    /** The superuser's: only LocalStack (and zonky's readiness check) log in as postgres. */
    static final String SUPERUSER_PASSWORD_FILE = "postgres-superuser-password";
    static final String SUPERUSER = "postgres";
    static final String AUTH_METHOD = "scram-sha-256";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresCredentials.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    /** 24 random bytes: 192 bits, 32 URL-safe characters (no quote, colon or backslash to escape anywhere). */
    private static final int PASSWORD_BYTES = 24;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HBA_FILE = "pg_hba.conf";
    private static final String HBA = """
            # Written by the Trainwatch local stack on every start; edits are overwritten. Every connection, over the
            # Unix socket or TCP, must give a password (SCRAM-SHA-256): the passwords are in the files %2$s
            # (the apps' role) and %3$s (superuser) of the stack's data dir, readable by their owner only.
            # TYPE  DATABASE     USER  ADDRESS       METHOD
            local   all          all                 %1$s
            host    all          all   127.0.0.1/32  %1$s
            host    all          all   ::1/128       %1$s
            local   replication  all                 %1$s
            host    replication  all   127.0.0.1/32  %1$s
            host    replication  all   ::1/128       %1$s
            """;

    private final Path passwordFile;
    private final Path superuserPasswordFile;
    private final String password;
    private final String superuserPassword;

    private PostgresCredentials(Path passwordFile, String password, Path superuserPasswordFile,
                                String superuserPassword) {
        this.passwordFile = passwordFile;
        this.password = password;
        this.superuserPasswordFile = superuserPasswordFile;
        this.superuserPassword = superuserPassword;
    }

    /**
     * Reads the two passwords from {@code stackDir}, generating (and storing) each one that is missing. A cluster
     * in {@code postgresDataDir} that already asks for passwords cannot be entered without the superuser's stored
     * one: that is an error naming the file, not a new password.
     */
    static PostgresCredentials loadOrCreate(Path stackDir, Path postgresDataDir) {
        Path passwordFile = stackDir.resolve(PASSWORD_FILE);
        Path superuserFile = stackDir.resolve(SUPERUSER_PASSWORD_FILE);
        if (initialised(postgresDataDir) && !trustsAnyone(postgresDataDir) && !Files.exists(superuserFile)) {
            throw new IllegalStateException("dataDir: the PostgreSQL data in " + postgresDataDir + " requires "
                    + "passwords but " + superuserFile + " is missing; restore it, or start over with an empty data "
                    + "dir (./run --fresh deletes the data)");
        }
        return new PostgresCredentials(passwordFile, readOrCreate(passwordFile), superuserFile,
                readOrCreate(superuserFile));
    }

    String password() {
        return password;
    }

    Path passwordFile() {
        return passwordFile;
    }

    String superuserPassword() {
        return superuserPassword;
    }

    /** initdb reads the superuser's password from here (first line) when it creates the cluster. */
    Path superuserPasswordFile() {
        return superuserPasswordFile;
    }

    /** True once initdb has run there: zonky's own test before it runs initdb. */
    static boolean initialised(Path postgresDataDir) {
        return Files.exists(postgresDataDir.resolve("postgresql.conf"));
    }

    /**
     * True when pg_hba.conf lets anyone in without a password: a data dir made before the stack required passwords
     * (zonky's initdb writes {@code trust} lines), which {@link LocalStack} upgrades on start.
     */
    static boolean trustsAnyone(Path postgresDataDir) {
        Path hba = postgresDataDir.resolve(HBA_FILE);
        if (!initialised(postgresDataDir) || !Files.exists(hba)) {
            return false;
        }
        try {
            return Files.readAllLines(hba).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .anyMatch(line -> Arrays.asList(line.split("\\s+")).contains("trust"));
        } catch (IOException e) {
            throw new UncheckedIOException(hba + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Writes the pg_hba.conf that asks every connection for a SCRAM password; before each start of the server. */
    static void requirePasswords(Path postgresDataDir) {
        Path hba = postgresDataDir.resolve(HBA_FILE);
        String text = HBA.formatted(AUTH_METHOD, PASSWORD_FILE, SUPERUSER_PASSWORD_FILE);
        try {
            if (!Files.exists(hba) || !Files.readString(hba).equals(text)) {
                Files.writeString(hba, text);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(hba + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** A random password of URL-safe characters, from SecureRandom. */
    static String generate() {
        byte[] bytes = new byte[PASSWORD_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                String stored = lines.isEmpty() ? "" : lines.get(0).strip();
                if (stored.isEmpty()) {
                    throw new IllegalStateException(file + ": empty; it must hold the password on its first line "
                            + "(delete it only together with the PostgreSQL data)");
                }
                if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                    Files.setPosixFilePermissions(file, OWNER_ONLY);
                    LOG.warn("{} was readable by others; its mode is now 0600", file);
                }
                return stored;
            }
            String password = generate();
            // Created with mode 0600 before the password is written: never readable by others, not even briefly.
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(temporary, password + "\n");
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("Generated a PostgreSQL password in {}", file);
            return password;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read or create the password file: " + e.getMessage(), e);
        }
    }
}
