package io.trainwatch.stack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalStackMainTest {

    @Test
    void defaultsMatchTheDocumentedPorts() {
        LocalStackMain.Options options = LocalStackMain.Options.parse();
        assertEquals(9092, options.kafkaPort());
        assertEquals(5433, options.postgresPort());
        assertEquals(Path.of(".trainwatch", "data"), options.dataDir());
        assertEquals(12, options.partitions());
        assertFalse(options.fresh() || options.initOnly() || options.help());
    }

    @Test
    void parsesEveryOption() {
        LocalStackMain.Options options = LocalStackMain.Options.parse("--kafka-port", "0", "--postgres-port", "6543",
                "--data-dir", "/tmp/x", "--fresh", "--partitions", "3", "--init-only", "--help");
        assertEquals(new LocalStackMain.Options(0, 6543, Path.of("/tmp/x"), true, 3, true, true), options);
    }

    @Test
    void badOptionsNameTheOptionAndTheRule() {
        assertEquals("--kafka-port: must be a whole number, was abc", assertThrows(IllegalArgumentException.class,
                () -> LocalStackMain.Options.parse("--kafka-port", "abc")).getMessage());
        assertEquals("--data-dir: needs a value", assertThrows(IllegalArgumentException.class,
                () -> LocalStackMain.Options.parse("--data-dir")).getMessage());
        assertEquals("--bogus: unknown option; see --help", assertThrows(IllegalArgumentException.class,
                () -> LocalStackMain.Options.parse("--bogus")).getMessage());
    }

    @Test
    void envFileQuotesValuesForTheShellAndOnlyItsOwnerMayReadIt(@TempDir Path dir) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://h:1/db?a=1&b=2");
        env.put("QUARKUS_DATASOURCE_PASSWORD", "it's");
        Path file = dir.resolve(LocalStackMain.ENV_FILE);
        LocalStackMain.writeEnvFile(file, env);
        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.contains("QUARKUS_DATASOURCE_JDBC_URL='jdbc:postgresql://h:1/db?a=1&b=2'"), lines.toString());
        assertTrue(lines.contains("QUARKUS_DATASOURCE_PASSWORD='it'\\''s'"), lines.toString());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("TRAINWATCH_STACK_PID='")), lines.toString());
        assertFalse(Files.exists(dir.resolve(LocalStackMain.ENV_FILE + ".tmp")));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file),
                "it holds the database password");
    }
}
