package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of seeded mutations of valid files — bit flips, byte sets, truncations, extensions,
 * deletions, duplications, splices of two files, edits of the numbers in a header and of the
 * header length — fed to {@link Npy#read}, {@link Npy#readNpz} and {@link SafeTensors#read}.
 * Each call must either succeed or throw an {@link IOException} with a message; anything else
 * (a RuntimeException, an Error such as OutOfMemoryError under the tests' -Xmx1g, a hang) fails
 * the test, which names the mutation so it can be replayed from {@link #SEED}.
 *
 * <p>For a longer hunt: {@code mvn test -Dtest=ReaderFuzzTest -Dheed.fuzz.seed=7
 * -Dheed.fuzz.mutations=200000} (the time bound scales with the count; the counts of accepted
 * and refused inputs are printed when the mutation count is not the default).
 */
class ReaderFuzzTest {
    private static final long SEED = Long.getLong("heed.fuzz.seed", 0x5EED_F11EL);
    private static final int MUTATIONS = Integer.getInteger("heed.fuzz.mutations", 6000);
    /** The whole run, a few thousand file writes and reads, normally takes 2–4 s. */
    private static final Duration TIME_BOUND = Duration.ofSeconds(10 * Math.max(1, MUTATIONS / 6000));

    private static final String[] NPY = {
        "npy/f8_le.npy",
        "npy/f2_be.npy",
        "npy/f8_fortran.npy",
        "npy/f8_0d.npy",
        "npy/f8_empty.npy",
        "npy/f4_be_v3.npy",
        "npy/f8_v2.npy",
        "npy/i4_py2_long.npy",
        "npy/u8_be.npy",
        "npy/b1.npy"
    };
    private static final String[] NPZ = {"arrays.npz", "arrays_compressed.npz", "mha_kvdim.npz"};
    private static final String[] SAFETENSORS = {
        "dtypes.safetensors", "mha_packed.safetensors", "encoder_layer_f32.safetensors"
    };
    private static final long[] INTERESTING = {
        0,
        1,
        -1,
        2,
        255,
        65535,
        1L << 31,
        (1L << 31) - 1,
        1L << 32,
        (1L << 32) - 1,
        1L << 53,
        1L << 62,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        1_000_000_000,
        46341
    };

    enum Kind {
        NPY,
        NPZ,
        SAFETENSORS
    }

    record Seed(String name, Kind kind, byte[] bytes) {}

    @TempDir
    Path dir;

    private final List<String> failures = new ArrayList<>();
    private int accepted;
    private int refused;

    @Test
    void mutatedFilesGiveOnlyIOExceptions() {
        List<Seed> seeds = new ArrayList<>();
        for (String n : NPY) {
            seeds.add(new Seed(n, Kind.NPY, IoFixtures.bytes(n)));
        }
        for (String n : NPZ) {
            seeds.add(new Seed(n, Kind.NPZ, IoFixtures.bytes(n)));
        }
        for (String n : SAFETENSORS) {
            seeds.add(new Seed(n, Kind.SAFETENSORS, IoFixtures.bytes(n)));
        }
        assertTimeoutPreemptively(
                TIME_BOUND,
                () -> {
                    Random random = new Random(SEED);
                    for (int i = 0; i < MUTATIONS; i++) {
                        Seed seed = seeds.get(random.nextInt(seeds.size()));
                        StringBuilder how = new StringBuilder();
                        byte[] mutated = mutate(seed, seeds, random, how);
                        Path p = dir.resolve("m" + i);
                        Files.write(p, mutated);
                        String context = "mutation " + i + " of " + seed.name + " (" + how + ")";
                        check(seed.kind, p, context);
                        if (i % 8 == 0) { // now and then, the other readers get the same bytes
                            for (Kind other : Kind.values()) {
                                if (other != seed.kind) {
                                    check(other, p, context + " read as " + other);
                                }
                            }
                        }
                        Files.delete(p);
                    }
                },
                "the fuzz run must finish within " + TIME_BOUND);
        if (MUTATIONS != 6000) {
            System.out.printf(
                    "ReaderFuzzTest seed %d: %d mutations, %d reads accepted, %d refused, %d failures%n",
                    SEED, MUTATIONS, accepted, refused, failures.size());
        }
        assertThat(failures)
                .as("mutations that gave something other than success or IOException")
                .isEmpty();
        assertThat(accepted + refused).isGreaterThanOrEqualTo(MUTATIONS);
        // the mutations are neither all harmless nor all fatal
        assertThat(refused).isGreaterThan(MUTATIONS / 4);
        assertThat(accepted).isGreaterThan(MUTATIONS / 20);
    }

    private void check(Kind kind, Path p, String context) {
        try {
            switch (kind) {
                case NPY -> Npy.read(p);
                case NPZ -> Npy.readNpz(p);
                default -> SafeTensors.read(p);
            }
            accepted++;
        } catch (IOException e) {
            refused++;
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                failures.add(context + ": IOException without a message: " + e);
            }
        } catch (Throwable t) { // the point of the test: nothing else may escape
            if (failures.size() < 20) {
                failures.add(context + ": " + t + " at " + (t.getStackTrace().length > 0 ? t.getStackTrace()[0] : "?"));
            }
        }
    }

    private static byte[] mutate(Seed seed, List<Seed> seeds, Random r, StringBuilder how) {
        byte[] b = seed.bytes.clone();
        int op = r.nextInt(10);
        switch (op) {
            case 0 -> { // flip a few bits anywhere
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n && b.length > 0; k++) {
                    int at = r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                how.append("flip ").append(n).append(" bits");
            }
            case 1 -> { // flip bits in the header region, where a lie matters most
                int n = 1 + r.nextInt(3);
                for (int k = 0; k < n && b.length > 0; k++) {
                    b[r.nextInt(Math.min(b.length, 160))] ^= (byte) (1 << r.nextInt(8));
                }
                how.append("flip ").append(n).append(" header bits");
            }
            case 2 -> { // set bytes to values that mean something in a header
                byte[] special =
                        "\0\u00ff\u007f\u0080\u0001(),-9\"'{}[]:.L eE\n\\".getBytes(StandardCharsets.ISO_8859_1);
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n && b.length > 0; k++) {
                    b[r.nextInt(Math.min(b.length, r.nextBoolean() ? 200 : b.length))] =
                            special[r.nextInt(special.length)];
                }
                how.append("set ").append(n).append(" bytes");
            }
            case 3 -> { // truncate
                int len = b.length == 0 ? 0 : r.nextInt(b.length);
                b = Arrays.copyOf(b, len);
                how.append("truncate to ").append(len);
            }
            case 4 -> { // extend with junk
                int extra = 1 + r.nextInt(64);
                int len = b.length;
                b = Arrays.copyOf(b, len + extra);
                for (int k = len; k < b.length; k++) {
                    b[k] = (byte) r.nextInt(256);
                }
                how.append("append ").append(extra);
            }
            case 5 -> { // splice: the start of this file, the end of another
                Seed other = seeds.get(r.nextInt(seeds.size()));
                int cut = r.nextInt(b.length + 1);
                int from = r.nextInt(other.bytes.length + 1);
                byte[] s = Arrays.copyOf(b, cut + other.bytes.length - from);
                System.arraycopy(other.bytes, from, s, cut, other.bytes.length - from);
                b = s;
                how.append("splice ")
                        .append(cut)
                        .append(" + ")
                        .append(other.name)
                        .append('@')
                        .append(from);
            }
            case 6 -> { // delete or duplicate a range
                int at = r.nextInt(b.length + 1);
                int len = Math.min(b.length - at, 1 + r.nextInt(16));
                boolean delete = r.nextBoolean();
                byte[] s;
                if (delete) {
                    s = new byte[b.length - len];
                    System.arraycopy(b, 0, s, 0, at);
                    System.arraycopy(b, at + len, s, at, b.length - at - len);
                } else {
                    s = new byte[b.length + len];
                    System.arraycopy(b, 0, s, 0, at + len);
                    System.arraycopy(b, at, s, at + len, b.length - at);
                }
                b = s;
                how.append(delete ? "delete " : "duplicate ")
                        .append(len)
                        .append(" at ")
                        .append(at);
            }
            case 7, 8 -> { // replace a number in the header text with a hostile one
                b = editNumber(b, r, how);
            }
            default -> { // rewrite the header length field
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                long v = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] : r.nextInt(b.length + 16);
                if (seed.kind == Kind.SAFETENSORS && b.length >= 8) {
                    bb.putLong(0, v);
                } else if (seed.kind == Kind.NPY && b.length >= 12) {
                    if (b[6] == 1) {
                        bb.putShort(8, (short) v);
                    } else {
                        bb.putInt(8, (int) v);
                    }
                } else if (b.length >= 30) {
                    bb.putInt(18 + 4 * r.nextInt(3), (int) v); // a zip local header's CRC or sizes
                }
                how.append("length field ").append(v);
            }
        }
        return b;
    }

    /** Finds a run of digits in the first 2 KB and replaces it with an interesting number. */
    private static byte[] editNumber(byte[] b, Random r, StringBuilder how) {
        int limit = Math.min(b.length, 2048);
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < limit; i++) {
            if (b[i] >= '0' && b[i] <= '9' && (i == 0 || b[i - 1] < '0' || b[i - 1] > '9')) {
                int j = i;
                while (j < b.length && b[j] >= '0' && b[j] <= '9') {
                    j++;
                }
                runs.add(new int[] {i, j});
            }
        }
        if (runs.isEmpty()) {
            how.append("no number to edit");
            return b;
        }
        int[] run = runs.get(r.nextInt(runs.size()));
        String number = r.nextInt(4) == 0
                ? "9".repeat(1 + r.nextInt(40))
                : Long.toString(INTERESTING[r.nextInt(INTERESTING.length)]);
        byte[] n = number.getBytes(StandardCharsets.ISO_8859_1);
        byte[] s = new byte[b.length - (run[1] - run[0]) + n.length];
        System.arraycopy(b, 0, s, 0, run[0]);
        System.arraycopy(n, 0, s, run[0], n.length);
        System.arraycopy(b, run[1], s, run[0] + n.length, b.length - run[1]);
        how.append("number at ").append(run[0]).append(" -> ").append(number);
        return s;
    }
}
