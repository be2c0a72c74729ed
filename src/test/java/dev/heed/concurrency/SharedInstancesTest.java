package dev.heed.concurrency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Modules are immutable after construction and safe to share: one instance each of
 * {@link ScaledDotProductAttention}, {@link ChunkedAttention}, two {@link MultiHeadAttention}s
 * and a handful of {@link Mask}s is hammered from {@value #THREADS} threads at once, over inputs
 * of varying shapes (also shared, read-only), and every result is compared bit for bit with
 * what a single thread computed beforehand.
 */
class SharedInstancesTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 8;
    private static final int S = 6;

    /** One call: what to run, and the reference bits from the single-threaded run. */
    private record Call(String name, Supplier<AttentionResult> run, double[][] expected) {}

    private static double[][] snapshot(AttentionResult r) {
        return new double[][] {
            r.output().toArray(), r.weights().toArray(), r.logSumExp().toArray()
        };
    }

    private static boolean sameBits(double[][] a, double[][] b) {
        for (int i = 0; i < a.length; i++) {
            if (!Arrays.equals(a[i], b[i])) { // Arrays.equals(double[]) compares doubleToLongBits
                return false;
            }
        }
        return true;
    }

    private static List<Call> calls() {
        Attention sdpa = new ScaledDotProductAttention();
        Attention chunked = new ChunkedAttention(3, 2);
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(1).build();
        MultiHeadAttention mhaChunked = MultiHeadAttention.builder(8, 4)
                .keyDim(5)
                .valueDim(3)
                .seed(2)
                .kernel(new ChunkedAttention(2, 4))
                .build();
        Tensor bias = Tensor.random(7).normal(S);
        Tensor block = Tensor.zeros(1, S);
        block.set(1, 0, 4);
        List<Mask> masks = List.of(
                Mask.none(),
                Mask.causal(),
                Mask.bias(bias),
                Mask.block(block),
                Mask.causal().and(Mask.bias(bias)).and(Mask.keyPadding(5)));

        List<Call> calls = new ArrayList<>();
        for (int c = 0; c < 12; c++) {
            int b = 1 + c % 3;
            int l = 1 + (c * 5) % 7;
            Tensor q = Tensor.random(100 + c).normal(b, l, 4);
            Tensor k = Tensor.random(200 + c).normal(b, S, 4);
            Tensor v = Tensor.random(300 + c).normal(b, S, 3);
            Tensor x = Tensor.random(400 + c).normal(b, l, 8);
            Tensor kv = Tensor.random(500 + c).normal(b, S, 8);
            Tensor k5 = Tensor.random(600 + c).normal(b, S, 5);
            Tensor v3 = Tensor.random(700 + c).normal(b, S, 3);
            for (Mask m : masks) {
                String shape = " b=" + b + " l=" + l + " " + m;
                calls.add(call("sdpa" + shape, () -> sdpa.apply(q, k, v, m)));
                calls.add(call("chunked" + shape, () -> chunked.apply(q, k, v, m)));
                calls.add(call("mha" + shape, () -> mha.forward(x, kv, kv, m)));
                calls.add(call("mha chunked" + shape, () -> mhaChunked.forward(x, k5, v3, m)));
            }
        }
        return calls;
    }

    private static Call call(String name, Supplier<AttentionResult> run) {
        return new Call(name, run, snapshot(run.get()));
    }

    @Test
    void everyResultIsBitwiseTheSingleThreadedOne() throws Exception {
        List<Call> calls = calls();
        ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long seed = t;
                    futures.add(pool.submit(() -> {
                        List<Call> mine = new ArrayList<>(calls);
                        start.await();
                        for (int round = 0; round < ROUNDS; round++) {
                            Collections.shuffle(mine, new Random(seed * 31 + round)); // threads overlap differently
                            for (Call c : mine) {
                                if (!sameBits(snapshot(c.run.get()), c.expected)) {
                                    mismatches.add(c.name);
                                }
                                done.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : futures) {
                    f.get();
                }
            });
        } finally {
            pool.shutdownNow();
        }
        assertThat(mismatches)
                .as("calls whose result differed from the single-threaded run")
                .isEmpty();
        assertThat(done.get()).isEqualTo(THREADS * ROUNDS * calls.size());
    }

    @Test
    void lazyWeightsOfOneResultAreComputedOnceForAllThreads() throws Exception {
        Tensor q = Tensor.random(1).normal(2, 9, 4);
        Tensor k = Tensor.random(2).normal(2, 11, 4);
        Tensor v = Tensor.random(3).normal(2, 11, 5);
        double[] expected = new ChunkedAttention(4, 3)
                .apply(q, k, v, Mask.causal())
                .weights()
                .toArray();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int trial = 0; trial < 20; trial++) {
                AttentionResult shared = new ChunkedAttention(4, 3).apply(q, k, v, Mask.causal());
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Tensor>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        return shared.weights();
                    }));
                }
                start.countDown();
                Tensor first = futures.get(0).get();
                for (Future<Tensor> f : futures) {
                    assertThat(f.get()).as("every thread gets the same tensor").isSameAs(first);
                }
                assertThat(first.toArray()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
