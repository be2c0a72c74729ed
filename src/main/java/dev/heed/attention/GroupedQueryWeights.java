package dev.heed.attention;

import dev.heed.encoding.RotaryEncoding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The four projections of a {@link GroupedQueryAttention} under Hugging Face's names: made from given,
 * loaded or seeded weights, checked against the module's sizes, and written back out as a state dict.
 * Package-private: it keeps the module's own file about attention.
 */
final class GroupedQueryWeights {
    /** The projections in Hugging Face's order: query, key, value, output. */
    static final String[] NAMES = {"q_proj", "k_proj", "v_proj", "o_proj"};
    /** The buffer older transformers versions saved beside the projections (LlamaRotaryEmbedding's). */
    static final String INV_FREQ = "rotary_emb.inv_freq";
    /** How far a saved inv_freq may be from the configured one: it may have been stored in half precision. */
    private static final double INV_FREQ_TOLERANCE = 1e-2;

    private GroupedQueryWeights() {}

    /** The {@code [out, in]} shape of projection {@code p} (0 = query ... 3 = output). */
    static int[] weightShape(int p, int embedDim, int numHeads, int numKeyValueHeads, int headDim) {
        return switch (p) {
            case 0 -> new int[] {numHeads * headDim, embedDim};
            case 1, 2 -> new int[] {numKeyValueHeads * headDim, embedDim};
            default -> new int[] {embedDim, numHeads * headDim};
        };
    }

    /**
     * The projections from {@code weights} (all four, or all null for seeded ones) and {@code biases}
     * (each null for none; with seeded weights, {@code seededBias} says which get a zero bias).
     */
    static Linear[] of(int[][] shapes, Tensor[] weights, Tensor[] biases, boolean[] seededBias, long seed) {
        Linear[] out = new Linear[4];
        Random random = new Random(seed);
        for (int p = 0; p < 4; p++) {
            int[] shape = shapes[p];
            Tensor w;
            Tensor b = biases[p];
            if (weights[p] == null) {
                // nn.Linear's default draw, U(-1/sqrt(in), 1/sqrt(in)), from one seeded stream.
                double[] data = new double[shape[0] * shape[1]];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (2 * random.nextDouble() - 1) / Math.sqrt(shape[1]);
                }
                w = Tensor.of(data, shape);
                b = b == null && seededBias[p] ? Tensor.zeros(shape[0]) : b;
            } else {
                w = weights[p];
                check(NAMES[p] + ".weight", w, shape);
            }
            if (b != null) {
                check(NAMES[p] + ".bias", b, new int[] {shape[0]});
            }
            out[p] = Linear.of(w, b);
        }
        return out;
    }

    private static void check(String name, Tensor t, int[] expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(
                    name + " must be " + Arrays.toString(expected) + ", got " + Arrays.toString(t.shape()));
        }
    }

    /**
     * Reads the projections under {@code prefix} from a state dict: {@code [weights, biases]}, biases
     * null where absent. Every key under the prefix must be one of ours; shapes are checked against
     * {@code shapes}, and a saved {@code rotary_emb.inv_freq} against {@code rotary}.
     */
    static Tensor[][] read(Map<String, Tensor> stateDict, String prefix, int[][] shapes, RotaryEncoding rotary) {
        Tensor[] weights = new Tensor[4];
        Tensor[] biases = new Tensor[4];
        List<String> missing = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            String name = prefix + NAMES[p] + ".weight";
            weights[p] = entry(stateDict, name);
            if (weights[p] == null) {
                missing.add(name);
            } else {
                checkEntry(name, weights[p], shapes[p]);
            }
            String bias = prefix + NAMES[p] + ".bias";
            biases[p] = entry(stateDict, bias);
            if (biases[p] != null) {
                checkEntry(bias, biases[p], new int[] {shapes[p][0]});
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the state dict has no " + String.join(", ", missing)
                    + "; its keys under '" + prefix + "': " + keysUnder(stateDict, prefix));
        }
        TreeSet<String> extra = new TreeSet<>();
        for (String key : stateDict.keySet()) {
            if (key != null && key.startsWith(prefix) && !ours(key.substring(prefix.length()))) {
                extra.add(key);
            }
        }
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("unexpected keys in the state dict under '" + prefix + "': " + extra
                    + " (a grouped-query attention layer has q_proj, k_proj, v_proj, o_proj .weight and .bias"
                    + (prefix.isEmpty() ? "; give the layer's prefix to load one layer of a model)" : ")"));
        }
        Tensor invFreq = entry(stateDict, prefix + INV_FREQ);
        if (invFreq != null) {
            checkInverseFrequencies(prefix + INV_FREQ, invFreq, rotary);
        }
        return new Tensor[][] {weights, biases};
    }

    private static boolean ours(String name) {
        if (name.equals(INV_FREQ)) {
            return true;
        }
        for (String p : NAMES) {
            if (name.equals(p + ".weight") || name.equals(p + ".bias")) {
                return true;
            }
        }
        return false;
    }

    private static Tensor entry(Map<String, Tensor> stateDict, String name) {
        if (stateDict.containsKey(name) && stateDict.get(name) == null) {
            throw new IllegalArgumentException("the state dict maps " + name + " to null");
        }
        return stateDict.get(name);
    }

    private static void checkEntry(String name, Tensor t, int[] expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException("state dict entry " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected) + " for this layer's sizes");
        }
    }

    /**
     * A saved {@code inv_freq} must be the configured rotary's frequencies, to {@link #INV_FREQ_TOLERANCE}
     * relative (enough to catch another {@code rope_theta} or rotary dim, loose enough for float16).
     */
    private static void checkInverseFrequencies(String name, Tensor saved, RotaryEncoding rotary) {
        if (rotary == null) {
            throw new IllegalArgumentException("the state dict has " + name + " but this layer has no rotary encoding");
        }
        double[] expected = rotary.inverseFrequencies();
        if (saved.rank() != 1 || saved.shape(0) != expected.length) {
            throw new IllegalArgumentException("state dict entry " + name + " has shape "
                    + Arrays.toString(saved.shape()) + ", expected [" + expected.length + "] for " + rotary);
        }
        double[] got = saved.toArray();
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(got[i] - expected[i]) <= INV_FREQ_TOLERANCE * expected[i])) {
                throw new IllegalArgumentException("state dict entry " + name + "[" + i + "] = " + got[i]
                        + " is not the inverse frequency " + expected[i] + " of " + rotary
                        + ": the checkpoint was trained with another rotary base (rope_theta) or dim");
            }
        }
    }

    private static String keysUnder(Map<String, Tensor> stateDict, String prefix) {
        TreeSet<String> keys = new TreeSet<>();
        for (String key : stateDict.keySet()) {
            if (key != null && key.startsWith(prefix)) {
                keys.add(key);
            }
        }
        if (keys.size() > 20) {
            return new ArrayList<>(keys).subList(0, 20) + " and " + (keys.size() - 20) + " more";
        }
        return keys.toString();
    }

    /** Every parameter under Hugging Face's name behind {@code prefix}, in its state_dict order; copies. */
    static Map<String, Tensor> parameters(Linear[] projections, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int p = 0; p < 4; p++) {
            out.put(prefix + NAMES[p] + ".weight", projections[p].weight());
            if (projections[p].hasBias()) {
                out.put(prefix + NAMES[p] + ".bias", projections[p].bias());
            }
        }
        return out;
    }
}
