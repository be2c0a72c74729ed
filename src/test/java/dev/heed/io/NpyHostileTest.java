package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files whose header lies are refused with an {@link IOException} that says what is wrong —
 * quickly, and without allocating what the file does not back (the tests run with -Xmx1g, so a
 * reader that believed a 16 GB shape would die of OutOfMemoryError, not pass).
 */
class NpyHostileTest {
    private static final String F8_2 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

    @TempDir
    Path dir;

    private void refused(byte[] file, String... fragments) throws IOException {
        Path p = Files.write(dir.resolve("hostile.npy"), file);
        assertTimeoutPreemptively(
                Duration.ofSeconds(2),
                () -> assertThatThrownBy(() -> Npy.read(p))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining(p.toString())
                        .hasMessageContainingAll(fragments));
    }

    private void refusedHeader(String header, String... fragments) throws IOException {
        refused(IoFixtures.npy(header, IoFixtures.float64s(2)), fragments);
    }

    @Test
    void notANpyFile() throws IOException {
        refused(new byte[0], "too short", "0 bytes");
        refused("\u0093NUMP".getBytes(StandardCharsets.ISO_8859_1), "too short");
        refused("PK\u0003\u0004 this is a zip".getBytes(StandardCharsets.ISO_8859_1), "not a .npy file");
        byte[] ok = IoFixtures.npy(F8_2, IoFixtures.float64s(2));
        ok[6] = 4;
        refused(ok, "unsupported .npy format version 4.0");
        ok[6] = 1;
        ok[7] = 1;
        refused(ok, "version 1.1");
        ok[7] = 0;
        refused(java.util.Arrays.copyOf(ok, 9), "truncated in the header length field");
        byte[] v2 = java.util.Arrays.copyOf(IoFixtures.npy(2, F8_2, new byte[0]), 11);
        refused(v2, "truncated in the header length field");
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        byte[] v1 = IoFixtures.npy(F8_2, IoFixtures.float64s(2));
        v1[8] = (byte) 0xff;
        v1[9] = (byte) 0xff;
        refused(v1, "header length 65535 runs past the end of the file (144 bytes)");
        byte[] v2 = IoFixtures.npy(2, F8_2, IoFixtures.float64s(2));
        ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
        refused(v2, "header length 4294967295 runs past the end of the file");
    }

    @Test
    void hugeHeaderIsRefusedEvenWhenTheFileBacksIt() throws IOException {
        byte[] big = IoFixtures.npy(2, F8_2 + " ".repeat(Npy.MAX_HEADER_BYTES), IoFixtures.float64s(2));
        refused(big, "exceeds the 1048576 bytes Heed accepts");
    }

