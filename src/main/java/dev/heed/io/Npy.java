package dev.heed.io;

import dev.heed.tensor.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npy} and {@code .npz} files: read any numeric array as a {@link Tensor}, write
 * tensors that {@code numpy.load} reads.
 *
 * <p><b>Reading</b> accepts format versions 1.0, 2.0 and 3.0; element types float64, float32,
 * float16, int8–int64, uint8–uint64 and bool, converted to {@code double} (exactly, except that
 * 64-bit integers beyond ±2<sup>53</sup> round to the nearest double, ties to even, as
 * {@code astype(np.float64)} does; a bool is 1.0 for any nonzero byte); byte orders {@code <}
 * (little-endian), {@code >} (big-endian), and {@code =} or {@code |} (the order of the machine
 * running Heed, as in NumPy); C and Fortran order; 0-d and empty arrays. The header is parsed
 * as a Python dict literal by a strict parser that never evaluates anything: it must have exactly
 * the keys {@code descr}, {@code fortran_order} and {@code shape}.
 *
 * <p><b>Hostile files.</b> Everything about a file is checked before memory is allocated for
 * it: the header length against the file's length, the shape (no negative dimension, at most
 * 2³¹−1 elements) and the data length against the bytes actually present — a file must hold
 * exactly the bytes its header accounts for, no fewer (truncated) and no more (trailing data).
 * Any problem is an {@link IOException} whose message names the file and says what is wrong; no
 * other exception escapes the readers, whatever the bytes. See {@code docs/file-formats.md}.
 *
 * <p><b>Writing</b> produces little-endian float64 in C order, format version 1.0 (2.0 if the
 * header would not fit), the header padded with spaces and a final {@code '\n'} so the data
 * starts at a multiple of 64 bytes — byte for byte what {@code np.save} writes for a float64
 * array.
 *
 * <p>All methods are static and thread-safe (concurrent calls on different files).
 */
