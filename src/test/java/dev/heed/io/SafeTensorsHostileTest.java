package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Safetensors files that lie are refused with an {@link IOException} saying what is wrong,
 * quickly and without allocating what the file does not back — by {@code read} and by
 * {@code readMetadata}, which validates the same header.
 */
class SafeTensorsHostileTest {
    @TempDir
    Path dir;

    private void refused(byte[] file, String... fragments) throws IOException {
        Path p = Files.write(dir.resolve("hostile.safetensors"), file);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertThatThrownBy(() -> SafeTensors.read(p))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(p.toString())
                    .hasMessageContainingAll(fragments);
            assertThatThrownBy(() -> SafeTensors.readMetadata(p))
                    .isInstanceOf(IOException.class)
                    .hasMessageContainingAll(fragments);
        });
    }

    private void refused(String header, int dataBytes, String... fragments) throws IOException {
        refused(IoFixtures.safetensors(header, new byte[dataBytes]), fragments);
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    @Test
    void validFileForComparison() throws IOException {
        Path p = Files.write(
                dir.resolve("ok.safetensors"),
                IoFixtures.safetensors(
                        "{" + tensor("b", "F32", "[2]", 8, 16) + "," + tensor("a", "F64", "[1]", 0, 8) + "}",
                        new byte[16]));
        assertThat(SafeTensors.read(p).keySet()).containsExactly("b", "a");
    }

    @Test
    void headerLengthThatLies() throws IOException {
        refused(new byte[5], "too short", "5 bytes");
        byte[] file = IoFixtures.safetensors("{}", new byte[0]);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 1L << 62);
        refused(file, "header length 4611686018427387904 runs past the end of the file (10 bytes)");
        b.putLong(0, -1L);
        refused(file, "header length 18446744073709551615 runs past the end of the file");
        b.putLong(0, 3);
        refused(file, "runs past the end");
    }

    @Test
    void hugeHeaderIsRefusedEvenWhenTheFileBacksIt() throws IOException {
        byte[] file = IoFixtures.safetensors("{}" + " ".repeat((int) SafeTensors.MAX_HEADER_BYTES), new byte[0]);
        refused(file, "exceeds the 100000000 bytes Heed accepts");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        refused(
                "{" + tensor("w", "F64", "[4]", 0, 32) + "}",
                16,
                "tensor \"w\": data_offsets [0, 32] run past the end of the file (the data section has 16 bytes)");
        refused("{" + tensor("w", "F64", "[268435456]", 0, 2147483648L) + "}", 16, "run past the end");
        refused("{" + tensor("w", "U8", "[2147483647]", 0, 2147483647L) + "}", 8, "run past the end");
    }

    @Test
    void rangesThatOverlapLeaveGapsOrAreReversed() throws IOException {
        refused(
                "{" + tensor("a", "F64", "[2]", 0, 16) + "," + tensor("b", "F64", "[2]", 8, 24) + "}",
                24,
                "overlaps",
                "\"a\"",
                "\"b\"");
        refused(
                "{" + tensor("a", "F64", "[1]", 0, 8) + "," + tensor("b", "F64", "[1]", 16, 24) + "}",
                24,
                "bytes [8, 16) of the data belong to no tensor");
        refused("{" + tensor("a", "F64", "[1]", 8, 16) + "}", 16, "bytes [0, 8) of the data belong to no tensor");
        refused(
                "{" + tensor("a", "F64", "[1]", 0, 8) + "}",
                16,
                "the data section has 16 bytes but the tensors cover 8");
        refused("{" + tensor("a", "F64", "[1]", 16, 8) + "}", 16, "reversed");
        refused(
                "{" + tensor("a", "F64", "[0]", 0, 0) + "," + tensor("b", "F64", "[1]", 0, 8) + ","
                        + tensor("c", "F64", "[1]", 0, 8) + "}",
                8,
                "overlaps");
        refused("{}", 8, "the data section has 8 bytes but the tensors cover 0");
    }

    @Test
    void sizeThatDoesNotMatchDtypeTimesShape() throws IOException {
        refused(
                "{" + tensor("w", "F32", "[2, 3]", 0, 16) + "}",
                16,
                "data_offsets [0, 16] span 16 bytes but dtype F32 with shape [2, 3] needs 24");
        refused("{" + tensor("w", "BF16", "[]", 0, 4) + "}", 4, "needs 2");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            quoteCharacter = '`',
            value = {
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[-1],\"data_offsets\":[0,8]}}`; negative dimension -1",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}`; exceeds 2^31-1",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}`; integers below 2^63",
                "`{\"w\":{\"dtype\":\"U8\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}`; more than 2^31-1 elements",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1.0],\"data_offsets\":[0,8]}}`; must hold integers, got 1.0",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[\"1\"],\"data_offsets\":[0,8]}}`; must hold integers",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":1,\"data_offsets\":[0,8]}}`; shape must be an array",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8,16]}}`; must have 2 entries",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[-8,0]}}`; negative",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1]}}`; lacks data_offsets",
                "`{\"w\":{\"shape\":[1],\"data_offsets\":[0,8]}}`; lacks dtype",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"extra\":1}}`; unknown field \"extra\"",
                "`{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}`; unsupported dtype \"C64\"",
                "`{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}`; unsupported dtype",
                "`{\"w\":{\"dtype\":\"OBJECT\",\"shape\":[1],\"data_offsets\":[0,8]}}`; unsupported dtype",
                "`{\"w\":{\"dtype\":64,\"shape\":[1],\"data_offsets\":[0,8]}}`; dtype must be a string",
                "`{\"w\":[1,2]}`; must be an object",
                "`{\"__metadata__\":{\"k\":1},\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}`; must be a string",
                "`{\"__metadata__\":[],\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}`; must be an object of strings",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}`; appears twice",
                "`[1]`; must be a JSON object",
                "` {}`; must be a JSON object",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}`; unexpected end",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}} x`; unexpected text",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],}}`; expected a string key",
                "`{\"w\":{'dtype':\"F64\"}}`; expected a string key",
                "`{\"w\\x\":{}}`; invalid escape",
                "`{\"w\\ud800\":{}}`; unpaired surrogate",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[01],\"data_offsets\":[0,8]}}`; expected ',' or ']'",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[NaN],\"data_offsets\":[0,8]}}`; expected a JSON value",
                "`{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}, \"n\": nul}`; expected a JSON value",
            })
    void malformedHeaders(String header, String message) throws IOException {
        refused(header, 8, message);
    }

    @Test
    void deepNestingIsRefusedWithoutExhaustingTheStack() throws IOException {
        refused("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", 0, "nested deeper than 64 levels");
    }

    @Test
    void controlCharactersAndInvalidUtf8() throws IOException {
        refused("{\"w\u0001\":{}}", 0, "unescaped control character");
        byte[] file = IoFixtures.safetensors("{\"w\":{}}", new byte[0]);
        file[10] = (byte) 0xff;
        refused(file, "not valid UTF-8");
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] ok = IoFixtures.safetensors("{" + tensor("w", "F64", "[2]", 0, 16) + "}", new byte[16]);
        refused(java.util.Arrays.copyOf(ok, ok.length - 1), "run past the end of the file");
        refused(java.util.Arrays.copyOf(ok, 20), "runs past the end of the file");
        refused("{\"w\":{}}".getBytes(StandardCharsets.UTF_8), "runs past the end"); // no length field at all
    }
}
