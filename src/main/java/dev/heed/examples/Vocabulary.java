package dev.heed.examples;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Words numbered from 0 in a fixed order: the token ids of the examples' synthetic languages.
 * Immutable and thread-safe.
 */
public final class Vocabulary {
    private final List<String> words;
    private final Map<String, Integer> ids;

    private Vocabulary(List<String> words) {
        this.words = words;
        this.ids = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            if (ids.put(words.get(i), i) != null) {
                throw new IllegalArgumentException("the word '" + words.get(i) + "' appears twice in " + words);
            }
        }
    }

    /**
     * A vocabulary of {@code words}, word {@code i} having id {@code i}.
     *
     * @param words distinct, non-empty words without spaces, at least one; copied
     * @return a new vocabulary
     * @throws IllegalArgumentException if {@code words} is null or empty, or holds a null, empty,
     *                                  repeated or space-containing word, naming it
     */
    public static Vocabulary of(List<String> words) {
        if (words == null || words.isEmpty()) {
            throw new IllegalArgumentException("a vocabulary needs at least one word, got " + words);
        }
        for (String w : words) {
            if (w == null || w.isEmpty() || w.contains(" ")) {
                throw new IllegalArgumentException("words must be non-empty and without spaces, got "
                        + (w == null ? "null" : "'" + w + "'") + " in " + words);
            }
        }
        return new Vocabulary(List.copyOf(words));
    }

    /**
     * The number of words.
     *
     * @return the vocabulary size, ≥ 1
     */
    public int size() {
        return words.size();
    }

    /**
     * The id of a word.
     *
     * @param word a word of this vocabulary
     * @return its id, in {@code [0, size())}
     * @throws IllegalArgumentException if the word is not in the vocabulary, naming it
     */
    public int id(String word) {
        Integer id = ids.get(word);
        if (id == null) {
            throw new IllegalArgumentException("'" + word + "' is not in the vocabulary " + words);
        }
        return id;
    }

    /**
     * Whether {@code word} is in the vocabulary.
     *
     * @param word any string
     * @return true if it has an id
     */
    public boolean contains(String word) {
        return ids.containsKey(word);
    }

    /**
     * The word of an id.
     *
     * @param id in {@code [0, size())}
     * @return its word
     * @throws IllegalArgumentException if the id is out of range, naming it
     */
    public String word(int id) {
        if (id < 0 || id >= words.size()) {
            throw new IllegalArgumentException(
                    "id " + id + " is out of range for a vocabulary of " + words.size() + " words");
        }
        return words.get(id);
    }

    /**
     * The ids of the space-separated words of {@code text}.
     *
     * @param text words of this vocabulary separated by single spaces; empty for none
     * @return a new array of ids, one per word
     * @throws IllegalArgumentException if {@code text} is null or a word is not in the vocabulary
     */
    public int[] ids(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text is null");
        }
        return text.isEmpty()
                ? new int[0]
                : Arrays.stream(text.split(" ")).mapToInt(this::id).toArray();
    }

    /**
     * The words of the first {@code length} ids.
     *
     * @param ids    token ids; not modified
     * @param length how many to read, in {@code [0, ids.length]}
     * @return a new list of words
     * @throws IllegalArgumentException if {@code length} is out of range or an id is
     */
    public List<String> words(int[] ids, int length) {
        if (ids == null || length < 0 || length > ids.length) {
            throw new IllegalArgumentException(
                    "cannot read " + length + " words from " + (ids == null ? "null" : ids.length + " ids"));
        }
        String[] out = new String[length];
        for (int i = 0; i < length; i++) {
            out[i] = word(ids[i]);
        }
        return List.of(out);
    }

    /**
     * The first {@code length} ids as text, words separated by spaces.
     *
     * @param ids    token ids; not modified
     * @param length how many to read, in {@code [0, ids.length]}
     * @return the words joined by single spaces
     * @throws IllegalArgumentException as {@link #words(int[], int)}
     */
    public String text(int[] ids, int length) {
        return String.join(" ", words(ids, length));
    }

    /**
     * All the words in id order.
     *
     * @return an unmodifiable list
     */
    public List<String> words() {
        return Collections.unmodifiableList(words);
    }

    @Override
    public String toString() {
        return "Vocabulary" + words;
    }
}