public final class Npy {
    /** The largest header Heed reads, in bytes; NumPy's own headers are under 200 bytes. */
    public static final int MAX_HEADER_BYTES = 1 << 20;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Data starts at a multiple of this, as NumPy aligns it (so it can be memory-mapped). */
    private static final int ALIGN = 64;
    /** NumPy leaves room for the first axis to grow by this many digits when it pads a header. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private static final int WRITE_CHUNK = 1 << 13;

    private Npy() {}

    // ------------------------------------------------------------------ .npy

    /**
     * Reads one array from a {@code .npy} file.
     *
     * @param path the file; not modified
     * @return a new tensor with the file's shape that owns its data. A C-order file gives a
     *         row-major tensor; a Fortran-order file (rank ≥ 2, not empty) gives a tensor with
     *         column-major strides over its own array, as NumPy does — call
     *         {@link Tensor#contiguous()} for a row-major copy. A 0-d array gives a 0-d tensor.
     * @throws IOException              if the file cannot be read, or is not a valid {@code .npy}
     *                                  file of a supported type; the message names the file and
     *                                  the problem
     * @throws IllegalArgumentException if {@code path} is null
     */
    public static Tensor read(Path path) throws IOException {
        requireNonNull(path, "path");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long length = channel.size();
            return readArray(Channels.newInputStream(channel), length, length, path.toString());
        }
    }

    /**
     * Writes {@code tensor} as a little-endian float64 C-order {@code .npy} file (format 1.0, or
     * 2.0 for a header over 64 KiB), replacing any existing file.
     *
     * @param path   the file to write
     * @param tensor any layout (views are written in row-major order); not modified
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException if an argument is null, or the tensor's rank is so large
     *                                  that its header would exceed {@link #MAX_HEADER_BYTES}
     */
    public static void write(Path path, Tensor tensor) throws IOException {
        requireNonNull(path, "path");
        requireNonNull(tensor, "tensor");
        byte[] header = header(tensor.shape());
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), WRITE_CHUNK * 8)) {
            writeArray(out, header, tensor);
        }
    }

    // ------------------------------------------------------------------ .npz

    /**
     * Reads every array of a {@code .npz} archive ({@code np.savez} or {@code np.savez_compressed}):
     * a zip file whose entries, stored or deflated, are {@code .npy} files. Entry {@code x.npy}
     * becomes key {@code x} (and {@code dir/x.npy} key {@code dir/x}).
     *
     * @param path the archive; not modified
     * @return a new insertion-ordered map ({@link LinkedHashMap}) in the archive's order, each
     *         tensor as {@link #read(Path)} would give it
     * @throws IOException              if the file is not a valid zip archive, an entry is not a
     *                                  {@code .npy} file or is invalid as one, two entries have
     *                                  the same name, or an entry's CRC does not match; the
     *                                  message names the file and entry
     * @throws IllegalArgumentException if {@code path} is null
     */
    public static Map<String, Tensor> readNpz(Path path) throws IOException {
        requireNonNull(path, "path");
        long fileSize = Files.size(path);
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        try (ZipFile zip = Zip.open(path)) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (Zip.hasMore(entries, path)) {
                ZipEntry entry = Zip.next(entries, path);
                String name = entry.getName();
                String where = path + " entry '" + name + "'";
                if (entry.isDirectory() || !name.endsWith(".npy")) {
                    throw new IOException(where + ": not a .npy file (an .npz archive holds only .npy entries)");
                }
                String key = name.substring(0, name.length() - ".npy".length());
                if (arrays.containsKey(key)) {
                    throw new IOException(where + ": the archive holds two entries of that name");
                }
                long compressed = entry.getCompressedSize();
                if (compressed > fileSize) {
                    throw new IOException(where + ": compressed size " + compressed + " exceeds the archive's "
                            + fileSize + " bytes");
                }
                CheckedInputStream in = new CheckedInputStream(Zip.stream(zip, entry, path), new CRC32());
                try (in) {
                    Tensor t = readArray(in, entry.getSize(), Math.max(compressed, 0), where);
                    if (in.read() != -1) {
                        throw new IOException(where + ": more bytes than the array's header accounts for");
                    }
                    if (entry.getCrc() != -1 && in.getChecksum().getValue() != entry.getCrc()) {
                        throw new IOException(where + ": CRC mismatch, the entry is corrupt");
                    }
                    arrays.put(key, t);
                }
            }
        }
        return arrays;
    }

    /**
     * Writes {@code arrays} as an uncompressed {@code .npz} archive, as {@code np.savez} does:
     * one entry {@code key.npy} per map entry, in the map's iteration order, each a file as
     * {@link #write(Path, Tensor)} writes it. Entry timestamps are fixed (1980-01-01), so the same
     * tensors give the same bytes.
     *
     * @param path   the archive to write
     * @param arrays not modified; keys become entry names and must not be null
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException if an argument, key or tensor is null, or a key is too long
     *                                  for a zip entry name
     */
    public static void writeNpz(Path path, Map<String, Tensor> arrays) throws IOException {
        requireNonNull(path, "path");
        requireNonNull(arrays, "arrays");
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            requireNonNull(e.getKey(), "a key of arrays");
            requireNonNull(e.getValue(), "the tensor of key '" + e.getKey() + "'");
        }
        try (ZipOutputStream zip = new ZipOutputStream(
                new BufferedOutputStream(Files.newOutputStream(path), WRITE_CHUNK * 8), StandardCharsets.UTF_8)) {
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                Tensor t = e.getValue();
                byte[] header = header(t.shape());
                // A stored entry needs its size and CRC up front: a first pass computes them
                // without holding the encoded bytes.
                CheckedOutputStream crc = new CheckedOutputStream(OutputStream.nullOutputStream(), new CRC32());
                writeArray(crc, header, t);
                long size = header.length + 8L * t.size();
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(size);
                entry.setCompressedSize(size);
                entry.setCrc(crc.getChecksum().getValue());
                entry.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0));
                zip.putNextEntry(entry);
                writeArray(zip, header, t);
                zip.closeEntry();
            }
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads one {@code .npy} array from {@code in}.
     *
     * @param length      the stream's declared length in bytes, or -1 if unknown
     * @param backedBytes bytes known to exist behind the stream: the first allocation of the data
     *                    array is bounded by it, later growth by the data actually read
     */
    static Tensor readArray(InputStream in, long length, long backedBytes, String where) throws IOException {
        byte[] magic = in.readNBytes(MAGIC.length + 2);
        if (magic.length < MAGIC.length + 2) {
            throw new IOException(where + ": too short to be a .npy file (" + magic.length + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new IOException(where + ": not a .npy file (it does not start with \\x93NUMPY)");
            }
        }
        int major = magic[6] & 0xff;
        int minor = magic[7] & 0xff;
        if (minor != 0 || major < 1 || major > 3) {
            throw new IOException(where + ": unsupported .npy format version " + major + "." + minor
                    + " (Heed reads 1.0, 2.0 and 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lengthField = in.readNBytes(lengthBytes);
        if (lengthField.length < lengthBytes) {
            throw new IOException(where + ": truncated in the header length field");
        }
        long headerLength =
                ByteBuffer.wrap(major == 1 ? new byte[] {lengthField[0], lengthField[1], 0, 0} : lengthField)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .getInt()
                        & 0xffff_ffffL;
        long headerStart = MAGIC.length + 2 + lengthBytes;
        if (length >= 0 && headerLength > length - headerStart) {
            throw new IOException(where + ": header length " + headerLength + " runs past the end of the file ("
                    + length + " bytes)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new IOException(where + ": header length " + headerLength + " exceeds the " + MAX_HEADER_BYTES
                    + " bytes Heed accepts");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new IOException(
                    where + ": truncated header: " + headerBytes.length + " of " + headerLength + " bytes present");
        }
        String text;
        if (major == 3) {
            try {
                text = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(headerBytes))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new IOException(where + ": the version 3.0 header is not valid UTF-8", e);
            }
        } else {
            text = new String(headerBytes, StandardCharsets.ISO_8859_1);
        }
        NpyHeader header = NpyHeader.parse(text, major < 3, where);
        int n = Elements.count(header.shape, where);
        long needed = (long) n * header.type.size;
        long dataStart = headerStart + headerLength;
        if (length >= 0) {
            long present = length - dataStart;
            if (present != needed) {
                throw new IOException(where + ": shape " + java.util.Arrays.toString(header.shape) + " of dtype '"
                        + header.descr + "' needs " + needed + " bytes of data, but " + present
                        + " bytes follow the header" + (present < needed ? " (truncated)" : " (trailing data)"));
            }
        }
        double[] data = Elements.read(in, header.type, header.order, n, backedBytes - dataStart, where);
        return tensor(data, header.shape, header.fortranOrder);
    }

    /** The tensor over {@code data} in C order, or with column-major strides for Fortran order. */
    private static Tensor tensor(double[] data, int[] shape, boolean fortranOrder) {
        if (!fortranOrder || shape.length < 2 || data.length == 0) {
            return Tensor.of(data, shape);
        }
        int[] strides = new int[shape.length];
        int s = 1;
        for (int k = 0; k < shape.length; k++) {
            strides[k] = s;
            s *= shape[k]; // no overflow: the product of all dims is data.length > 0
        }
        return Tensor.strided(data, 0, shape, strides);
    }

    // ------------------------------------------------------------------ writing

    /** Magic, version, header length and the padded header NumPy would write for float64 {@code shape}. */
    static byte[] header(int[] shape) {
        String dict = NpyHeader.float64(shape);
        // As NumPy's _write_array_header: room for the first axis to grow by a few digits, a
        // final '\n', and 1 to 64 spaces so that the data starts at a multiple of 64 bytes.
        int growth = shape.length == 0
                ? 0
                : Math.max(
                        0, GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length());
        long unpadded = dict.length() + growth + 1L;
        int version = 1;
        long headerLength = padTo(MAGIC.length + 2 + 2, unpadded);
        if (headerLength > 0xffff) {
            version = 2;
            headerLength = padTo(MAGIC.length + 2 + 4, unpadded);
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("a tensor of rank " + shape.length + " needs a .npy header of "
                    + headerLength + " bytes, more than the " + MAX_HEADER_BYTES + " Heed writes");
        }
        int prefix = MAGIC.length + 2 + (version == 1 ? 2 : 4);
        int total = prefix + (int) headerLength;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            b.putShort((short) headerLength);
        } else {
            b.putInt((int) headerLength);
        }
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /** {@code unpadded} plus NumPy's padding (1 to 64 bytes) so that {@code prefix + result} is aligned. */
    private static long padTo(int prefix, long unpadded) {
        return unpadded + ALIGN - (prefix + unpadded) % ALIGN;
    }

    /** Writes {@code header} then the tensor's elements, row-major, as little-endian float64. */
    private static void writeArray(OutputStream out, byte[] header, Tensor t) throws IOException {
        out.write(header);
        double[] data;
        int offset;
        if (t.isContiguous()) {
            data = t.data();
            offset = t.offset();
        } else {
            data = t.toArray();
            offset = 0;
        }
        writeDoubles(out, data, offset, t.size());
    }

    /** Writes {@code data[offset, offset + n)} as little-endian float64. */
    static void writeDoubles(OutputStream out, double[] data, int offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * Math.min(n, WRITE_CHUNK)).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < n; ) {
            int count = Math.min(n - done, WRITE_CHUNK);
            b.clear();
            b.asDoubleBuffer().put(data, offset + done, count);
            out.write(b.array(), 0, count * 8);
            done += count;
        }
    }

    static void requireNonNull(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is null");
        }
    }

    /**
     * {@link ZipFile} on hostile bytes. Its exceptions say little about which file is at fault
     * (some, such as an {@code EOFException} inside a local header, have no message at all), and
     * on some malformed archives (a bad entry name, an odd extra field) the JDK's zip code throws
     * unchecked exceptions. Here every one of them becomes an {@link IOException} that names the
     * archive, so the readers' contract holds.
     */
    private static final class Zip {
        private Zip() {}

        static ZipFile open(Path path) throws IOException {
            try {
                return new ZipFile(path.toFile(), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw malformed(path.toString(), e);
            }
        }

        static boolean hasMore(Enumeration<? extends ZipEntry> entries, Path path) throws IOException {
            try {
                return entries.hasMoreElements();
            } catch (RuntimeException e) {
                throw malformed(path.toString(), e);
            }
        }

        static ZipEntry next(Enumeration<? extends ZipEntry> entries, Path path) throws IOException {
            try {
                return entries.nextElement();
            } catch (RuntimeException e) {
                throw malformed(path.toString(), e);
            }
        }

        static InputStream stream(ZipFile zip, ZipEntry entry, Path path) throws IOException {
            String where = path + " entry '" + entry.getName() + "'";
            InputStream in;
            try {
                in = zip.getInputStream(entry);
            } catch (IOException | RuntimeException e) {
                throw malformed(where, e);
            }
            if (in == null) {
                throw new IOException(where + ": the entry vanished from the archive");
            }
            return new java.io.FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    try {
                        return super.read();
                    } catch (IOException | RuntimeException e) {
                        throw malformed(where, e);
                    }
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (IOException | RuntimeException e) {
                        throw malformed(where, e);
                    }
                }
            };
        }

        private static IOException malformed(String where, Exception e) {
            return new IOException(where + ": malformed zip archive (" + e + ")", e);
        }
    }
}
