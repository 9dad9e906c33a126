package io.trainwatch.trainer.datasets;

import io.trainwatch.trainer.spec.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetsTest {

    @TempDir
    Path dir;

    static DatasetSpec spec(String type, String path, String labelsPath, String labelColumn, String task) {
        return new DatasetSpec(type, 300, 100, 0.2, 7, 3, 4, path, labelsPath, null, null, labelColumn, true, 0.25, task, null);
    }

    @Test
    void syntheticSetsHaveTheRequestedSizesAndAreReproducible() {
        for (String type : new String[] {"spirals", "blobs", "regression"}) {
            TrainValData a = Datasets.load(spec(type, null, null, null, "classification"));
            TrainValData b = Datasets.load(spec(type, null, null, null, "classification"));
            assertEquals(300, a.train().size());
            assertEquals(100, a.val().size());
            assertArrayEquals(a.train().features(), b.train().features(), type);
            assertEquals(type.equals("regression"), a.regression());
        }
        TrainValData spirals = Datasets.load(spec("spirals", null, null, null, "classification"));
        assertArrayEquals(new long[] {2}, spirals.train().sampleShape());
        assertEquals(3, spirals.numClasses());
        assertEquals(1.0 / 3, spirals.classBalance().get("0"), 0.01);
        assertArrayEquals(new long[] {4}, Datasets.load(spec("blobs", null, null, null, "classification")).train().sampleShape());
    }

    @Test
    void csvWithNamedLabelColumnAndTextLabelsIsSplitAndStandardised() throws IOException {
        StringBuilder csv = new StringBuilder("x1,species,x2\n");
        for (int i = 0; i < 40; i++) {
            csv.append(i).append(',').append(i % 2 == 0 ? "cat" : "dog").append(',').append(i * 10).append('\n');
        }
        Path file = Files.writeString(dir.resolve("pets.csv"), csv);
        TrainValData d = Datasets.load(spec("csv", file.toString(), null, "species", "classification"));
        assertEquals(30, d.train().size());
        assertEquals(10, d.val().size());
        assertEquals(2, d.numClasses());
        assertArrayEquals(new long[] {2}, d.train().sampleShape());
        double mean = 0;
        for (int i = 0; i < d.train().size(); i++) {
            mean += d.train().features()[i * 2];
        }
        assertEquals(0, mean / d.train().size(), 1e-4, "standardised with the training split's mean");
    }

    @Test
    void malformedCsvNamesTheLineAndColumn() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.csv"), "a,b,label\n1,2,0\n3,x,1\n");
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.load(spec("csv", file.toString(), null, null, "classification")));
        assertEquals("dataset.path", e.field());
        assertTrue(e.getMessage().endsWith("line 3 column 2: must be a number"), e.getMessage());
        Path ragged = Files.writeString(dir.resolve("ragged.csv"), "a,b,label\n1,2,0\n3,1\n");
        assertTrue(assertThrows(DatasetException.class, () -> Datasets.load(spec("csv", ragged.toString(), null, null, "classification")))
                .getMessage().contains("line 3: expected 3 columns, had 2"));
        Path oneClass = Files.writeString(dir.resolve("one.csv"), "a,label\n1,0\n2,0\n");
        assertTrue(assertThrows(DatasetException.class, () -> Datasets.load(spec("csv", oneClass.toString(), null, null, "classification")))
                .getMessage().contains("only one class"));
        Path regression = Files.writeString(dir.resolve("reg.csv"), "a,y\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n");
        assertTrue(Datasets.load(spec("csv", regression.toString(), null, "y", "regression")).regression());
    }

    @Test
    void csvWithQuotedFieldsBlankLinesAndByteOrderMarkIsRead() throws IOException {
        StringBuilder csv = new StringBuilder("\uFEFF\"x1\",\"kind, of pet\",x2\n\n");
        for (int i = 0; i < 20; i++) {
            csv.append(i).append(",\"").append(i % 2 == 0 ? "cat, small" : "dog \"\"big\"\"").append("\",").append(i * 10).append("\n");
            if (i == 7) {
                csv.append("\n");
            }
        }
        Path file = Files.writeString(dir.resolve("quoted.csv"), csv);
        TrainValData d = Datasets.load(spec("csv", file.toString(), null, "kind, of pet", "classification"));
        assertEquals(15, d.train().size());
        assertEquals(5, d.val().size());
        assertEquals(2, d.numClasses(), "a comma or an escaped quote inside quotes is part of the label");
        assertArrayEquals(new long[] {2}, d.train().sampleShape());
    }

    @Test
    void csvErrorsNameThePlaceButNeverEchoTheFile() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret.csv"), "user,password\nroot,hunter2\n");
        DatasetException notNumber = assertThrows(DatasetException.class,
                () -> Datasets.load(spec("csv", secret.toString(), null, null, "classification")));
        assertTrue(notNumber.getMessage().contains("line 2 column 1: must be a number"), notNumber.getMessage());
        DatasetException noColumn = assertThrows(DatasetException.class,
                () -> Datasets.load(spec("csv", secret.toString(), null, "label", "classification")));
        assertEquals("dataset.label_column", noColumn.field());
        Path unclosed = Files.writeString(dir.resolve("unclosed.csv"), "a,label\n1,0\n2,\"hunter2\n");
        DatasetException badQuote = assertThrows(DatasetException.class,
                () -> Datasets.load(spec("csv", unclosed.toString(), null, null, "classification")));
        assertTrue(badQuote.getMessage().contains("not valid CSV"), badQuote.getMessage());
        for (DatasetException e : List.of(notNumber, noColumn, badQuote)) {
            assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("password"), e.getMessage());
        }
    }

    private Path idx(String name, int type, int[] dims, byte[] body) throws IOException {
        Path p = dir.resolve(name);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(p))) {
            out.writeInt((type << 8) | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(body);
        }
        return p;
    }

    @Test
    void idxImagesAndLabelsLoadAsScaledImages() throws IOException {
        int n = 20;
        byte[] pixels = new byte[n * 4 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 256);
        }
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % 3);
        }
        Path images = idx("images.idx3-ubyte", 0x08, new int[] {n, 4, 4}, pixels);
        Path lab = idx("labels.idx1-ubyte", 0x08, new int[] {n}, labels);
        TrainValData d = Datasets.load(spec("idx", images.toString(), lab.toString(), null, "classification"));
        assertEquals(15, d.train().size());
        assertEquals(5, d.val().size());
        assertEquals(3, d.numClasses());
        assertArrayEquals(new long[] {1, 4, 4}, d.train().sampleShape());
        for (float v : d.train().features()) {
            assertTrue(v >= 0 && v <= 1);
        }
        for (float l : d.train().labels()) {
            assertTrue(l == 0 || l == 1 || l == 2);
        }
    }

    @Test
    void truncatedOrForeignIdxIsAClearError() throws IOException {
        Path images = idx("short.idx", 0x08, new int[] {10, 4, 4}, new byte[50]);
        Path lab = idx("l.idx", 0x08, new int[] {10}, new byte[10]);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.load(spec("idx", images.toString(), lab.toString(), null, "classification")));
        assertTrue(e.getMessage().contains("truncated IDX file"), e.getMessage());
        Path text = Files.writeString(dir.resolve("notidx.idx"), "hello world, not an idx file");
        e = assertThrows(DatasetException.class, () -> Datasets.load(spec("idx", text.toString(), lab.toString(), null, "classification")));
        assertTrue(e.getMessage().contains("is not an IDX file"), e.getMessage());
        Path fewLabels = idx("few.idx", 0x08, new int[] {5}, new byte[5]);
        Path fine = idx("ok.idx", 0x08, new int[] {10, 4, 4}, new byte[160]);
        e = assertThrows(DatasetException.class, () -> Datasets.load(spec("idx", fine.toString(), fewLabels.toString(), null, "classification")));
        assertEquals("dataset.labels_path", e.field());
    }
}
