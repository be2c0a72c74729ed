package dev.heed.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Writes files with Heed for NumPy and PyTorch to check — a manual step, since the tests do not
 * need Python. Skipped unless {@code -Dheed.io.exportDir=DIR} is given:
 * <pre>
 *   mvn -q test -Dtest=NumpyReadsHeedFilesTest -Dheed.io.exportDir=/tmp/heed-export
 *   /usr/bin/python3 src/test/python/make_io_fixtures.py --verify /tmp/heed-export
 * </pre>
 * The script's {@code verify} function lists what it expects of each file.
 */
class NumpyReadsHeedFilesTest {
    @Test
    void export() throws IOException {
        String target = System.getProperty("heed.io.exportDir");
        assumeTrue(target != null && !target.isEmpty(), "set -Dheed.io.exportDir to export files for Python");
        Path dir = Files.createDirectories(Path.of(target));

        Tensor base = Tensor.arange(24).scale(1.0 / 8).reshape(2, 3, 4);
        Npy.write(dir.resolve("c_order.npy"), base);
        Npy.write(dir.resolve("transposed.npy"), base.permute(2, 0, 1));
        Npy.write(dir.resolve("scalar.npy"), Tensor.scalar(3.25));
        Npy.write(dir.resolve("empty.npy"), Tensor.zeros(0, 5));
        Npy.write(dir.resolve("specials.npy"), Tensor.of(new double[] {Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE, Double.MAX_VALUE}, 6));
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("a", base);
        arrays.put("b", Tensor.scalar(3.25));
        arrays.put("sub/c", Tensor.zeros(0, 5));
        Npy.writeNpz(dir.resolve("arrays.npz"), arrays);

        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("größe", Tensor.scalar(3.25));
        named.put("with \"quote\"", Tensor.zeros(0, 5));
        named.put("base", base);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "quote \" backslash \\ and größe");
        SafeTensors.write(dir.resolve("meta.safetensors"), named, metadata);

        // modules, their state dicts, and Heed's outputs for torch to reproduce
        Map<String, Tensor> io = new LinkedHashMap<>();
        MultiHeadAttention packed = MultiHeadAttention.builder(8, 2).seed(11)
                .biases(Tensor.random(1).normal(8), Tensor.random(2).normal(8), Tensor.random(3).normal(8), Tensor.random(4).normal(8)).build();
        MultiHeadAttention kvdim = MultiHeadAttention.builder(6, 3).keyDim(5).valueDim(4).bias(false).seed(12).build();
        export(dir, "packed", packed, Tensor.random(5).normal(2, 4, 8), Tensor.random(6).normal(2, 5, 8), Tensor.random(7).normal(2, 5, 8), io);
        export(dir, "kvdim", kvdim, Tensor.random(8).normal(2, 3, 6), Tensor.random(9).normal(2, 4, 5), Tensor.random(10).normal(2, 4, 4), io);
        Npy.writeNpz(dir.resolve("mha_io.npz"), io);
    }

    private static void export(Path dir, String tag, MultiHeadAttention m, Tensor q, Tensor k, Tensor v,
            Map<String, Tensor> io) throws IOException {
        Map<String, Tensor> sd = StateDicts.of(m);
        Npy.writeNpz(dir.resolve("mha_" + tag + ".npz"), sd);
        SafeTensors.write(dir.resolve("mha_" + tag + ".safetensors"), sd);
        var r = m.forward(q, k, v, Mask.none());
        io.put(tag + ".query", q);
        io.put(tag + ".key", k);
        io.put(tag + ".value", v);
        io.put(tag + ".output", r.output());
        io.put(tag + ".weights", r.weights());
    }
}
