package dev.heed.io;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The header of a {@code .npy} file: a Python dict literal such as
 * {@code {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }}, parsed by a small strict
 * parser that evaluates nothing. Not API.
 *
 * <p>Accepted: exactly the keys {@code descr}, {@code fortran_order} and {@code shape}, each
 * once, in any order; single- or double-quoted strings without escapes; {@code True} and
 * {@code False}; a tuple of non-negative integers (Python syntax: {@code ()}, {@code (3,)},
 * {@code (2, 3)}, trailing comma allowed); spaces, tabs and newlines between tokens; and, for
 * format versions 1.0 and 2.0, Python 2's {@code L} suffix on integers (NumPy strips it too).
 * Everything else is refused: other keys, lists, nested tuples, expressions, calls, comments,
 * escapes, byte strings, a structured or object {@code descr}.
 */
final class NpyHeader {
    final DType type;
    final ByteOrder order;
    final String descr;
    final boolean fortranOrder;
    final int[] shape;

    private NpyHeader(DType type, ByteOrder order, String descr, boolean fortranOrder, int[] shape) {
        this.type = type;
        this.order = order;
        this.descr = descr;
        this.fortranOrder = fortranOrder;
        this.shape = shape;
    }

    /**
     * Parses {@code text}.
     *
     * @param allowLongSuffix whether integers may end in {@code L} (format versions before 3.0)
     * @throws IOException naming {@code where} and what is wrong
     */
    static NpyHeader parse(String text, boolean allowLongSuffix, String where) throws IOException {
        return new Parser(text, allowLongSuffix, where).header();
    }

