package dev.heed.benchmarks;

import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.tensor.Tensor;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Self-attention over {@code [batchHeads, tokens, depth]} tensors: {@link ScaledDotProductAttention}
 * (scores materialised) against {@link ChunkedAttention} (tiled, online softmax, default tiles).
 *
 * <p>Flop count. One attention call is two matrix products per (batch, head): {@code q kᵀ} is
 * {@code L·S·d} multiply-adds and {@code weights · v} is {@code L·S·dv}, at two flops each. With
 * {@code dv = d} that is {@code 4·B·H·L·S·d} flops, plus {@code B·H·L·S} exponentials, which are not
 * counted (FlashAttention's convention too). Here {@code B·H = batchHeads} and
 * {@code L = S = tokens}, so GFLOP/s = {@code 4 · batchHeads · tokens² · depth / (avg ms · 1e6)}.
 * With {@code mask=causal} both kernels skip the blocked keys, so only {@code L(L+1)/2} of the
 * {@code L·S} pairs are computed: count {@code 2·B·H·L·(L+1)·d} flops (about half) for a
 * like-for-like rate.
 *
 * <p>{@link #setup()} checks once per trial that the chunked output equals the full one to 1e-9 and
 * fails the run if not, so a fast but wrong kernel cannot report a number.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBenchmark {
    /** Largest absolute difference allowed between the chunked and the full output. */
    private static final double TOLERANCE = 1e-9;

    /** Sequence length: L = S. */
    @Param({"128", "512", "1024"})
    public int tokens;

    /** Key, query and value depth d = dv. */
    @Param({"64"})
    public int depth;

    /** {@code none} or {@code causal}. */
    @Param({"none", "causal"})
    public String mask;

    /** Batch × heads, the leading axis of every tensor. */
    @Param({"8"})
    public int batchHeads;

    private Tensor query;
    private Tensor key;
    private Tensor value;
    private Mask attentionMask;
    private ScaledDotProductAttention full;
    private ChunkedAttention chunked;

    @Setup(Level.Trial)
    public void setup() {
        query = Tensor.randn(1, batchHeads, tokens, depth);
        key = Tensor.randn(2, batchHeads, tokens, depth);
        value = Tensor.randn(3, batchHeads, tokens, depth);
        switch (mask) {
            case "none":
                attentionMask = Mask.none();
                break;
            case "causal":
                attentionMask = Mask.causal();
                break;
            default:
                throw new IllegalArgumentException("mask must be none or causal, got " + mask);
        }
        full = new ScaledDotProductAttention();
        chunked = new ChunkedAttention();

        double[] expected = full().toArray();
        double[] actual = chunked().toArray();
        if (expected.length != actual.length) {
            throw new IllegalStateException("chunked output has " + actual.length + " elements, full has "
                    + expected.length);
        }
        double worst = 0;
        int worstAt = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (Double.isNaN(diff)) {
                worst = diff;
                worstAt = i;
                break;
            }
            if (diff > worst) {
                worst = diff;
                worstAt = i;
            }
        }
        if (!(worst <= TOLERANCE)) {
            throw new IllegalStateException("chunked and full attention disagree: |difference| = " + worst
                    + " at flat index " + worstAt + " (tolerance " + TOLERANCE + ") for tokens=" + tokens
                    + ", depth=" + depth + ", mask=" + mask + ", batchHeads=" + batchHeads);
        }
    }

    /** Scores materialised: {@code [batchHeads, L, S]} weights are allocated and kept. */
    @Benchmark
    public Tensor full() {
        return full.apply(query, key, value, attentionMask).output();
    }

    /** Tiled with the online softmax; O(L + S) extra memory. */
    @Benchmark
    public Tensor chunked() {
        return chunked.apply(query, key, value, attentionMask).output();
    }
}
