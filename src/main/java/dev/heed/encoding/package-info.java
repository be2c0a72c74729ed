/**
 * Positional encodings: how a model that is blind to order learns where each token sits.
 *
 * <p>{@link dev.heed.encoding.SinusoidalEncoding} is the fixed table of "Attention Is All You
 * Need": {@link dev.heed.encoding.SinusoidalEncoding#table(int, int) table(length, dModel)} gives
 * {@code [length, dModel]} (even columns sine, odd columns cosine), and
 * {@link dev.heed.encoding.SinusoidalEncoding#addTo(dev.heed.tensor.Tensor) addTo(x)} adds it to
 * embeddings {@code [..., L, E]}. An offset {@code start} gives the positions of new tokens when
 * decoding after cached ones.
 *
 * <p>{@link dev.heed.encoding.RotaryEncoding} is the rotary position embedding (RoPE) of today's
 * decoders: instead of adding a table to the embeddings, it rotates pairs of features of each
 * query and key by an angle proportional to the token's position, so that attention scores depend
 * on relative positions only.
 * {@link dev.heed.encoding.RotaryEncoding#of(int) RotaryEncoding.of(headDim)} pairs features
 * {@code (i, i + dim/2)} as Llama and GPT-NeoX do; {@code .interleaved()} pairs {@code (2i, 2i+1)}
 * as GPT-J and RoFormer do; {@code .withBase(500000)} sets Llama 3's {@code rope_theta}; a
 * {@code dim} below the head size leaves the remaining features as they are (partial rotary).
 * {@link dev.heed.encoding.RotaryEncoding#apply(dev.heed.tensor.Tensor, int) apply(x, start)}
 * rotates {@code x [..., L, d]} at positions {@code start … start+L-1};
 * {@link dev.heed.encoding.RotaryEncoding#backward(dev.heed.tensor.Tensor, int) backward} is its
 * gradient, the inverse rotation ({@code dev.heed.train.RotaryOps} records it for autograd).
 *
 * <pre>{@code
 * RotaryEncoding rope = RotaryEncoding.of(128).withBase(500000);     // Llama 3
 * Tensor q = rope.apply(queries, cached);                             // [B, Hq, L, 128]
 * Tensor k = rope.apply(keys, cached);                                // [B, Hkv, L, 128]
 * }</pre>
 *
 * <p>Every result is a new row-major tensor; inputs (any view) are not modified. The encodings
 * are immutable and thread-safe. See {@code docs/modern-attention.md} for pictures and the
 * PyTorch equivalents.
 */
package dev.heed.encoding;
