package io.trainwatch.trainer.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Dataset files from the job API are confined to the data root: no absolute path, no ../, no symlink out. */
class DataRootTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JobSpec parse(Path root, String path) throws Exception {
        return JobSpecParser.parse(JSON.readTree("{\"dataset\":{\"type\":\"csv\",\"path\":" + JSON.writeValueAsString(path) + "}}"), root);
    }

    private List<FieldError> refused(Path root, String path) {
        return assertThrows(InvalidSpecException.class, () -> parse(root, path)).errors();
    }

    @Test
    void aFileInsideTheRootIsReadByItsRealPathAndEverythingElseIsRefusedAlike() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(root.resolve("train.csv"), "1,2,0\n");
        Path outside = Files.writeString(tmp.resolve("secret.csv"), "hunter2,1,0\n");
        Files.createSymbolicLink(root.resolve("link.csv"), outside);

        assertEquals(root.toRealPath().resolve("train.csv").toString(), parse(root, "train.csv").dataset().path());
        for (String bad : List.of(outside.toString(), "../secret.csv", "link.csv", "missing.csv", "/etc/passwd")) {
            List<FieldError> errors = refused(root, bad);
            assertEquals("dataset.path", errors.get(0).field(), bad);
            assertEquals("must be a readable file inside the data root (trainwatch.trainer.data-root), was \"" + bad + "\"",
                    errors.get(0).message(), bad);
            assertFalse(errors.get(0).message().contains("hunter2"));
        }
    }
}
