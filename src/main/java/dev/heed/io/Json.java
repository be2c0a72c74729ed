package dev.heed.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser for safetensors headers. Not API.
 *
 * <p>Objects become {@link LinkedHashMap}s in document order (a repeated key is refused), arrays
 * {@link List}s, strings {@link String}s, {@code true}/{@code false} {@link Boolean}s and
 * {@code null} {@link #NULL}. A number without fraction or exponent that fits a {@code long}
 * becomes a {@link Long}; any other number a {@link Number} wrapper holding its text, so callers
 * can say "not an integer" without this class converting anything. Nesting deeper than
 * {@link #MAX_DEPTH} is refused, so no input can exhaust the stack.
 */
final class Json {
    /** The JSON {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Deepest nesting accepted; a safetensors header needs 3. */
    static final int MAX_DEPTH = 64;

    /** A number that is not an integer fitting a {@code long}, kept as its literal text. */
    record Number(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private final String s;
    private final String where;
    private int pos;

    private Json(String s, String where) {
        this.s = s;
        this.where = where;
    }

    /**
     * Parses one JSON value filling all of {@code text} (surrounding whitespace allowed).
     *
     * @throws IOException naming {@code where}, the position and the problem
     */
    static Object parse(String text, String where) throws IOException {
        Json p = new Json(text, where);
        p.skipSpace();
        Object value = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.fail("unexpected text after the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw fail("nested deeper than " + MAX_DEPTH + " levels");
        }
        char c = peek();
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return word("true", Boolean.TRUE);
            case 'f':
                return word("false", Boolean.FALSE);
            case 'n':
                return word("null", NULL);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw fail("expected a JSON value");
        }
    }

    private Map<String, Object> object(int depth) throws IOException {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw fail("expected a string key");
            }
            int keyAt = pos;
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object v = value(depth + 1);
            if (map.putIfAbsent(key, v) != null) {
                pos = keyAt;
                throw fail("key " + quote(key) + " appears twice in one object");
            }
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == '}') {
                pos++;
                return map;
            } else {
                throw fail("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws IOException {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipSpace();
            list.add(value(depth + 1));
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return list;
            } else {
                throw fail("expected ',' or ']'");
            }
        }
    }

    private String string() throws IOException {
        int start = pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                pos = start;
                throw fail("unterminated string");
            }
            char c = s.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw fail("unescaped control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = pos < s.length() ? s.charAt(pos++) : 0;
            switch (e) {
                case '"':
                    sb.append('"');
                    break;
                case '\\':
                    sb.append('\\');
                    break;
                case '/':
                    sb.append('/');
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case 'n':
                    sb.append('\n');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'u': {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (!s.startsWith("\\u", pos)) {
                            throw fail("unpaired surrogate \\u" + Integer.toHexString(u));
                        }
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) {
                            throw fail("unpaired surrogate \\u" + Integer.toHexString(u));
                        }
                        sb.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        throw fail("unpaired surrogate \\u" + Integer.toHexString(u));
                    } else {
                        sb.append(u);
                    }
                    break;
                }
                default:
                    pos--;
                    throw fail("invalid escape sequence");
            }
        }
    }

    private char hex4() throws IOException {
        if (pos + 4 > s.length()) {
            throw fail("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0 || s.charAt(pos + i) > 0x7f) {
                throw fail("invalid \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() throws IOException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw fail("invalid number");
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw fail("invalid number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw fail("invalid number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String text = s.substring(start, pos);
        int digits = text.length() - (text.startsWith("-") ? 1 : 0);
        if (integer && digits <= 18) {
            return Long.parseLong(text);
        }
        if (integer && digits == 19) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                return new Number(text);
            }
        }
        return new Number(text.length() <= 40 ? text : text.substring(0, 20) + "...(" + text.length() + " chars)");
    }

    private Object word(String word, Object value) throws IOException {
        if (!s.startsWith(word, pos)) {
            throw fail("expected a JSON value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) throws IOException {
        if (peek() != c) {
            throw fail("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipSpace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private IOException fail(String message) {
        int from = Math.max(0, pos - 30);
        int to = Math.min(s.length(), pos + 30);
        String end = pos >= s.length() ? "unexpected end of the JSON text, " : "";
        return new IOException(where + ": malformed JSON header: " + end + message + " at character " + pos + ": "
                + (from > 0 ? "..." : "") + quote(s.substring(from, to)) + (to < s.length() ? "..." : ""));
    }

    static String quote(String text) {
        return Messages.quote(text, '"');
    }

    /** {@code text} as a JSON string literal: quotes, backslashes and control characters escaped. */
    static void appendString(StringBuilder sb, String text) {
        sb.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }
}