    @Test
    void shapeLargerThanTheData() throws IOException {
        refused(
                IoFixtures.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }", IoFixtures.float64s(5)),
                "shape [10] of dtype '<f8' needs 80 bytes of data, but 40 bytes follow the header (truncated)");
        // 2^31-1 float64s promised by a tiny file: refused before 16 GB are allocated
        refused(
                IoFixtures.npy(
                        "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647,), }", IoFixtures.float64s(5)),
                "needs 17179869176 bytes",
                "truncated");
        refused(
                IoFixtures.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (46341, 46340), }", new byte[3]),
                "needs 2147441940 bytes");
    }

    @Test
    void truncatedAndTrailingData() throws IOException {
        byte[] ok = IoFixtures.npy(F8_2, IoFixtures.float64s(2));
        refused(java.util.Arrays.copyOf(ok, ok.length - 3), "needs 16 bytes of data, but 13 bytes follow", "truncated");
        refused(java.util.Arrays.copyOf(ok, ok.length + 1), "but 17 bytes follow", "trailing data");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "(-1,)               | negative dimension -1",
                "(3, -2)             | negative dimension -2",
                "(2147483648,)       | dimension 2147483648 in 'shape' exceeds 2^31-1",
                "(99999999999999999999999999,) | exceeds 2^31-1",
                "(65536, 65536)      | shape [65536, 65536] has more than 2^31-1 elements",
                "(2147483647, 2, 0, 5) | needs 0 bytes",
                "(2)                 | parenthesised integer, not a tuple",
                "[2]                 | 'shape' must be a tuple",
                "2                   | 'shape' must be a tuple",
                "(2.0,)              | plain integers",
                "(2e3,)              | plain integers",
                "(0x10,)             | plain integers",
                "(1_000,)            | plain integers",
                "(02,)               | leading zeros",
                "((2,),)             | only integers",
                "(2,)*3              | expected ',' or '}'",
                "(2,,)               | only integers",
                "(None,)             | only integers",
                "(2, 3               | only integers",
                "(2 3)               | expected ',' or ')'",
            })
    void badShapes(String shape, String message) throws IOException {
        refusedHeader("{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }", message);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            quoteCharacter = '"',
            value = {
                "'|O'          ; object array",
                "'<c16'        ; complex",
                "'|S5'         ; strings",
                "'<U3'         ; strings",
                "'|V8'         ; void",
                "'<M8[ns]'     ; datetime",
                "'<f16'        ; unknown or unsupported dtype '<f16'",
                "'float64'     ; unknown or unsupported dtype 'float64'",
                "''            ; unknown or unsupported dtype ''",
                "[('a', '<f8')] ; structured dtypes",
                "b'<f8'        ; expected 'descr' to be a string",
                "u'<f8'        ; expected 'descr' to be a string",
                "'<f\\x38'     ; escape sequences",
                "np.float64    ; expected 'descr' to be a string",
            })
    void badDtypes(String descr, String message) throws IOException {
        refusedHeader("{'descr': " + descr + ", 'fortran_order': False, 'shape': (2,), }", message);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "__import__('os').system('touch /tmp/pwned')",
                "{'descr': '<f8', 'fortran_order': bool(0), 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': 'False', 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': Falsey, 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
                "{'descr': '<f8', 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} + {}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} # comment",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)",
                "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}",
                "{descr: '<f8', 'fortran_order': False, 'shape': (2,)}",
                "{,}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}}",
                "dict(descr='<f8', fortran_order=False, shape=(2,))",
                "['descr', '<f8']",
                "",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,)} " // fine in 1.0, but see below
            })
    void headersThatAreNotPlainLiterals(String header) throws IOException {
        if (header.contains("2L")) {
            // Python 2's long suffix is accepted in versions 1.0 and 2.0 (NumPy filters it) but not 3.0
            Path p = Files.write(dir.resolve("long.npy"), IoFixtures.npy(1, header, IoFixtures.float64s(2)));
            assertThat(Npy.read(p).toArray()).containsExactly(0, 1);
            refused(IoFixtures.npy(3, header, IoFixtures.float64s(2)), "plain integers");
            return;
        }
        refusedHeader(header, "header");
    }

    @Test
    void messagesSayWhatIsWrong() throws IOException {
        refusedHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unknown key 'extra'");
        refusedHeader("{'descr': '<f8', 'shape': (2,)}", "lacks 'fortran_order'");
        refusedHeader(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", "key 'shape' appears twice");
        refusedHeader("{'descr': '<f8", "line break inside a string"); // the header's final '\n'
        // without NumPy's padding: the header ends inside the string
        refused(
                "\u0093NUMPY\u0001\u0000\u000e\u0000{'descr': '<f8".getBytes(StandardCharsets.ISO_8859_1),
                "unterminated string");
        refusedHeader("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}", "must be True or False");
    }

    @Test
    void invalidUtf8InAVersion3Header() throws IOException {
        byte[] file = IoFixtures.npy(3, F8_2, IoFixtures.float64s(2));
        file[12 + 3] = (byte) 0xC3; // inside 'descr': a lead byte followed by an ASCII byte
        refused(file, "not valid UTF-8");
    }

    // ------------------------------------------------------------------ .npz

    private void refusedNpz(byte[] file, String... fragments) throws IOException {
        Path p = Files.write(dir.resolve("hostile.npz"), file);
        assertTimeoutPreemptively(
                Duration.ofSeconds(2),
                () -> assertThatThrownBy(() -> Npy.readNpz(p))
                        .isInstanceOf(IOException.class)
                        .hasMessageContainingAll(fragments));
    }

    private static byte[] zip(boolean deflate, Object... nameAndBytes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (int i = 0; i < nameAndBytes.length; i += 2) {
                byte[] data = (byte[]) nameAndBytes[i + 1];
                ZipEntry e = new ZipEntry((String) nameAndBytes[i]);
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                    e.setCrc(crc.getValue());
                }
                z.putNextEntry(e);
                z.write(data);
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Replaces the first {@code count} occurrences of {@code from} by the same-length {@code to}. */
    private static byte[] patch(byte[] file, String from, String to, int count) {
        byte[] f = from.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = file.clone();
        for (int i = 0, done = 0; i + f.length <= out.length && done < count; i++) {
            if (java.util.Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
                done++;
            }
        }
        return out;
    }

    @Test
    void npzThatLies() throws IOException {
        byte[] array = IoFixtures.npy(F8_2, IoFixtures.float64s(2));
        refusedNpz(array, "zip");
        refusedNpz(new byte[0], "zip");
        refusedNpz(zip(false, "a.npy", array, "notes.txt", new byte[3]), "entry 'notes.txt'", "not a .npy file");
        refusedNpz(zip(false, "dir/", new byte[0]), "entry 'dir/'", "not a .npy file");
        // two entries named a.npy: written as a.npy and b.npy, then renamed in both headers
        refusedNpz(patch(zip(false, "a.npy", array, "b.npy", array), "b.npy", "a.npy", 2), "two entries");
        // a flipped bit in the data (not the header) is caught by the CRC
        byte[] stored = zip(false, "a.npy", array);
        int dataByte = indexOf(stored, IoFixtures.float64s(2)) + 12;
        stored[dataByte] ^= 1;
        refusedNpz(stored, "entry 'a.npy'", "CRC mismatch");
        // the entries' arrays are checked like files
        refusedNpz(zip(true, "a.npy", java.util.Arrays.copyOf(array, array.length - 1)), "entry 'a.npy'", "truncated");
        refusedNpz(
                zip(
                        true,
                        "a.npy",
                        IoFixtures.npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", new byte[16])),
                "object array");
    }

    @Test
    void deflatedEntryThatClaimsMoreThanItHolds() throws IOException {
        // 100 MB of uint8 promised, 1000 bytes present; the archive's size fields are patched to agree
        // with the header, so only reading the data can tell (and must not allocate 800 MB up front)
        String header = "{'descr': '|u1', 'fortran_order': False, 'shape': (100000000,), }";
        byte[] npy = IoFixtures.npy(header, new byte[1000]);
        byte[] z = zip(true, "a.npy", npy);
        int declared = npy.length - 1000 + 100_000_000;
        ByteBuffer b = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
        int cen = indexOf(z, new byte[] {'P', 'K', 1, 2});
        b.putInt(cen + 24, declared);
        refusedNpz(z, "entry 'a.npy'", "truncated data: 1000 bytes present, 100000000 needed");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