    /** The header NumPy writes for a little-endian float64 C-order array of {@code shape}. */
    static String float64(int[] shape) {
        StringBuilder sb = new StringBuilder("{'descr': '<f8', 'fortran_order': False, 'shape': (");
        for (int k = 0; k < shape.length; k++) {
            sb.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        return sb.append(shape.length == 1 ? ",), }" : "), }").toString();
    }

    /** The element type and byte order a {@code descr} string names, or an exception saying why not. */
    private static NpyHeader withDescr(String descr, boolean fortranOrder, int[] shape, String where)
            throws IOException {
        char first = descr.isEmpty() ? 0 : descr.charAt(0);
        boolean hasOrder = first == '<' || first == '>' || first == '|' || first == '=';
        String code = hasOrder ? descr.substring(1) : descr;
        ByteOrder order = first == '<'
                ? ByteOrder.LITTLE_ENDIAN
                : first == '>'
                        ? ByteOrder.BIG_ENDIAN
                        : ByteOrder
                                .nativeOrder(); // '=', '|' and no prefix mean the reading machine's order, as in NumPy
        DType type;
        switch (code) {
            case "f8":
                type = DType.FLOAT64;
                break;
            case "f4":
                type = DType.FLOAT32;
                break;
            case "f2":
                type = DType.FLOAT16;
                break;
            case "i8":
                type = DType.INT64;
                break;
            case "i4":
                type = DType.INT32;
                break;
            case "i2":
                type = DType.INT16;
                break;
            case "i1":
                type = DType.INT8;
                break;
            case "u8":
                type = DType.UINT64;
                break;
            case "u4":
                type = DType.UINT32;
                break;
            case "u2":
                type = DType.UINT16;
                break;
            case "u1":
                type = DType.UINT8;
                break;
            case "b1":
                type = DType.BOOL;
                break;
            default:
                throw new IOException(where + ": " + unsupported(descr, code));
        }
        return new NpyHeader(type, order, descr, fortranOrder, shape);
    }

    private static String unsupported(String descr, String code) {
        String d = Parser.quote(descr);
        String supported = "; Heed reads float64/32/16, int8-64, uint8-64 and bool";
        if (code.startsWith("O")) {
            return "dtype " + d + " is an object array (pickled Python objects), which Heed never loads";
        }
        if (code.startsWith("c")) {
            return "dtype " + d + " is complex, which Heed does not read" + supported;
        }
        if (code.startsWith("S") || code.startsWith("U") || code.startsWith("a")) {
            return "dtype " + d + " holds strings, which Heed does not read" + supported;
        }
        if (code.startsWith("V")) {
            return "dtype " + d + " is a raw or structured (void) type, which Heed does not read" + supported;
        }
        if (code.startsWith("M") || code.startsWith("m")) {
            return "dtype " + d + " is a datetime or timedelta, which Heed does not read" + supported;
        }
        return "unknown or unsupported dtype " + d + supported;
    }

    /** Recursive descent over the literal; nesting is at most two levels (dict, tuple). */
    private static final class Parser {
        private static final int SNIPPET = 60;

        private final String s;
        private final boolean allowLongSuffix;
        private final String where;
        private int pos;

        Parser(String s, boolean allowLongSuffix, String where) {
            this.s = s;
            this.allowLongSuffix = allowLongSuffix;
            this.where = where;
        }

        NpyHeader header() throws IOException {
            String descr = null;
            Boolean fortran = null;
            int[] shape = null;
            skipSpace();
            expect('{', "the header must be a dict literal starting with '{'");
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String key = string("a key (a quoted string)");
                skipSpace();
                expect(':', "expected ':' after key " + quote(key));
                skipSpace();
                switch (key) {
                    case "descr":
                        if (descr != null) {
                            throw fail("key 'descr' appears twice");
                        }
                        if (peek() == '[') {
                            throw fail("structured dtypes (a list as 'descr') are not supported");
                        }
                        descr = string("'descr' to be a string such as '<f8'");
                        break;
                    case "fortran_order":
                        if (fortran != null) {
                            throw fail("key 'fortran_order' appears twice");
                        }
                        fortran = bool();
                        break;
                    case "shape":
                        if (shape != null) {
                            throw fail("key 'shape' appears twice");
                        }
                        shape = tuple();
                        break;
                    default:
                        throw fail("unknown key " + quote(key)
                                + " (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    break;
                } else {
                    throw fail("expected ',' or '}' after the value of " + quote(key));
                }
            }
            skipSpace();
            if (pos != s.length()) {
                throw fail("unexpected text after the header dict");
            }
            if (descr == null || fortran == null || shape == null) {
                throw new IOException(where + ": the .npy header lacks "
                        + (descr == null ? "'descr'" : fortran == null ? "'fortran_order'" : "'shape'")
                        + ": " + snippet(0));
            }
            return withDescr(descr, fortran, shape, where);
        }

        private boolean bool() throws IOException {
            if (s.startsWith("True", pos) && !identifierAt(pos + 4)) {
                pos += 4;
                return true;
            }
            if (s.startsWith("False", pos) && !identifierAt(pos + 5)) {
                pos += 5;
                return false;
            }
            throw fail("'fortran_order' must be True or False");
        }

        private int[] tuple() throws IOException {
            expect('(', "'shape' must be a tuple of integers such as (2, 3)");
            int[] dims = new int[4];
            int rank = 0;
            boolean comma = false;
            skipSpace();
            while (peek() != ')') {
                if (rank == dims.length) {
                    dims = Arrays.copyOf(dims, 2 * rank);
                }
                dims[rank++] = dimension();
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    comma = true;
                    skipSpace();
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in 'shape'");
                }
            }
            pos++;
            if (rank == 1 && !comma) {
                throw fail("'shape' is a parenthesised integer, not a tuple (a 1-d shape is written (n,))");
            }
            return Arrays.copyOf(dims, rank);
        }

        private int dimension() throws IOException {
            int start = pos;
            boolean negative = peek() == '-';
            if (negative) {
                pos++;
                skipSpace();
            }
            int digits = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == digits) {
                throw fail("'shape' must hold only integers");
            }
            if (s.charAt(digits) == '0' && pos - digits > 1) {
                throw fail("integer with leading zeros in 'shape'");
            }
            String number = s.substring(digits, pos);
            if (allowLongSuffix && (peek() == 'L' || peek() == 'l')) {
                pos++;
            }
            if (identifierAt(pos) || peek() == '.' || peek() == '_') {
                throw fail("'shape' must hold only plain integers");
            }
            if (negative && !number.matches("0+")) {
                throw fail("negative dimension -" + number + " in 'shape'", start);
            }
            if (number.length() > 10 || Long.parseLong(number) > Integer.MAX_VALUE) {
                throw fail("dimension " + abbreviate(number) + " in 'shape' exceeds 2^31-1", start);
            }
            return Integer.parseInt(number);
        }

        private String string(String expected) throws IOException {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw fail("expected " + expected);
            }
            int start = ++pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == q) {
                    return s.substring(start, pos++);
                }
                if (c == '\\') {
                    throw fail("escape sequences in strings are not supported");
                }
                if (c == '\n' || c == '\r') {
                    throw fail("line break inside a string");
                }
                pos++;
            }
            throw fail("unterminated string", start - 1);
        }

        private void expect(char c, String message) throws IOException {
            if (peek() != c) {
                throw fail(message);
            }
            pos++;
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        private boolean identifierAt(int i) {
            return i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_');
        }

        private void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
                    return;
                }
                pos++;
            }
        }

        private IOException fail(String message) {
            return fail(message, pos);
        }

        private IOException fail(String message, int at) {
            return new IOException(
                    where + ": malformed .npy header: " + message + " at character " + at + ": " + snippet(at));
        }

        private String snippet(int at) {
            int from = Math.max(0, at - SNIPPET / 2);
            int to = Math.min(s.length(), from + SNIPPET);
            return (from > 0 ? "..." : "") + quote(s.substring(from, to)) + (to < s.length() ? "..." : "");
        }

        private static String abbreviate(String digits) {
            return digits.length() <= 30 ? digits : digits.substring(0, 12) + "...(" + digits.length() + " digits)";
        }

        static String quote(String text) {
            return Messages.quote(text, '\'');
        }
    }
}
