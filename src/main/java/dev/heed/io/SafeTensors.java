package dev.heed.io;

import dev.heed.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length {@code N}, a
 * JSON header of {@code N} bytes, then the raw little-endian data of every tensor.
 *
 * <p>The header maps each tensor name to
 * {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}, offsets relative to
 * the start of the data, plus an optional {@code "__metadata__"} object of string values.
 *
 * <p><b>Reading</b> accepts the element types F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32,
 * U16, U8 and BOOL, converted to {@code double} (exactly, except 64-bit integers beyond
 * ±2<sup>53</sup>, which round to the nearest double; BOOL reads 1.0 for any nonzero byte).
 * Before anything is allocated for the data, the whole header is validated against the file:
 * <ul>
 *   <li>the header length is at most {@link #MAX_HEADER_BYTES} and within the file;</li>
 *   <li>the header is valid UTF-8 and strict JSON, a single object, each key once;</li>
 *   <li>each tensor entry has exactly {@code dtype}, {@code shape} (non-negative integers, at
 *       most 2³¹−1 elements in all) and {@code data_offsets} ({@code [begin, end]},
 *       {@code begin <= end});</li>
 *   <li>{@code end − begin} equals the dtype's size times the number of elements;</li>
 *   <li>the byte ranges, sorted by offset, tile the data exactly: the first starts at 0, each
 *       starts where the previous ended (no overlap, no gap), the last ends at the end of the
 *       file. Header keys may come in any order (real files list names alphabetically while the
 *       data is laid out in another order).</li>
 * </ul>
 * Any violation is an {@link IOException} whose message names the file, the tensor and the
 * problem; no other exception escapes the readers, whatever the bytes.
 *
 * <p><b>Writing</b> produces F64 tensors, laid out in the map's order, the header padded with
 * spaces to a multiple of 8 bytes (as the reference implementation does), readable by the
 * {@code safetensors} library.
 *
 * <p>All methods are static and thread-safe (concurrent calls on different files).
 */
public final class SafeTensors {
    /** The largest header Heed reads, in bytes: the reference implementation's limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The header key of the string→string metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    private static final int LENGTH_BYTES = 8;
    private static final int ALIGN = 8;
    private static final String[] DTYPE_NAMES = {
        "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"
    };
    private static final DType[] DTYPES = {
        DType.FLOAT64,
        DType.FLOAT32,
        DType.FLOAT16,
        DType.BFLOAT16,
        DType.INT64,
        DType.INT32,
        DType.INT16,
        DType.INT8,
        DType.UINT64,
        DType.UINT32,
        DType.UINT16,
        DType.UINT8,
        DType.BOOL
    };

    private SafeTensors() {}

    /**
     * Reads every tensor of a safetensors file.
     *
     * @param path the file; not modified
     * @return a new insertion-ordered map ({@link LinkedHashMap}) in the header's order, each
     *         tensor row-major and owning its data; the metadata is not included (see
     *         {@link #readMetadata(Path)})
     * @throws IOException              if the file cannot be read or is not a valid safetensors
     *                                  file of supported types; the message names the file and
     *                                  the problem
     * @throws IllegalArgumentException if {@code path} is null
     */
    public static Map<String, Tensor> read(Path path) throws IOException {
        Npy.requireNonNull(path, "path");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            Header header = header(channel, path.toString());
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : header.entries) {
                channel.position(header.dataStart + e.begin);
                double[] data = Elements.read(
                        Channels.newInputStream(channel),
                        e.type,
                        ByteOrder.LITTLE_ENDIAN,
                        e.count,
                        e.end - e.begin,
                        path + " tensor " + Json.quote(e.name));
                tensors.put(e.name, Tensor.of(data, e.shape));
            }
            return tensors;
        }
    }

    /**
     * Reads the {@code "__metadata__"} map of a safetensors file, validating the whole header as
     * {@link #read(Path)} does but reading no tensor data.
     *
     * @param path the file; not modified
     * @return a new insertion-ordered map, empty if the file has no metadata
     * @throws IOException              as {@link #read(Path)}, or if the metadata is not an
     *                                  object of string values
     * @throws IllegalArgumentException if {@code path} is null
     */
    public static Map<String, String> readMetadata(Path path) throws IOException {
        Npy.requireNonNull(path, "path");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return header(channel, path.toString()).metadata;
        }
    }

    /**
     * {@link #write(Path, Map, Map)} without metadata.
     *
     * @param path    the file to write
     * @param tensors not modified; names in iteration order become the header's keys
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException as {@link #write(Path, Map, Map)}
     */
    public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} as F64 safetensors, replacing any existing file.
     *
     * @param path     the file to write
     * @param tensors  not modified; names in iteration order become the header's keys and the
     *                 data's layout; any tensor layout (views are written row-major)
     * @param metadata written as {@code "__metadata__"} (omitted when empty); not modified
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException if an argument, name, tensor, metadata key or value is
     *                                  null, a tensor is named {@code "__metadata__"}, or a string
     *                                  is not valid Unicode (an unpaired surrogate)
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Npy.requireNonNull(path, "path");
        Npy.requireNonNull(tensors, "tensors");
        Npy.requireNonNull(metadata, "metadata");
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.appendString(json, METADATA_KEY);
            json.append(":{");
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                Npy.requireNonNull(m.getKey(), "a metadata key");
                Npy.requireNonNull(m.getValue(), "the metadata value of '" + m.getKey() + "'");
                json.append(json.charAt(json.length() - 1) == '{' ? "" : ",");
                Json.appendString(json, m.getKey());
                json.append(':');
                Json.appendString(json, m.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
            Npy.requireNonNull(t.getKey(), "a tensor name");
            Npy.requireNonNull(t.getValue(), "the tensor '" + t.getKey() + "'");
            if (t.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor may not be named " + METADATA_KEY);
            }
            long end = offset + 8L * t.getValue().size();
            json.append(json.length() == 1 ? "" : ",");
            Json.appendString(json, t.getKey());
            json.append(":{\"dtype\":\"F64\",\"shape\":[");
            int[] shape = t.getValue().shape();
            for (int k = 0; k < shape.length; k++) {
                json.append(k == 0 ? "" : ",").append(shape[k]);
            }
            json.append("],\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(end)
                    .append("]}");
            offset = end;
        }
        json.append('}');
        byte[] header = utf8(json);
        int padded = (header.length + ALIGN - 1) / ALIGN * ALIGN;
        ByteBuffer prefix = ByteBuffer.allocate(LENGTH_BYTES + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(header);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
            out.write(prefix.array());
            for (Tensor t : tensors.values()) {
                Tensor c = t.contiguous();
                Npy.writeDoubles(out, c.data(), c.offset(), c.size());
            }
        }
    }

    private static byte[] utf8(CharSequence text) {
        CharsetEncoder encoder = StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer b = encoder.encode(java.nio.CharBuffer.wrap(text));
            return Arrays.copyOf(b.array(), b.limit());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(
                    "a tensor name or metadata string is not valid Unicode " + "(it holds an unpaired surrogate)", e);
        }
    }

    // ------------------------------------------------------------------ header validation

    /** One tensor's header entry, validated. */
    private record Entry(String name, String dtype, DType type, int[] shape, int count, long begin, long end) {
        String describe() {
            return Json.quote(name) + " " + dtype + " " + Arrays.toString(shape) + " at [" + begin + ", " + end + ")";
        }
    }

    /** A validated header: the tensors in header order, the metadata, where the data starts. */
    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    private static Header header(FileChannel channel, String where) throws IOException {
        long size = channel.size();
        if (size < LENGTH_BYTES) {
            throw new IOException(where + ": too short to be a safetensors file (" + size
                    + " bytes, the header length alone takes 8)");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthField, 0, where);
        long n = lengthField.getLong(0);
        if (n < 0 || n > size - LENGTH_BYTES) {
            throw new IOException(where + ": header length " + Long.toUnsignedString(n)
                    + " runs past the end of the file (" + size + " bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new IOException(
                    where + ": header length " + n + " exceeds the " + MAX_HEADER_BYTES + " bytes Heed accepts");
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) n);
        readFully(channel, bytes, LENGTH_BYTES, where);
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.flip())
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IOException(where + ": the header is not valid UTF-8", e);
        }
        if (!text.startsWith("{")) {
            throw new IOException(where + ": the header must be a JSON object starting with '{', it starts with "
                    + Json.quote(text.substring(0, Math.min(text.length(), 20))));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(text, where);
        long dataLength = size - LENGTH_BYTES - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                metadata = metadata(e.getValue(), where);
            } else {
                entries.add(entry(e.getKey(), e.getValue(), dataLength, where));
            }
        }
        checkTiling(entries, dataLength, where);
        return new Header(entries, metadata, LENGTH_BYTES + n);
    }

    private static Map<String, String> metadata(Object value, String where) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (value == Json.NULL) {
            return metadata;
        }
        if (!(value instanceof Map)) {
            throw new IOException(where + ": " + METADATA_KEY + " must be an object of strings, got " + kind(value));
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
            if (!(m.getValue() instanceof String)) {
                throw new IOException(where + ": " + METADATA_KEY + " value of " + Json.quote((String) m.getKey())
                        + " must be a string, got " + kind(m.getValue()));
            }
            metadata.put((String) m.getKey(), (String) m.getValue());
        }
        return metadata;
    }

    private static Entry entry(String name, Object value, long dataLength, String where) throws IOException {
        String what = where + ": tensor " + Json.quote(name);
        if (!(value instanceof Map)) {
            throw new IOException(what + " must be an object with dtype, shape and data_offsets, got " + kind(value));
        }
        Map<?, ?> fields = (Map<?, ?>) value;
        for (Object key : fields.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new IOException(what + " has the unknown field " + Json.quote((String) key)
                        + " (expected dtype, shape and data_offsets)");
            }
        }
        Object dtype = fields.get("dtype");
        Object shapeValue = fields.get("shape");
        Object offsets = fields.get("data_offsets");
        if (dtype == null || shapeValue == null || offsets == null) {
            throw new IOException(
                    what + " lacks " + (dtype == null ? "dtype" : shapeValue == null ? "shape" : "data_offsets"));
        }
        if (!(dtype instanceof String)) {
            throw new IOException(what + ": dtype must be a string, got " + kind(dtype));
        }
        DType type = dtype((String) dtype, what);
        long[] dims = integers(shapeValue, "shape", -1, what);
        int[] shape = Elements.toIntShape(dims, what);
        int count = Elements.count(shape, what);
        long[] range = integers(offsets, "data_offsets", 2, what);
        long begin = range[0];
        long end = range[1];
        if (begin < 0 || end < 0) {
            throw new IOException(what + ": data_offsets " + Arrays.toString(range) + " are negative");
        }
        if (begin > end) {
            throw new IOException(what + ": data_offsets " + Arrays.toString(range) + " are reversed (begin > end)");
        }
        if (end > dataLength) {
            throw new IOException(what + ": data_offsets " + Arrays.toString(range)
                    + " run past the end of the file (the data section has " + dataLength + " bytes)");
        }
        long needed = (long) count * type.size;
        if (end - begin != needed) {
            throw new IOException(what + ": data_offsets " + Arrays.toString(range) + " span " + (end - begin)
                    + " bytes but dtype " + dtype + " with shape " + Arrays.toString(shape) + " needs " + needed);
        }
        return new Entry(name, (String) dtype, type, shape, count, begin, end);
    }

    private static DType dtype(String name, String what) throws IOException {
        for (int i = 0; i < DTYPE_NAMES.length; i++) {
            if (DTYPE_NAMES[i].equals(name)) {
                return DTYPES[i];
            }
        }
        throw new IOException(what + ": unsupported dtype " + Json.quote(name) + " (Heed reads "
                + String.join(", ", DTYPE_NAMES) + ")");
    }

    /** A JSON array of integers ({@code length} of them, or any number if negative) as {@code long[]}. */
    private static long[] integers(Object value, String field, int length, String what) throws IOException {
        if (!(value instanceof List)) {
            throw new IOException(what + ": " + field + " must be an array of integers, got " + kind(value));
        }
        List<?> list = (List<?>) value;
        if (length >= 0 && list.size() != length) {
            throw new IOException(what + ": " + field + " must have " + length + " entries, got " + list.size());
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Long)) {
                boolean tooLarge =
                        v instanceof Json.Number && ((Json.Number) v).text().matches("-?[0-9]+");
                throw new IOException(what + ": " + field + " must hold integers" + (tooLarge ? " below 2^63" : "")
                        + ", got " + kind(v));
            }
            out[i] = (Long) v;
            if (out[i] < 0 && field.equals("shape")) {
                throw new IOException(what + ": shape has the negative dimension " + out[i]);
            }
        }
        return out;
    }

    /** Sorted by offset, the ranges must tile {@code [0, dataLength)}: no gap, no overlap. */
    private static void checkTiling(List<Entry> entries, long dataLength, String where) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < cursor) {
                throw new IOException(
                        where + ": the data of tensor " + e.describe() + " overlaps tensor " + previous.describe());
            }
            if (e.begin > cursor) {
                throw new IOException(where + ": bytes [" + cursor + ", " + e.begin + ") of the data belong to no "
                        + "tensor (a gap before tensor " + e.describe() + ")");
            }
            cursor = e.end;
            previous = e;
        }
        if (cursor != dataLength) {
            throw new IOException(where + ": the data section has " + dataLength + " bytes but the tensors cover "
                    + cursor + " (trailing bytes after "
                    + (previous == null ? "the header" : "tensor " + previous.describe()) + ")");
        }
    }

    private static String kind(Object value) {
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof String) {
            return "the string " + Json.quote((String) value);
        }
        return String.valueOf(value);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, String where)
            throws IOException {
        long p = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, p);
            if (n < 0) {
                throw new IOException(where + ": the file ended early (it changed while being read?)");
            }
            p += n;
        }
    }
}
