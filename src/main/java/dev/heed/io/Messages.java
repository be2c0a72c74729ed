package dev.heed.io;

/** Quoting untrusted text for error messages. Not API. */
final class Messages {
    /** Untrusted text is cut to this many characters in a message. */
    private static final int MAX_QUOTED = 80;

    private Messages() {}

    /**
     * {@code text} between {@code quote} characters, with control and non-ASCII characters as
     * {@code \\uXXXX} and anything past 80 characters cut, so a hostile file cannot flood or
     * garble a message.
     */
    static String quote(String text, char quote) {
        StringBuilder sb = new StringBuilder().append(quote);
        int n = Math.min(text.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.append(n < text.length() ? "..." : "").append(quote).toString();
    }
}
