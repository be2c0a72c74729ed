/**
 * Attention: the kernels, masks, multi-head attention and the applied forms built on them.
 *
 * <p>Entry points:
 * <ul>
 *   <li>{@link dev.heed.attention.Attention} — the kernel interface,
 *       {@code apply(query, key, value, mask)} returning an
 *       {@link dev.heed.attention.AttentionResult} (output, weights, log-sum-exp). Its
 *       implementations: {@link dev.heed.attention.SimpleAttention} (unscaled, the tutorial's
 *       first example), {@link dev.heed.attention.ScaledDotProductAttention} (the scores
 *       materialised) and {@link dev.heed.attention.ChunkedAttention} (tiled online softmax, the
 *       same numbers in O(L + S) memory). Each also has a {@code backward}, giving the gradients
 *       with respect to query, key and value as an {@link dev.heed.attention.AttentionGradients}.</li>
 *   <li>{@link dev.heed.attention.SoftmaxAttention} — attention over scores the caller computed:
 *       {@code softmax(scores + mask) · value}, with every mask kind and the same edges; its
 *       {@code backward} gives the gradients of the scores and the value.</li>
 *   <li>{@link dev.heed.attention.Mask} — which keys each query may see, with the polarity in the
 *       name: {@code none}, {@code causal} (bottom-right aligned), {@code allow}, {@code block},
 *       {@code bias}, {@code keyPadding}, {@code slidingWindow}, {@code alibi}, {@code where} (any
 *       mask as a function), combined with {@code and}.</li>
 *   <li>{@link dev.heed.attention.ScoreFunction} — a function of each score (FlexAttention's
 *       {@code score_mod}): T5's relative-position buckets, a table bias by any index, or any function
 *       with its derivative, set with {@code withScoreFunction} on either kernel; the tables it reads get
 *       gradients.</li>
 *   <li>{@link dev.heed.attention.MultiHeadAttention} — PyTorch's {@code nn.MultiheadAttention}
 *       (projections, heads, output projection), configured by its
 *       {@link dev.heed.attention.MultiHeadAttention.Builder Builder}, with any kernel; its
 *       {@code backward} gives the input gradients and the parameter gradients under PyTorch's
 *       state_dict names; {@code forward(x, cache)} decodes a sequence a few tokens at a time over a
 *       {@link dev.heed.attention.KeyValueCache} of the projected keys and values.</li>
 *   <li>{@link dev.heed.attention.GroupedQueryAttention} — the attention block of Llama-family
 *       checkpoints under Hugging Face's names ({@code q_proj} ... {@code o_proj}): grouped-query heads,
 *       rotary positions, causal or sliding-window masks, loading from a state dict, a backward, and
 *       decoding over a cache of the rotated keys.</li>
 *   <li>The applied forms, which compute their own scores and attend through
 *       {@link dev.heed.attention.SoftmaxAttention}:
 *       {@link dev.heed.attention.AdditiveAttentionPooling} (a learned query pools a sequence),
 *       {@link dev.heed.attention.AlignmentAttention} (Luong's and Bahdanau's encoder–decoder
 *       scores) and {@link dev.heed.attention.HierarchicalAttention} (words within sentences,
 *       sentences within documents). Each has a {@code backward} giving the gradients of its
 *       inputs and of its parameters, named after the fields or factory arguments that hold them.</li>
 * </ul>
 *
 * <p>Shapes: query {@code [..., L, d]}, key {@code [..., S, d]}, value {@code [..., S, dv]}, where
 * the leading axes broadcast against each other as in NumPy; output {@code [..., L, dv]}, weights
 * {@code [..., L, S]}, log-sum-exp {@code [..., L]}. Masks broadcast against the scores
 * {@code [..., L, S]}. Multi-head attention takes {@code [B, L, E]} (or {@code [L, E]}) and has
 * weights per head, {@code [B, H, L, S]}. Inputs may be any view (strided, transposed,
 * broadcast) and are never modified; results are new tensors. A key and value with fewer heads
 * (axis -3) than the query, dividing its count, serve groups of query heads (grouped-query
 * attention), and both kernels take {@code withSoftCap}; {@code docs/modern-attention.md} shows
 * each variant with its PyTorch equivalent.
 *
 * <p>Edges, the same in every class: the softmax subtracts the row maximum, so scores of ±1e6 stay
 * exact; a query that may attend to nothing gets output 0, weights 0 and log-sum-exp
 * {@code -inf}, never NaN; a NaN or infinity reaches only the rows that attend to it. Bad input
 * gets an {@link java.lang.IllegalArgumentException} naming the shapes. The kernels, masks and
 * modules are immutable and thread-safe; builders and key/value caches are not.
 *
 * <p>Further reading, in the {@code docs/} folder of the source distribution: {@code masks.md}
 * (kinds and polarity, causal alignment, empty rows), {@code performance.md} (speed against
 * NumPy and the machine's peak), {@code gradients.md} (the backward's math and memory) and
 * {@code design-notes.md} (how the kernels tile and vectorise).
 */
package dev.heed.attention;
