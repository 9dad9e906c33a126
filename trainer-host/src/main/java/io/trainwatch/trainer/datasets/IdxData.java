package io.trainwatch.trainer.datasets;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format): a magic number {@code 0x0000TTDD} (TT = element type, DD = dimensions), then
 * each dimension as a big-endian int, then the elements. Unsigned-byte images are scaled to [0, 1]; float images are
 * used as they are. {@code .gz} files are read through gzip.
 */
public final class IdxData {

    private static final int UBYTE = 0x08;
    private static final int FLOAT = 0x0D;

    private IdxData() {
    }

    /** An IDX tensor: its dimensions and values as floats. */
    record Tensor(int[] dims, float[] values) {
    }

    static Tensor read(String field, Path path, Integer limit) {
        try (InputStream raw = Files.newInputStream(path);
             InputStream buffered = new BufferedInputStream(path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw, 1 << 16);
             DataInputStream in = new DataInputStream(buffered)) {
            int magic = in.readInt();
            int type = (magic >> 8) & 0xFF;
            int ndims = magic & 0xFF;
            if ((magic >>> 16) != 0 || ndims < 1 || ndims > 4) {
                throw new DatasetException(field, "\"" + path + "\" is not an IDX file (magic number 0x"
                        + Integer.toHexString(magic) + ", expected 0x000008dd or 0x00000Ddd with 1-4 dimensions)");
            }
            if (type != UBYTE && type != FLOAT) {
                throw new DatasetException(field, "\"" + path + "\": IDX element type 0x" + Integer.toHexString(type)
                        + " is not supported (0x08 unsigned byte or 0x0D float)");
            }
            int[] dims = new int[ndims];
            long total = 1;
            for (int i = 0; i < ndims; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 1) {
                    throw new DatasetException(field, "\"" + path + "\": dimension " + i + " must be >= 1, was " + dims[i]);
                }
                total *= dims[i];
            }
            if (limit != null && dims[0] > limit) {
                total = total / dims[0] * limit;
                dims[0] = limit;
            }
            if (total > 500_000_000L) {
                throw new DatasetException(field, "\"" + path + "\" holds " + total + " values; at most 500,000,000 (set dataset.limit)");
            }
            float[] values = new float[(int) total];
            for (int i = 0; i < values.length; i++) {
                values[i] = type == UBYTE ? in.readUnsignedByte() / 255f : in.readFloat();
            }
            return new Tensor(dims, values);
        } catch (EOFException e) {
            throw new DatasetException(field, "\"" + path + "\" ends before the size its header declares (truncated IDX file)", e);
        } catch (IOException e) {
            throw new DatasetException(field, "cannot read \"" + path + "\": " + e.getMessage(), e);
        }
    }

    /** Images (N × H × W, or N × D) with their labels (N, unsigned bytes); a raw label IDX is read unscaled. */
    static Samples samples(String imagesField, Path images, String labelsField, Path labels, Integer limit) {
        Tensor x = read(imagesField, images, limit);
        Tensor y = read(labelsField, labels, limit);
        if (y.dims().length != 1) {
            throw new DatasetException(labelsField, "\"" + labels + "\" must have 1 dimension (one label per image), had " + y.dims().length);
        }
        if (y.dims()[0] != x.dims()[0]) {
            throw new DatasetException(labelsField, "\"" + labels + "\" has " + y.dims()[0] + " labels but \"" + images + "\" has " + x.dims()[0] + " images");
        }
        float[] classes = new float[y.values().length];
        int max = 0;
        for (int i = 0; i < classes.length; i++) {
            // Labels were scaled like pixels on read; undo it exactly (k / 255f * 255 rounds back to k).
            int c = Math.round(y.values()[i] * 255f);
            classes[i] = c;
            max = Math.max(max, c);
        }
        int[] d = x.dims();
        long[] shape = switch (d.length) {
            case 1 -> new long[] {1};
            case 2 -> new long[] {d[1]};
            case 3 -> new long[] {1, d[1], d[2]};
            default -> new long[] {d[1], d[2], d[3]};
        };
        return new Samples(x.values(), shape, classes, max + 1);
    }
}
