/**
 * Positional encodings: how a model that is blind to order learns where each token sits.
 *
 * <p>{@link dev.heed.encoding.SinusoidalEncoding} is the fixed table of "Attention Is All You
 * Need": {@link dev.heed.encoding.SinusoidalEncoding#table(int, int) table(length, dModel)} gives
 * {@code [length, dModel]} (even columns sine, odd columns cosine), and
 * {@link dev.heed.encoding.SinusoidalEncoding#addTo(dev.heed.tensor.Tensor) addTo(x)} adds it to
 * embeddings {@code [..., L, E]}. An offset {@code start} gives the positions of new tokens when
 * decoding after cached ones. Every result is a new tensor; inputs are not modified.
 */
package dev.heed.encoding;
